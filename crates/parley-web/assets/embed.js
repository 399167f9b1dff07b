// Parley embed helper, for the page that embeds a post (a news article).
// Sizes each Parley iframe to its content as the embed reports it (a poll
// grows when it ends, text wraps differently on a phone), and hides the
// plain-text fallback once the iframe has shown it works. Reads nothing from
// the host page and sends nothing anywhere.
(function () {
  'use strict';
  var script = document.currentScript;
  var origin;
  try {
    origin = new URL(script.src).origin;
  } catch (e) {
    return;
  }
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
