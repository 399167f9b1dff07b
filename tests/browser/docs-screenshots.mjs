// Makes the screenshots in docs/screenshots/ from the demo story:
//
//   target/debug/parley demo --listen 127.0.0.1:8080 &
//   PARLEY_URL=http://127.0.0.1:8080 node tests/browser/docs-screenshots.mjs
//
// (from tests/browser after `npm ci`). Not a test: it only takes pictures.
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE, launch, session } from './lib.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });

const embassy = await (await fetch(`${BASE}/api/v1/accounts/lookup?acct=RusEmbUSA`)).json();
const statuses = await (await fetch(`${BASE}/api/v1/accounts/${embassy.id}/statuses`)).json();
const pollStatus = statuses.find((s) => s.poll);
if (!pollStatus) throw new Error('no demo poll: start the server with `parley demo`');
const statusUrl = `${BASE}/@RusEmbUSA/${pollStatus.id}`;

const browser = await launch();
const context = await session(browser, { viewport: { width: 1100, height: 860 } });
const page = await context.newPage();

await page.goto(statusUrl);
await page.screenshot({ path: join(OUT, 'status-page.png') });
await page.goto(`${statusUrl}/history`);
await page.locator('.chart-figure').screenshot({ path: join(OUT, 'history-chart.png') });

// The embed as a news site shows it, at the "1 p.m. EST" moment the reports quote.
const oembed = await (await fetch(`${BASE}/api/oembed?url=${encodeURIComponent(`${statusUrl}?as_of=2018-03-27T18:00:00.000Z`)}`)).json();
const article = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The Daily Dispatch</title>
<style>
  body { margin: 0; font: 18px/1.6 Georgia, serif; color: #1a1a1a; background: #fff; }
  header { border-bottom: 3px double #1a1a1a; padding: 14px 32px; font: 700 28px Georgia, serif; }
  main { max-width: 640px; margin: 0 auto; padding: 8px 24px 40px; }
  h1 { font-size: 34px; line-height: 1.2; margin: 24px 0 8px; }
  .byline { color: #555; font: 14px system-ui, sans-serif; margin-bottom: 20px; }
</style></head><body><header>The Daily Dispatch</header><main>
<h1>Embassy's Twitter poll: St. Petersburg leads by early afternoon</h1>
<p class="byline">27 March 2018 · By our diplomatic correspondent</p>
<p>After Washington ordered the Russian consulate in Seattle closed, the Russian embassy asked its followers which American consulate general they would close in Russia. By 1 p.m. EST the poll had drawn more than 11,600 votes.</p>
${oembed.html}
<p>The embedded result is frozen at the moment quoted here and signed by the embassy's server, so readers can check it.</p>
</main></body></html>`);
});
await new Promise((done) => article.listen(0, '127.0.0.1', done));
await page.goto(`http://localhost:${article.address().port}/`);
await page.waitForSelector('iframe.parley-embed[data-parley-ready="true"]');
await page.waitForTimeout(300);
await page.screenshot({ path: join(OUT, 'embed-in-article.png'), fullPage: true });

// The live embed (standings, the default view) in the same article.
const live = await (await fetch(`${BASE}/api/oembed?url=${encodeURIComponent(statusUrl)}`)).json();
const liveArticle = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>The Daily Dispatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; font: 18px/1.6 Georgia, serif; color: #1a1a1a; background: #fff; } main { max-width: 640px; margin: 0 auto; padding: 8px 16px 40px; }</style>
</head><body><main><h1>The poll, as it stands</h1>${live.html}</main></body></html>`);
});
await new Promise((done) => liveArticle.listen(0, '127.0.0.1', done));
await page.goto(`http://localhost:${liveArticle.address().port}/`);
await page.waitForSelector('iframe.parley-embed[data-parley-ready="true"]');
await page.waitForTimeout(300);
await page.screenshot({ path: join(OUT, 'live-embed-in-article.png'), fullPage: true });

// On a phone: the status page's byline and the history chart.
const phone = await session(browser, { viewport: { width: 390, height: 844 } });
const phonePage = await phone.newPage();
await phonePage.goto(statusUrl);
await phonePage.screenshot({ path: join(OUT, 'status-page-phone.png') });
await phonePage.goto(`${statusUrl}/history`);
await phonePage.locator('.chart-figure').screenshot({ path: join(OUT, 'history-chart-phone.png') });

await browser.close();
article.close();
liveArticle.close();
console.log(`screenshots in ${OUT}`);
