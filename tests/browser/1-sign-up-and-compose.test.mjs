// Scenario 1: sign up, sign in, compose a status with a three-option poll.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, composePoll, launch, screenshot, session, signIn, signOut, signUp, uniqueName } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('sign up, sign in, and post a status with a three-option poll', async () => {
  const context = await session(browser);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: 'Create account' }).first().click();
  await page.waitForURL(`${BASE}/auth/sign_up`);
  const username = uniqueName('embassy');
  await signUp(page, username);
  assert.match(await page.locator('.account-menu summary').innerText(), new RegExp(`@${username}`));

  await signOut(page);
  await signIn(page, username);
  assert.equal(new URL(page.url()).pathname, '/home');

  const url = await composePoll(page, 'What US Consulate General would you close in Russia? #TwitterDiplomacy',
    ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  assert.match(url, new RegExp(`/@${username}/\\d+$`));
  await page.getByText('Your post is published.').waitFor();
  const poll = page.locator('.status-focus .poll');
  assert.deepEqual(await poll.locator('.poll-title').allInnerTexts(), ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  assert.equal(await poll.locator('[data-votes]').innerText(), '0 votes');
  assert.match(await poll.locator('time[data-time]').innerText(), /^(23 hours|1 day) left$/);
  assert.match(await poll.locator('.poll-asof').innerText(), /^Results as of \d\d:\d\d:\d\d UTC/);
  // The author sees results, not a vote form.
  assert.equal(await poll.locator('input[name=choices]').count(), 0);
  await screenshot(page, '1-status-with-poll');
  assert.deepEqual(errors, [], 'no script or console errors (CSP violations show here)');
  await context.close();
});
