// Scenario 11: axe-core on every kind of page, at desktop and phone sizes,
// in light and dark: no serious or critical violation anywhere.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { BASE, apiPoll, apiUser, apiVote, launch, screenshot, session, signIn, uniqueName } from './lib.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    // A page axe could not read would pass every rule by checking none.
    if (r.passes.length < 10) return [`axe checked only ${r.passes.length} rules`];
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return result;
}

test('no serious or critical axe violation on any kind of page', async () => {
  const embassy = await apiUser('embassy');
  const reader = await apiUser('reader');
  const poll = await apiPoll(embassy, 'Which consulate would you close, if it were up to you?', ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const hidden = await apiPoll(embassy, 'Hidden until the end?', ['Yes', 'No'], { hide_totals: true });
  await apiVote(reader, poll.pollId, [2]);
  await apiVote(reader, hidden.pollId, [0]);
  const tag = uniqueName('tag').replace(/_/g, '');
  await fetch(`${BASE}/api/v1/statuses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: `@${embassy.username} thank you #${tag}`, in_reply_to_id: poll.id, spoiler_text: 'Politics' }),
  });
  const { id: embassyId } = await (await fetch(`${BASE}/api/v1/accounts/lookup?acct=${embassy.username}`)).json();
  await fetch(`${BASE}/api/v1/accounts/${embassyId}/follow`, { method: 'POST', headers: { authorization: `Bearer ${reader.token}` } });

  const anonymous = ['/', '/about', `/tags/${tag}`, `/@${embassy.username}`, new URL(poll.url).pathname,
    new URL(hidden.url).pathname, `${new URL(poll.url).pathname}/history`, `${new URL(poll.url).pathname}/history?view=share`,
    `${new URL(poll.url).pathname}/cite`, `${new URL(poll.url).pathname}/embed`, `/@${embassy.username}/followers`,
    `${new URL(poll.url).pathname}/embed?view=vote&theme=dark`, '/auth/sign_in', '/auth/sign_up', '/nobody-here-at-all'];
  const signedIn = ['/home', '/notifications', '/settings', '/compose', new URL(poll.url).pathname, `/@${reader.username}`];

  const found = [];
  for (const [size, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    for (const colorScheme of ['light', 'dark']) {
      // Our CSP forbids injected scripts; the test's axe is let in, nothing else changes.
      const context = await session(browser, { viewport, colorScheme, bypassCSP: true });
      const page = await context.newPage();
      // Every page kind at both sizes, kept as the run's artefacts (target/screenshots/pages).
      const shot = (kind) => colorScheme === 'light' && screenshot(page, `pages/${size}-${kind}`);
      for (const [i, path] of anonymous.entries()) {
        await page.goto(`${BASE}${path}`);
        for (const v of await violations(page)) found.push(`${size} ${colorScheme} ${path}: ${v}`);
        await shot(`${String(i).padStart(2, '0')}-${path.split('?')[0].split('/').filter(Boolean).slice(-1)[0] || 'landing'}`);
      }
      await signIn(page, reader.username);
      for (const [i, path] of signedIn.entries()) {
        await page.goto(`${BASE}${path}`);
        for (const v of await violations(page)) found.push(`${size} ${colorScheme} signed in ${path}: ${v}`);
        await shot(`signed-in-${i}-${path.split('/').filter(Boolean).slice(-1)[0]}`);
      }
      await context.close();
    }
  }
  assert.deepEqual(found, []);
});
