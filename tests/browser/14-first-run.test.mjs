// Scenario 14: a new person's first minutes, in the browser: a sign-up
// mistake, the empty home with people to follow, a follower to follow back
// with the unread count, a thread that names whom a reply answers, and a
// profile whose counts lead somewhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, PASSWORD, admin, apiUser, launch, session, uniqueName } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(method, path, token, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status}`);
  return response.json();
}

test('a newcomer signs up, follows, is followed back and reads a thread', async () => {
  const embassy = await apiUser('embassy');
  admin('account', 'organisation', embassy.username, 'Embassy of Somewhere');
  const first = await api('POST', '/api/v1/statuses', embassy.token, { status: 'The embassy opens its account.' });

  const context = await session(browser, { viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const name = uniqueName('newcomer');
  // A sign-up mistake: the message is under the repetition, once; the box stays ticked.
  await page.goto(`${BASE}/auth/sign_up`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('E-mail address').fill(`${name}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(`${PASSWORD} typo`);
  await page.getByLabel(/I agree to follow/).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  const mismatch = page.locator('#confirmation-error');
  await mismatch.waitFor();
  assert.equal(await page.getByText('This is not the same as the password above.').count(), 1);
  assert.equal(await page.getByLabel(/I agree to follow/).isChecked(), true);
  assert.equal(await page.getByRole('link', { name: /the rules of/ }).getAttribute('href'), '/about#rules');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${BASE}/home`);

  // The empty home: a link to the public timeline and the official account offered first.
  assert.equal(await page.getByRole('link', { name: 'Find people on the public timeline' }).getAttribute('href'), '/');
  const offered = page.locator('.suggestion-list .suggestion').first();
  assert.match(await offered.innerText(), new RegExp(embassy.username));
  await offered.getByRole('button', { name: /^Follow/ }).click();
  await page.getByText('The embassy opens its account.').waitFor();

  // The embassy follows back; the header counts it; the page offers nothing to follow back (already following).
  const { id: meId } = await (await fetch(`${BASE}/api/v1/accounts/lookup?acct=${name}`)).json();
  await api('POST', `/api/v1/accounts/${meId}/follow`, embassy.token);
  const reader = await apiUser('reader');
  await api('POST', `/api/v1/accounts/${meId}/follow`, reader.token);
  await page.goto(`${BASE}/home`);
  assert.match(await page.locator('.nav-count').innerText(), /^2/);
  await page.goto(`${BASE}/notifications`);
  const follows = page.locator('.notification-follow');
  assert.equal(await follows.count(), 2);
  assert.equal(await page.locator('.notification-unread').count(), 2);
  assert.equal(await page.getByRole('button', { name: 'Follow back' }).count(), 1, 'only the reader is not followed yet');
  await page.getByRole('button', { name: 'Follow back' }).click();
  await page.waitForURL(/\/notifications/);
  assert.equal(await page.getByRole('button', { name: 'Follow back' }).count(), 0);
  assert.equal(await page.locator('.nav-count').count(), 0, 'read now');

  // A thread: the embassy continues, the reader answers it by name.
  const more = await api('POST', '/api/v1/statuses', embassy.token, { status: 'And a second part.', in_reply_to_id: first.id });
  await api('POST', '/api/v1/statuses', reader.token, { status: `@${embassy.username} welcome!`, in_reply_to_id: more.id });
  await page.goto(`${BASE}/@${embassy.username}/${more.id}`);
  await page.locator('.status-focus .in-reply', { hasText: 'Continues a thread' }).waitFor();
  await page.locator('.thread-replies .in-reply', { hasText: `In reply to @${embassy.username}` }).waitFor();
  const order = await page.evaluate(() => {
    const at = (sel) => document.querySelector(sel)?.getBoundingClientRect().top ?? -1;
    return [at('.status-focus'), at('.thread-replies'), at('.embed-panel')];
  });
  assert.ok(order[0] < order[1] && order[1] < order[2], `post, replies, then the embed panel: ${order}`);

  // The profile's counts lead to the people.
  await page.goto(`${BASE}/@${name}`);
  await page.getByRole('link', { name: '2 followers' }).click();
  await page.waitForURL(`${BASE}/@${name}/followers`);
  await page.getByRole('link', { name: reader.username }).first().waitFor();
  await context.close();
});
