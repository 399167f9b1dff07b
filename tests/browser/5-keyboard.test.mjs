// Scenario 5: keyboard only: the vote form can be reached and submitted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, PASSWORD, apiPoll, apiUser, launch, screenshot, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Presses Tab until `check` holds for the focused element (at most `limit` times). */
async function tabTo(page, check, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(check)) return i + 1;
  }
  throw new Error('never reached by Tab');
}

test('reach the poll and vote with the keyboard alone', async () => {
  const embassy = await apiUser('embassy');
  const poll = await apiPoll(embassy, 'Which consulate would you close?', ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const reader = await apiUser('keys');
  const context = await session(browser);
  const page = await context.newPage();

  // Sign in by keyboard: the first stop is the skip link, then the form in order.
  await page.goto(`${BASE}/auth/sign_in`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await tabTo(page, () => document.activeElement.id === 'login');
  await page.keyboard.type(reader.username);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${BASE}/home`);

  await page.goto(poll.url);
  const stops = await tabTo(page, () => document.activeElement.name === 'choices');
  // Focus is visible where it is.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused option shows a focus ring');
  // Arrow keys move within the options; Space picks; Tab reaches the button.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.value), '2');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Vote');
  await screenshot(page, '5-keyboard-focus-on-vote');
  await page.keyboard.press('Enter');
  await page.getByText('Your vote was counted.').waitFor();
  const chosen = page.locator('.status-focus .poll [data-option="2"]');
  assert.match(await chosen.innerText(), /your choice/i);
  assert.equal(await chosen.locator('.poll-pct').innerText(), '100%');
  assert.ok(stops < 40, `the poll is ${stops} Tab stops down the page`);
  await screenshot(page, '5-keyboard-voted');
  await context.close();
});
