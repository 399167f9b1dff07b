// Parley embed helper, for the page that embeds a post (a news article).
// - Replaces each Parley quotation (`blockquote.parley-embed`, what oEmbed
//   and the embed panel hand out) with the live iframe. Without this script
//   (a host that strips it, a reader with JavaScript off) the quotation is
//   what shows: the post appears once either way.
// - Sizes each Parley iframe to its content as the embed reports it (a poll
//   grows when it ends, text wraps differently on a phone). Older embed code
//   (an iframe followed by a `.parley-embed-fallback` quotation) still works:
//   the fallback is hidden once the iframe has shown it works.
// Reads nothing from the host page and sends nothing anywhere.
(function () {
  'use strict';
  var script = document.currentScript;
  var origin;
  try {
    origin = new URL(script.src).origin;
  } catch (e) {
    return;
  }

  function sameOrigin(url) {
    try {
      return new URL(url, document.baseURI).origin === origin;
    } catch (e) {
      return false;
    }
  }

  // Every script tag runs this: quotations may come with each embed.
  function upgrade() {
    var quotes = document.querySelectorAll('blockquote.parley-embed[data-parley-embed]:not([data-parley-done])');
    for (var i = 0; i < quotes.length; i++) {
      var quote = quotes[i];
      var src = quote.getAttribute('data-parley-embed');
      if (!sameOrigin(src)) continue;
      quote.setAttribute('data-parley-done', 'true');
      var frame = document.createElement('iframe');
      frame.src = src;
      frame.className = 'parley-embed';
      frame.title = quote.getAttribute('data-parley-title') || 'Post';
      frame.width = quote.getAttribute('data-parley-width') || '550';
      frame.height = quote.getAttribute('data-parley-height') || '300';
      frame.setAttribute('loading', 'lazy');
      frame.setAttribute('allowfullscreen', '');
      frame.style.maxWidth = '100%';
      frame.style.border = '0';
      frame.style.display = 'block';
      quote.parentNode.insertBefore(frame, quote);
      quote.hidden = true;
      quote.style.display = 'none';
    }
  }
  upgrade();
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', upgrade);

  var loaded = (window.__parleyEmbedOrigins = window.__parleyEmbedOrigins || {});
  if (loaded[origin]) return;
  loaded[origin] = true;

  window.addEventListener('message', function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== 'parley:embed-size' || typeof data.height !== 'number') return;
    var height = Math.max(80, Math.min(Math.round(data.height), 5000));
    var frames = document.querySelectorAll('iframe');
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      frame.setAttribute('height', String(height));
      frame.style.height = height + 'px';
      frame.setAttribute('data-parley-ready', 'true');
      var fallback = frame.nextElementSibling;
      if (fallback && fallback.classList.contains('parley-embed-fallback')) {
        fallback.hidden = true;
        fallback.style.display = 'none';
      }
    }
  });
})();
