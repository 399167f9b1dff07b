// Scenario 3: a static "news article" on another site embeds the poll through
// oEmbed; the iframe renders the poll and is resized to its content; the
// frozen mode shows a signed snapshot's numbers and its "as of" time.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { BASE, apiPoll, apiUser, apiVote, launch, screenshot, session } from './lib.mjs';

let browser;
let article;
let articleOrigin;
const pages = new Map();

function articleHtml(headline, embedHtml) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${headline} · The Daily Dispatch</title>
<style>
  body { margin: 0; font: 18px/1.6 Georgia, serif; color: #1a1a1a; background: #fff; }
  header { border-bottom: 3px double #1a1a1a; padding: 12px 24px; font: 700 28px Georgia, serif; letter-spacing: .02em; }
  main { max-width: 680px; margin: 0 auto; padding: 8px 24px 48px; }
  h1 { font-size: 34px; line-height: 1.2; margin: 24px 0 8px; }
  .byline { color: #555; font: 14px system-ui, sans-serif; margin-bottom: 24px; }
</style></head><body>
<header>The Daily Dispatch</header>
<main><h1>${headline}</h1>
<p class="byline">By our diplomatic correspondent</p>
<p>The embassy asked its followers which American consulate general they would close in Russia, after the United States ordered the closure of the Russian consulate in Seattle.</p>
${embedHtml}
<p>The question drew thousands of votes within hours, and outlets quoted different numbers at different times. The poll above shows the tally as the embassy's server counts it.</p>
</main></body></html>`;
}

async function oembed(url, extra = '') {
  const response = await fetch(`${BASE}/api/oembed?url=${encodeURIComponent(url)}${extra}`);
  assert.equal(response.status, 200);
  return response.json();
}

before(async () => {
  browser = await launch();
  article = createServer((req, res) => {
    const body = pages.get(req.url.split('?')[0]);
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body || 'not found');
  });
  await new Promise((done) => article.listen(0, '127.0.0.1', done));
  // "localhost" against Parley's "127.0.0.1": another site, as a news site would be.
  articleOrigin = `http://localhost:${article.address().port}`;
});
after(async () => {
  await browser?.close();
  await new Promise((done) => article?.close(done));
});

test('an article embeds the live poll, then a frozen snapshot of it', async () => {
  const embassy = await apiUser('embassy');
  const poll = await apiPoll(embassy, 'What US Consulate General would you close in Russia, if it was up to you to decide?',
    ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  const voters = await Promise.all([1, 2, 3].map(() => apiUser('reader')));
  await apiVote(voters[0], poll.pollId, [2]);
  await apiVote(voters[1], poll.pollId, [2]);

  const live = await oembed(poll.url, '&maxwidth=600');
  assert.equal(live.type, 'rich');
  assert.equal(live.width, 550);
  assert.doesNotMatch(live.html, /<iframe/, 'embed.js makes the iframe: without it the post shows once');
  assert.match(live.html, /<blockquote class="parley-embed" [^>]*data-parley-embed="[^"]+\/embed"/);
  assert.match(live.html, /St\. Petersburg 100% \(2 votes\)/, 'the quotation carries the tally in words');
  pages.set('/live', articleHtml('Embassy asks the internet which consulate to close', live.html));
  // A host that strips scripts: the quotation, once, and no frame.
  pages.set('/stripped', articleHtml('Stripped of scripts', live.html.replace(/<script[^>]*><\/script>/g, '')));

  const context = await session(browser);
  const page = await context.newPage();
  await page.goto(`${articleOrigin}/live`);
  const iframe = page.locator('iframe.parley-embed');
  const embed = page.frameLocator('iframe.parley-embed');
  await embed.locator('.poll').waitFor();
  // The standings, which is what an article embeds a live poll for.
  assert.deepEqual(await embed.locator('.poll-title').allInnerTexts(), ['Vladivostok', 'Yekaterinburg', 'St. Petersburg']);
  assert.equal(await embed.locator('[data-option="2"] .poll-pct').innerText(), '100%');
  assert.equal(await embed.locator('[data-votes]').innerText(), '2 votes');
  assert.match(await iframe.getAttribute('title'), /on Parley/, 'the frame is named for screen readers');
  assert.equal(await iframe.getAttribute('loading'), 'lazy');
  // embed.js sized the iframe to the card inside it, and hid the text fallback.
  await page.waitForSelector('iframe.parley-embed[data-parley-ready="true"]');
  // The host page cannot look inside the iframe; the test can, and compares.
  const fits = async () => {
    let size;
    for (let i = 0; i < 30; i++) {
      const outer = (await iframe.boundingBox()).height;
      const inner = await embed.locator('.embed-card').evaluate((el) => el.getBoundingClientRect().height);
      size = { outer, inner, ok: Math.abs(outer - inner - 2) <= 2 };
      if (size.ok) break;
      await page.waitForTimeout(100);
    }
    return size;
  };
  let size = await fits();
  assert.ok(size.ok, `iframe ${size.outer}px for content ${size.inner}px`);
  assert.notEqual(size.outer, live.height, 'the iframe was resized from the oEmbed estimate');
  assert.equal(await page.locator('blockquote.parley-embed').isVisible(), false);
  await screenshot(page, '3-embed-in-article');

  // On a phone the text wraps more and the iframe grows with it.
  const before = size.outer;
  await page.setViewportSize({ width: 380, height: 800 });
  await page.waitForFunction((h) => document.querySelector('iframe.parley-embed').getBoundingClientRect().height > h + 20, before);
  size = await fits();
  assert.ok(size.ok, `after narrowing: iframe ${size.outer}px for content ${size.inner}px`);
  await screenshot(page, '3-embed-in-article-phone');

  // "Vote on Parley" opens the poll on this server in a new window.
  await page.setViewportSize({ width: 1280, height: 900 });
  const [poster] = await Promise.all([context.waitForEvent('page'), embed.getByRole('link', { name: /^Vote on / }).click()]);
  await poster.waitForURL((u) => u.href.startsWith(poll.url) && u.hash === `#poll-${poll.pollId}`);
  await poster.getByRole('radio', { name: 'Vladivostok' }).waitFor();
  await poster.close();

  // The editor's vote view: the form, voting on this server in a new window, to sign in there.
  const voteView = await oembed(poll.url, '&view=vote');
  pages.set('/vote', articleHtml('Have your say', voteView.html));
  await page.goto(`${articleOrigin}/vote`);
  const voteEmbed = page.frameLocator('iframe.parley-embed');
  await voteEmbed.getByRole('radio', { name: 'Vladivostok' }).check();
  const [popup] = await Promise.all([context.waitForEvent('page'), voteEmbed.getByRole('button', { name: 'Vote' }).click()]);
  await popup.waitForURL(/\/auth\/sign_in\?next=/);
  await popup.getByText('Sign in to vote.').waitFor();
  await popup.close();

  // Scripts stripped by the host: the quotation shows, once.
  await page.goto(`${articleOrigin}/stripped`);
  assert.equal(await page.locator('iframe').count(), 0);
  assert.equal(await page.locator('blockquote.parley-embed').count(), 1);
  assert.ok(await page.getByText('St. Petersburg 100% (2 votes)').isVisible());
  await screenshot(page, '3-embed-without-script');

  // Frozen: the tally as of now, quoted in a second article; later votes do not change it.
  const asOf = new Date().toISOString();
  await apiVote(voters[2], poll.pollId, [0]);
  const frozen = await oembed(`${poll.url}?as_of=${asOf}`);
  assert.match(frozen.html, /\/embed\?as_of=/);
  pages.set('/frozen', articleHtml('What the poll said at the time', frozen.html));
  await page.goto(`${articleOrigin}/frozen`);
  const frozenEmbed = page.frameLocator('iframe.parley-embed');
  await frozenEmbed.locator('.poll-frozen').waitFor();
  // Unmistakably a snapshot, with its time in the reader's zone beside UTC.
  await frozenEmbed.locator('.embed-frozen .snapshot-banner', { hasText: 'It does not change.' }).waitFor();
  assert.equal(await frozenEmbed.locator('[data-votes]').innerText(), '2 votes', 'the snapshot, not the 3 votes now');
  assert.equal(await frozenEmbed.locator('[data-option="2"] .poll-pct').innerText(), '100%');
  const asOfText = await frozenEmbed.locator('.poll-asof').innerText();
  const t = new Date(asOf);
  const clock = [t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  assert.ok(asOfText.startsWith('Signed snapshot as of') && asOfText.includes(`${clock} UTC`), asOfText);
  // "How to verify" opens the cite page's explanation, which links the signed JSON.
  const verify = await frozenEmbed.getByRole('link', { name: 'How to verify' }).getAttribute('href');
  assert.ok(verify.startsWith(`${BASE}/@`) && verify.endsWith('#verify'), verify);
  const citePage = await context.newPage();
  await citePage.goto(verify);
  await citePage.getByRole('heading', { name: 'How to check it' }).waitFor();
  const signed = await (await fetch(await citePage.locator('#snapshot-url').inputValue())).json();
  await citePage.close();
  assert.equal(signed.snapshot.votes_count, 2);
  assert.equal(signed.signature.algorithm, 'ed25519');
  await page.waitForSelector('iframe.parley-embed[data-parley-ready="true"]');
  await screenshot(page, '3-frozen-embed-in-article');

  // Meanwhile the live embed shows the three votes.
  await page.goto(`${articleOrigin}/live`);
  await page.frameLocator('iframe.parley-embed').locator('[data-votes]', { hasText: '3 votes' }).waitFor();
  await context.close();
});

test('a reader in dark mode sees a light card in a light article, and the editor may choose dark', async () => {
  const embassy = await apiUser('embassy');
  const poll = await apiPoll(embassy, 'Which consulate?', ['Vladivostok', 'St. Petersburg']);
  const light = await oembed(poll.url);
  const dark = await oembed(poll.url, '&theme=dark');
  pages.set('/light-in-dark', articleHtml('Light card', light.html));
  pages.set('/dark', articleHtml('Dark card', dark.html));
  const context = await session(browser, { colorScheme: 'dark', timezoneId: 'Europe/Moscow' });
  const page = await context.newPage();
  const colours = async (path) => {
    await page.goto(`${articleOrigin}${path}`);
    const frame = page.frameLocator('iframe.parley-embed');
    await frame.locator('.embed-card').waitFor();
    await page.waitForSelector('iframe.parley-embed[data-parley-ready="true"]');
    const card = await frame.locator('.embed-card').evaluate((el) => getComputedStyle(el).backgroundColor);
    const canvas = await frame.locator('html').evaluate((el) => getComputedStyle(el).backgroundColor);
    const scheme = await frame.locator('html').evaluate((el) => getComputedStyle(el).colorScheme);
    return { card, canvas, scheme };
  };
  const l = await colours('/light-in-dark');
  assert.equal(l.card, 'rgb(255, 255, 255)', 'the default theme is light, whatever the reader\'s system');
  assert.equal(l.canvas, 'rgba(0, 0, 0, 0)', 'the frame is transparent');
  // The same scheme as the light article: browsers paint a frame of another scheme opaque.
  assert.equal(l.scheme, 'light');
  await screenshot(page, '3-embed-light-for-dark-reader');
  const d = await colours('/dark');
  assert.equal(d.card, 'rgb(21, 29, 38)', 'theme=dark draws the dark card');
  await screenshot(page, '3-embed-dark');

  // A snapshot's time in the reader's own zone (Moscow here) beside UTC.
  const asOf = new Date().toISOString();
  const frozen = await oembed(`${poll.url}?as_of=${asOf}`);
  pages.set('/frozen-moscow', articleHtml('As it stood', frozen.html));
  await page.goto(`${articleOrigin}/frozen-moscow`);
  const local = await page.frameLocator('iframe.parley-embed').locator('.snapshot-banner .local-time').innerText();
  assert.match(local, /your time\)$/);
  assert.match(local, /GMT\+3|MSK/, local);
  await context.close();
});
