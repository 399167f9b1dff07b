// Scenario 13: favourite and boost change in place: no reload, no jump.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, apiUser, launch, session, signIn } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('favourite and boost toggle in place, and the server agrees', async () => {
  const author = await apiUser('ministry');
  const reader = await apiUser('reader');
  const post = async (text) => (await fetch(`${BASE}/api/v1/statuses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${author.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: text }),
  })).json();
  const target = await post('A statement worth a star.');
  for (let i = 0; i < 8; i++) await post(`Later statement ${i}.`);
  const context = await session(browser, { viewport: { width: 1280, height: 600 } });
  const page = await context.newPage();
  await signIn(page, reader.username);
  await page.goto(`${BASE}/@${author.username}`);
  const card = page.locator(`article#s-${target.id}`);
  await card.scrollIntoViewIfNeeded();
  await page.evaluate(() => { window.notReloaded = true; });
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 0, 'the post is further down the page');

  const favourite = card.getByRole('button', { name: /Favourite/ });
  await favourite.click();
  await card.locator('button[aria-pressed="true"]', { hasText: 'Favourite' }).waitFor();
  assert.equal(await favourite.locator('.act-n').innerText(), '1');
  const boost = card.getByRole('button', { name: /Boost/ });
  await boost.click();
  await card.locator('button[aria-pressed="true"]', { hasText: 'Boost' }).waitFor();
  assert.equal(await boost.locator('.act-n').innerText(), '1');
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'no reload');
  assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'no jump');

  // The server recorded both; a second click takes the favourite back.
  const seen = async () => (await fetch(`${BASE}/api/v1/statuses/${target.id}`, { headers: { authorization: `Bearer ${reader.token}` } })).json();
  let status = await seen();
  assert.equal(status.favourited, true);
  assert.equal(status.reblogged, true);
  await favourite.click();
  await card.locator('button[aria-pressed="false"]', { hasText: 'Favourite' }).waitFor();
  status = await seen();
  assert.equal(status.favourited, false);
  assert.equal(status.favourites_count, 0);
  await context.close();
});
