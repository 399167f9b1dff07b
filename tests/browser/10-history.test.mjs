// Scenario 10: a poll's history on a phone and on a laptop: the whole
// question, chart labels a person can read, dates on the time axis, a table
// whose scroll box takes the keyboard, and a share view that says what it shows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiPoll, apiUser, apiVote, launch, screenshot, session } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const QUESTION = 'What US Consulate General would you close in Russia, if it was up to you to decide? '
  + 'The embassy asks its followers after the United States ordered the closure of the Russian consulate in Seattle.';

test('the history page reads on a phone and on a laptop', async () => {
  const embassy = await apiUser('embassy');
  const poll = await apiPoll(embassy, QUESTION, ['Vladivostok', 'Yekaterinburg', 'St. Petersburg', 'None of them, keep all consulates open']);
  for (const choice of [2, 2, 0, 3]) await apiVote(await apiUser('reader'), poll.pollId, [choice]);

  for (const [name, viewport] of [['phone', { width: 390, height: 844 }], ['laptop', { width: 1366, height: 768 }]]) {
    const context = await session(browser, { viewport });
    const page = await context.newPage();
    await page.goto(`${poll.url}/history`);
    await page.getByText(QUESTION.slice(-40)).waitFor();
    // Exactly one drawing shows, and its labels are at least 10 CSS pixels tall.
    const shown = page.locator('svg.chart:visible');
    assert.equal(await shown.count(), 1);
    const sizes = await shown.locator('text.chart-x, text.chart-y').evaluateAll((els) =>
      els.map((el) => el.getBoundingClientRect().height));
    assert.ok(sizes.length > 0 && Math.min(...sizes) >= 10, `${name}: label heights ${sizes}`);
    // The time axis says which day.
    const today = new Date().getUTCDate();
    assert.ok((await shown.locator('.chart-date').allTextContents()).some((t) => t.includes(String(today))), `${name}: no date on the axis`);
    // The table's scroll box takes the keyboard and shows every column.
    await page.getByText('The numbers behind the chart').click();
    const box = page.locator('.table-scroll');
    assert.equal(await box.getAttribute('tabindex'), '0');
    if (name === 'laptop') {
      const size = await box.evaluate((el) => [el.scrollWidth, el.clientWidth]);
      assert.ok(size[0] <= size[1], `at 1366 px the table fits, Voters column included: ${size}`);
    }
    await screenshot(page, `10-history-${name}`);
    await context.close();
  }

  const context = await session(browser);
  const page = await context.newPage();
  await page.goto(`${poll.url}/history?view=share`);
  await page.getByRole('heading', { name: 'Share of the votes over time' }).waitFor();
  assert.match(await page.locator('figcaption .hint').innerText(), /share of the votes/);
  // No line starts at a made-up 0%: each starts where the first votes put it.
  const starts = await page.locator('svg.chart-wide polyline').evaluateAll((lines) =>
    lines.map((l) => l.getAttribute('points').split(' ')[0]));
  const bottom = await page.locator('svg.chart-wide .chart-axis').getAttribute('y1');
  // Vladivostok (1 of 4 votes) and St. Petersburg (2 of 4) start at their share; Yekaterinburg has none.
  const startY = starts.map((p) => p.split(',')[1]);
  assert.ok(startY[0] !== bottom && startY[2] !== bottom && startY[1] === bottom, `line starts ${starts}, axis at ${bottom}`);
  await screenshot(page, '10-history-share');
  await context.close();
});
