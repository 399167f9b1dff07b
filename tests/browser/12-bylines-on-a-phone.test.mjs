// Scenario 12: on a phone, an official account's byline: `@user` for a
// local account, the organisation's badge on one compact line beside the
// name, and a click on the seal that explains it, on screen.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, admin, apiUser, launch, screenshot, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const ORG = 'Embassy of the Russian Federation in the United States of America';

test('an official byline on a phone: @user, a one-line badge, a seal that explains itself', async () => {
  const embassy = await apiUser('embassy');
  admin('account', 'organisation', embassy.username, ORG);
  const response = await fetch(`${BASE}/api/v1/statuses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${embassy.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'A statement on consular matters.' }),
  });
  const status = await response.json();
  const context = await session(browser, { viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${BASE}/@${embassy.username}/${status.id}`);
  const byline = page.locator('.status-focus .byline');
  // The organisation reached the page (the operator's change, read from the log).
  await byline.locator('.badge').waitFor();
  assert.equal(await byline.locator('.acct').innerText(), `@${embassy.username}`);
  const summary = byline.locator('.badge summary');
  const box = await summary.boundingBox();
  assert.ok(box.height < 30, `the badge is one line, not a block: ${box.height}px`);
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `the badge is on screen: ${JSON.stringify(box)}`);
  await summary.click();
  const explain = byline.locator('.badge-explain');
  assert.ok(await explain.isVisible());
  assert.match(await explain.innerText(), /administrators set it/);
  assert.ok((await explain.innerText()).includes(ORG), 'the explanation names the whole organisation');
  const e = await explain.boundingBox();
  assert.ok(e.x >= 0 && e.x + e.width <= 390, `the explanation is on screen: ${JSON.stringify(e)}`);
  await screenshot(page, '12-official-byline-phone');

  // The profile gives the whole address, broken at its @ rather than mid-name.
  await page.goto(`${BASE}/@${embassy.username}`);
  const acct = page.locator('.profile-head .acct, .profile .acct').first();
  const fits = await acct.evaluate((el) => el.scrollWidth <= el.clientWidth);
  assert.ok(fits, 'the address does not overflow');
  assert.match(await acct.innerText(), new RegExp(`^@${embassy.username}\\n?@`));
  await context.close();
});
