// Shared by the browser tests: launching Debian's Chromium, a few steps a
// person takes (sign up, sign in, post a poll), and set-up through the
// Mastodon API where a test is not about that part.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = (process.env.PARLEY_URL || '').replace(/\/$/, '');
if (!BASE) {
  throw new Error('PARLEY_URL is not set: run the tests with tests/browser/run.sh');
}
const HERE = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = resolve(process.env.SCREENSHOT_DIR || join(HERE, '..', '..', 'target', 'screenshots'));
mkdirSync(SCREENSHOTS, { recursive: true });
export const PASSWORD = 'correct horse battery staple';

/** Debian's Chromium, headless. Playwright gives it a fresh, temporary
 * user data directory, removed on close; each `browser.newContext()` is a
 * separate browser session with its own cookies, like a second person. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A new browser session (cookies of its own) at desktop size unless told otherwise. */
export async function session(browser, options = {}) {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
}

export async function screenshot(page, name) {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A username nobody has taken yet on this server. */
export function uniqueName(prefix) {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.slice(0, 30);
}

/** Signs up through the form; ends on the home timeline. */
export async function signUp(page, username) {
  await page.goto(`${BASE}/auth/sign_up`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('E-mail address').fill(`${username}@example.org`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByLabel(/I agree to follow the rules/).check();
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${BASE}/home`);
}

/** Signs in through the form. */
export async function signIn(page, login, password = PASSWORD) {
  await page.goto(`${BASE}/auth/sign_in`);
  await page.getByLabel('E-mail or username').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/auth/'));
}

export async function signOut(page) {
  await page.locator('.account-menu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${BASE}/`);
}

/** Posts a status with a poll through the compose page; ends on the new status's page. */
export async function composePoll(page, text, options) {
  await page.goto(`${BASE}/compose`);
  await page.getByLabel('What do you want to say?').fill(text);
  await page.getByText('Add a poll').click();
  for (let i = 0; i < options.length; i++) {
    const input = page.getByLabel(new RegExp(`^Option ${i + 1}\\b`));
    if (!(await input.isVisible())) {
      await page.getByRole('button', { name: 'Add an option' }).click();
    }
    await input.fill(options[i]);
  }
  await page.getByLabel('Duration').selectOption({ label: '1 day' });
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await page.waitForURL(/\/@[^/]+\/\d+$/);
  return page.url();
}

// ---- set-up through the Mastodon API ----

async function api(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${BASE}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

let appToken;
/** An account registered through the API (password PASSWORD), with a user token. */
export async function apiUser(prefix) {
  if (!appToken) {
    const app = await api('POST', '/api/v1/apps', null, {
      client_name: 'browser tests', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write follow',
    });
    const token = await api('POST', '/oauth/token', null, {
      grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret, scope: 'read write follow',
    });
    appToken = token.access_token;
  }
  const username = uniqueName(prefix);
  const { access_token: token } = await api('POST', '/api/v1/accounts', appToken, {
    username, email: `${username}@example.org`, password: PASSWORD, agreement: true,
  });
  return { username, token };
}

/** A public status with a poll, posted through the API. */
export async function apiPoll(user, text, options, extra = {}) {
  const status = await api('POST', '/api/v1/statuses', user.token, {
    status: text, visibility: 'public', poll: { options, expires_in: 86400, ...extra },
  });
  return { id: status.id, pollId: status.poll.id, url: `${BASE}/@${user.username}/${status.id}` };
}

export async function apiVote(user, pollId, choices) {
  return api('POST', `/api/v1/polls/${pollId}/votes`, user.token, { choices });
}

/** Runs `parley admin …` on the server's data directory, as its operator would. */
export function admin(...args) {
  const bin = process.env.PARLEY_TEST_BIN;
  const dataDir = process.env.PARLEY_TEST_DATA_DIR;
  if (!bin || !dataDir) throw new Error('PARLEY_TEST_BIN and PARLEY_TEST_DATA_DIR are set by run.sh');
  // The operator's shell, without the suite's PARLEY_* variables.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  return execFileSync(bin, ['admin', '--data-dir', dataDir, ...args], { env, encoding: 'utf8' });
}
