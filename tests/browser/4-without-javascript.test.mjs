// Scenario 4: with JavaScript disabled, sign in, vote, see the results.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiPoll, apiUser, launch, screenshot, session, signIn } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign in, vote and see the results with JavaScript off', async () => {
  const embassy = await apiUser('embassy');
  const poll = await apiPoll(embassy, 'Which consulate would you close?', ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const reader = await apiUser('nojs');

  const context = await session(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page, reader.username);
  await page.goto(poll.url);
  // Without the script, every option is still there and no live connection is made.
  await page.getByRole('radio', { name: 'St. Petersburg' }).check();
  await page.getByRole('button', { name: 'Vote' }).click();
  await page.getByText('Your vote was counted.').waitFor();
  const results = page.locator('.status-focus .poll');
  assert.equal(await results.locator('input[name=choices]').count(), 0);
  assert.deepEqual(await results.locator('.poll-pct').allInnerTexts(), ['0%', '0%', '100%']);
  assert.deepEqual(await results.locator('.poll-count').allInnerTexts(), ['0 votes', '0 votes', '1 vote']);
  assert.equal(await results.locator('[data-voters]').innerText(), '1 person');
  assert.match(await results.locator('[data-option="2"]').innerText(), /your choice/i);
  assert.match(await results.locator('.poll-asof').innerText(), /^Results as of \d\d:\d\d:\d\d UTC$/);
  // The bars are drawn by the server: no script needed.
  assert.equal(await results.locator('[data-option="2"] .poll-fill').getAttribute('width'), '100');
  await screenshot(page, '4-without-javascript');
  await context.close();
});
