// Scenario 8 (issue 15): the pages and embeds move live through the streaming
// API's parley:poll stream while votes arrive through the API, and a poll that
// ends in front of the reader gives way to its final results.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiPoll, apiUser, apiVote, launch, screenshot, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A page that records which live streams it opens. */
async function watched(context, url) {
  const page = await context.newPage();
  const streams = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/streaming/')) streams.push(new URL(r.url()).pathname + new URL(r.url()).search); });
  await page.goto(url);
  await page.locator('.poll .live-label').waitFor({ state: 'visible' });
  await page.evaluate(() => { window.notReloaded = true; });
  return { page, streams };
}

test('a status page and an embed move while votes arrive through the API', async () => {
  const author = await apiUser('streamer');
  const poll = await apiPoll(author, 'Which consulate should stay open?', ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const context = await session(browser);
  const status = await watched(context, `${poll.url}?results=1`);
  const embed = await watched(context, `${poll.url}/embed`);
  for (const w of [status, embed]) {
    assert.deepEqual(w.streams, [`/api/v1/streaming/parley/poll?poll=${poll.pollId}`]);
  }

  for (const [i, choice] of [1, 1, 0].entries()) {
    await apiVote(await apiUser(`v${i}`), poll.pollId, [choice]);
  }
  await status.page.waitForFunction(
    () => document.querySelector('.poll [data-votes]')?.textContent === '3 votes', null, { timeout: 10_000 });
  const option = (i) => status.page.locator(`.poll [data-option="${i}"]`);
  assert.equal(await option(1).locator('.poll-pct').innerText(), '67%');
  assert.equal(await option(1).locator('.poll-count').innerText(), '2 votes');
  assert.equal(await option(1).locator('.poll-fill').getAttribute('width'), '66.7');
  assert.match(await option(1).getAttribute('class'), /leading/);
  assert.equal(await status.page.locator('.poll [data-voters]').innerText(), '3 people');
  await embed.page.waitForFunction(
    () => document.querySelector('.poll [data-votes]')?.textContent === '3 votes', null, { timeout: 10_000 });
  for (const w of [status, embed]) {
    assert.equal(await w.page.evaluate(() => window.notReloaded), true, 'no reload');
  }
  await screenshot(status.page, '8-live-status');
  await screenshot(embed.page, '8-live-embed');
  await context.close();
});

test('an embedded poll that ends in front of the reader shows its final results', async () => {
  const author = await apiUser('ender');
  const poll = await apiPoll(author, 'Over in a moment?', ['Yes', 'No'], { expires_in: 3 });
  await apiVote(await apiUser('early'), poll.pollId, [0]);
  const context = await session(browser);
  // The editor's vote view: a form while it runs.
  const embed = await watched(context, `${poll.url}/embed?view=vote`);
  assert.equal(await embed.page.locator('.poll form').count(), 1, 'a vote form while it runs');
  await embed.page.locator('.poll.poll-ended').waitFor({ timeout: 15_000 });
  assert.equal(await embed.page.locator('.poll form').count(), 0);
  assert.equal(await embed.page.locator('.poll [data-option="0"] .poll-pct').innerText(), '100%');
  assert.match(await embed.page.locator('.poll-asof').innerText(), /^Final results as of/);
  assert.equal(await embed.page.evaluate(() => window.notReloaded), true, 'no reload');
  await context.close();
});
