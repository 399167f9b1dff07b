// Scenario 7 (issue 20, round two): the cite page on a phone, and text that
// follows the size the reader set in the browser.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { apiPoll, apiUser, apiVote, launch, screenshot, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the cite page shows the question and asker, and does not scroll sideways on a phone', async () => {
  const author = await apiUser('citer');
  const voter = await apiUser('voter');
  const poll = await apiPoll(author, 'Which consulate general would you close?', ['Vladivostok', 'Yekaterinburg']);
  await apiVote(voter, poll.pollId, [0]);
  const context = await session(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${poll.url}/cite`);
  assert.equal(await page.locator('.cite-question blockquote').innerText(), 'Which consulate general would you close?');
  assert.match(await page.locator('.cite-question figcaption').innerText(), new RegExp(`@${author.username}`));
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scroll');
  await screenshot(page, '7-cite-phone');
  // "How to verify" on the frozen tally stays on a readable page.
  await page.getByRole('link', { name: 'How to verify' }).click();
  await page.waitForURL(/\/cite\?at=.*#verify$/);
  assert.equal(await page.locator('#verify h2').innerText(), 'How to check it');
  await context.close();
});

/** Chromium with the reader's default font size set, as in its settings. */
async function withFontSize(px, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-font-'));
  mkdirSync(join(dir, 'Default'));
  writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ webkit: { webprefs: { default_font_size: px } } }));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('text follows the browser\'s font size: post text and buttons grow together', async () => {
  const author = await apiUser('sizer');
  const poll = await apiPoll(author, 'Bigger text, please?', ['Yes', 'No']);
  const sizes = (page) => page.evaluate(() => {
    const px = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
    return { body: px('body'), content: px('.status-focus .content'), acct: px('.status-focus .acct') };
  });
  const normal = await withFontSize(16, async (page) => { await page.goto(poll.url); return sizes(page); });
  const large = await withFontSize(32, async (page) => { await page.goto(poll.url); return sizes(page); });
  assert.equal(normal.body, 16);
  for (const key of Object.keys(normal)) {
    assert.ok(Math.abs(large[key] / normal[key] - 2) < 0.05, `${key}: ${normal[key]} px → ${large[key]} px`);
  }
});
