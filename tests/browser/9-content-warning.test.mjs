// Scenario 9: a content warning opens and closes again: its toggle says
// "Show" while closed and "Hide" while open, and a hidden-totals poll does
// not pretend to have results.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, apiPoll, apiUser, apiVote, launch, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function post(user, body) {
  const response = await fetch(`${BASE}/api/v1/statuses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  return response.json();
}

test('an opened content warning keeps its toggle', async () => {
  const author = await apiUser('ministry');
  const status = await post(author, { status: 'The statement in full.', spoiler_text: 'Sanctions' });
  const context = await session(browser);
  const page = await context.newPage();
  await page.goto(`${BASE}/@${author.username}/${status.id}`);
  const toggle = page.locator('.cw summary .cw-toggle');
  assert.equal(await toggle.innerText(), 'Show');
  assert.equal(await page.getByText('The statement in full.', { exact: true }).isVisible(), false);
  await page.locator('.cw summary').click();
  assert.equal(await page.getByText('The statement in full.', { exact: true }).isVisible(), true);
  assert.equal(await toggle.innerText(), 'Hide', 'an open warning still says how to close it');
  await page.locator('.cw summary').click();
  assert.equal(await page.getByText('The statement in full.', { exact: true }).isVisible(), false);
  await context.close();
});

test('a hidden-totals poll shows no results and says when they come', async () => {
  const author = await apiUser('ministry');
  const voter = await apiUser('reader');
  const poll = await apiPoll(author, 'Which day?', ['Monday', 'Tuesday'], { hide_totals: true });
  await apiVote(voter, poll.pollId, [0]);
  const context = await session(browser);
  const page = await context.newPage();
  await page.goto(`${poll.url}?results=1`);
  const option = page.locator('.poll-results-hidden li', { hasText: 'Monday' });
  assert.equal(await option.evaluate((el) => getComputedStyle(el).cursor), 'auto', 'not made to look clickable');
  assert.equal(await option.evaluate((el) => getComputedStyle(el).borderTopStyle), 'none');
  await page.getByText('The author hides the results until the poll ends').waitFor();
  assert.equal(await page.locator('.poll-asof').count(), 0, 'no "Results as of … · Live" without results');
  await context.close();
});
