// Scenario 2: in a second browser session another account votes; the first
// page's result bars change without a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { composePoll, launch, screenshot, session, signUp, uniqueName } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('result bars move live when someone else votes', async () => {
  const authorContext = await session(browser);
  const author = await authorContext.newPage();
  await signUp(author, uniqueName('author'));
  const url = await composePoll(author, 'Which consulate should stay open?', ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const poll = author.locator('.status-focus .poll');
  // The live connection is open ("Live" shows), and the page is marked so that a reload would show.
  await poll.locator('.live-label').waitFor({ state: 'visible' });
  await author.evaluate(() => { window.notReloaded = true; });
  const fill = (i) => poll.locator(`[data-option="${i}"] .poll-fill`);
  assert.equal(await fill(1).getAttribute('width'), '0');

  const voterContext = await session(browser);
  const voter = await voterContext.newPage();
  await signUp(voter, uniqueName('voter'));
  await voter.goto(url);
  await voter.getByRole('radio', { name: 'Yekaterinburg' }).check();
  await voter.getByRole('button', { name: 'Vote' }).click();
  await voter.getByText('Your vote was counted.').waitFor();
  assert.equal(await voter.locator('.poll [data-option="1"] .poll-pct').innerText(), '100%');

  // Back on the author's page, without a reload.
  await author.waitForFunction(
    () => document.querySelector('.status-focus .poll [data-option="1"] .poll-fill')?.getAttribute('width') === '100',
    null, { timeout: 10_000 });
  assert.equal(await author.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.equal(await poll.locator('[data-option="1"] .poll-pct').innerText(), '100%');
  assert.equal(await poll.locator('[data-option="1"] .poll-count').innerText(), '1 vote');
  assert.equal(await poll.locator('[data-votes]').innerText(), '1 vote');
  assert.equal(await poll.locator('[data-voters]').innerText(), '1 person');
  assert.match(await poll.locator('[data-option="1"]').getAttribute('class'), /leading/);
  await author.waitForTimeout(700); // let the bar finish its transition for the picture
  await screenshot(author, '2-live-results-author');
  await screenshot(voter, '2-live-results-voter');
  await voterContext.close();
  await authorContext.close();
});
