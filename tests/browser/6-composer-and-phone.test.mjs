// Scenario 6 (issue 20, round two): the poll builder's close and remove
// buttons, and the signed-in header on a phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, launch, screenshot, session, signUp, uniqueName } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a closed poll builder publishes no poll; options and the poll can be removed', async () => {
  const context = await session(browser);
  const page = await context.newPage();
  await signUp(page, uniqueName('closer'));

  await page.goto(`${BASE}/compose`);
  await page.getByLabel('What do you want to say?').fill('Just text');
  await page.getByText('Add a poll').click();
  await page.getByLabel(/^Option 1\b/).fill('Yes');
  await page.getByLabel(/^Option 2\b/).fill('No');
  await page.getByText('Add a poll').click(); // closes the builder again
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await page.waitForURL(/\/@[^/]+\/\d+$/);
  assert.equal(await page.locator('.status-focus .content').innerText(), 'Just text');
  assert.equal(await page.locator('.status-focus .poll').count(), 0, 'published without the poll');

  // One option removed: the later ones move up; "Remove poll" empties and closes the builder.
  await page.goto(`${BASE}/compose`);
  await page.getByText('Add a poll').click();
  await page.getByLabel(/^Option 1\b/).fill('Red');
  await page.getByLabel(/^Option 2\b/).fill('Green');
  await page.getByRole('button', { name: 'Add an option' }).click();
  await page.getByLabel(/^Option 3\b/).fill('Blue');
  await screenshot(page, '6-composer-poll-builder');
  await page.getByRole('button', { name: 'Remove option 2' }).click();
  assert.equal(await page.getByLabel(/^Option 2\b/).inputValue(), 'Blue');
  assert.equal(await page.getByLabel(/^Option 3\b/).isVisible(), false);
  await page.getByRole('button', { name: 'Remove poll' }).click();
  assert.equal(await page.locator('.poll-builder').evaluate((d) => d.open), false);
  await page.getByText('Add a poll').click();
  assert.equal(await page.getByLabel(/^Option 1\b/).inputValue(), '');
  await page.getByLabel('What do you want to say?').fill('Text after removing the poll');
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await page.waitForURL(/\/@[^/]+\/\d+$/);
  assert.equal(await page.locator('.status-focus .poll').count(), 0);
  await context.close();
});

test('on a phone the signed-in header fits: logo off the edge, two rows, the menu on screen', async () => {
  const context = await session(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signUp(page, uniqueName('phone'));
  const box = (selector) => page.locator(selector).first().boundingBox();

  const logo = await box('.brand');
  assert.ok(logo.x >= 8, `the logo keeps off the edge (x = ${logo.x})`);
  const header = await box('.header-inner');
  const avatar = await box('.account-menu summary');
  const compose = await box('.site-nav .btn-primary');
  assert.ok(Math.abs(avatar.y - compose.y) < 8, `the avatar sits on the nav's row (${avatar.y} vs ${compose.y})`);
  assert.ok(header.height < 120, `at most two rows (${header.height} px)`);
  assert.ok(avatar.x + avatar.width <= 390, 'the avatar is on screen');

  await page.locator('.account-menu summary').click();
  const menu = await box('.account-menu .menu');
  assert.ok(menu.x >= 0 && menu.x + menu.width <= 390, `the menu opens on screen (x = ${menu.x}, width ${menu.width})`);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scroll');
  await page.getByRole('link', { name: 'Your profile' }).click();
  await page.waitForURL(/\/@[^/]+$/);
  await screenshot(page, '6-phone-header');
  await context.close();
});
