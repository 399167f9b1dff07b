// Parley's one script. Every page works without it; it adds:
// - live poll results (server-sent events from /polls/live, at most a few
//   updates a second), the bars moving in place;
// - in an embed, the page's height for the host page's embed.js;
// - small comforts: the poll builder's "add option" and "remove" (a closed
//   builder posts no poll), a character count,
//   countdowns, copy buttons.
(function () {
  'use strict';

  // ---- time left, as the server words it ----
  function plural(n, one, many) {
    return n.toLocaleString('en-US') + ' ' + (n === 1 ? one : many);
  }
  function timeLeft(expiresAt) {
    var secs = Math.floor((expiresAt - Date.now()) / 1000);
    if (secs <= 0) return 'Ended';
    if (secs < 60) return 'Less than a minute left';
    if (secs >= 86400) return plural(Math.floor(secs / 86400), 'day', 'days') + ' left';
    if (secs >= 3600) return plural(Math.floor(secs / 3600), 'hour', 'hours') + ' left';
    return plural(Math.floor(secs / 60), 'minute', 'minutes') + ' left';
  }
  function tickCountdowns() {
    document.querySelectorAll('.poll:not(.poll-ended):not(.poll-frozen) time[data-time]').forEach(function (t) {
      var at = Date.parse(t.getAttribute('datetime'));
      if (!isNaN(at)) t.textContent = timeLeft(at);
    });
  }

  // ---- live polls ----
  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el && text != null && el.textContent !== text) el.textContent = text;
  }

  function applyUpdate(section, u) {
    if (u.html && (u.expired || section.dataset.mode !== 'results')) {
      // The poll has ended: the server's rendering of the final results
      // replaces whatever was here (a vote form, hidden totals, live bars).
      var holder = document.createElement('div');
      holder.innerHTML = u.html.trim();
      var fresh = holder.firstElementChild;
      if (fresh) {
        section.replaceWith(fresh);
        announceSize();
      }
      return;
    }
    setText(section, '[data-votes]', u.votes_text);
    setText(section, '[data-voters]', u.voters_text);
    setText(section, 'time[data-time]', u.time_text);
    var asof = section.querySelector('time[data-asof]');
    if (asof) {
      asof.textContent = u.as_of_text;
      asof.setAttribute('datetime', u.as_of);
    }
    if (section.dataset.mode !== 'results' || u.hidden) return;
    u.options.forEach(function (o) {
      var li = section.querySelector('[data-option="' + o.index + '"]');
      if (!li) return;
      setText(li, '.poll-pct', o.percent_text);
      setText(li, '.poll-count', o.votes_text);
      var fill = li.querySelector('.poll-fill');
      if (fill) fill.setAttribute('width', String(o.width));
      li.classList.toggle('leading', !!o.leading);
    });
  }

  function startLive() {
    if (!window.EventSource) return;
    var sections = document.querySelectorAll('.poll[data-live]');
    if (!sections.length) return;
    var ids = [];
    var embed = false;
    sections.forEach(function (s) {
      if (ids.indexOf(s.dataset.poll) < 0) ids.push(s.dataset.poll);
      if (s.dataset.live === 'embed') embed = true;
    });
    var url = '/polls/live?ids=' + ids.slice(0, 40).join(',') + (embed ? '&embed=1' : '');
    var source = new EventSource(url);
    var ended = {};
    function showLive(on) {
      document.querySelectorAll('.poll[data-live] .live-dot').forEach(function (d) { d.hidden = !on; });
    }
    source.addEventListener('open', function () { showLive(true); });
    source.addEventListener('error', function () { showLive(false); });
    source.addEventListener('poll', function (e) {
      var u;
      try { u = JSON.parse(e.data); } catch (err) { return; }
      document.querySelectorAll('.poll[data-poll="' + u.id + '"]').forEach(function (s) { applyUpdate(s, u); });
      if (u.expired) ended[u.id] = true;
      if (ids.every(function (id) { return ended[id]; })) source.close();
      document.dispatchEvent(new CustomEvent('parley:poll-updated', { detail: u }));
    });
  }

  // ---- embeds: tell the host page how tall we are ----
  var isEmbed = document.documentElement.classList.contains('embed');
  var lastHeight = 0;
  function announceSize() {
    if (!isEmbed || window.parent === window) return;
    var card = document.querySelector('.embed-card');
    var height = Math.ceil((card ? card.getBoundingClientRect().height : document.body.scrollHeight) + 2);
    if (height === lastHeight) return;
    lastHeight = height;
    window.parent.postMessage({ type: 'parley:embed-size', height: height, url: location.href }, '*');
  }
  function startEmbed() {
    if (!isEmbed) return;
    announceSize();
    window.addEventListener('load', announceSize);
    window.addEventListener('resize', announceSize);
    if (window.ResizeObserver) {
      new ResizeObserver(announceSize).observe(document.body);
    }
  }

  // ---- compose: the poll builder ----
  // Options are revealed one at a time; each extra option can be removed, and
  // "Remove poll" empties and closes the builder. A closed builder publishes
  // no poll: its fieldset is disabled, so the form does not send its fields.
  function smallButton(text, className) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-quiet btn-small ' + className;
    button.textContent = text;
    return button;
  }
  function startPollBuilder() {
    document.querySelectorAll('.poll-builder').forEach(function (builder) {
      var fieldset = builder.querySelector('fieldset');
      var items = Array.prototype.slice.call(builder.querySelectorAll('[data-poll-input]'));
      var inputs = items.map(function (li) { return li.querySelector('input'); });
      if (!fieldset || !items.length) return;
      var lastFilled = 1;
      inputs.forEach(function (input, i) {
        if (input.value.trim() !== '') lastFilled = Math.max(lastFilled, i);
      });
      items.forEach(function (li, i) { li.hidden = i > lastFilled; });
      function shown() { return items.filter(function (li) { return !li.hidden; }).length; }

      var add = smallButton('Add an option', 'add-option');
      var removers = items.map(function (li, i) {
        var remove = smallButton('Remove', 'remove-option');
        remove.setAttribute('aria-label', 'Remove option ' + (i + 1));
        remove.addEventListener('click', function () {
          // Later options move up one place; the last shown one goes.
          var count = shown();
          for (var j = i; j < count - 1; j++) inputs[j].value = inputs[j + 1].value;
          inputs[count - 1].value = '';
          if (count > 2) items[count - 1].hidden = true;
          refresh();
          inputs[Math.min(i, shown() - 1)].focus();
        });
        li.appendChild(remove);
        return remove;
      });
      function refresh() {
        var count = shown();
        add.hidden = count >= items.length;
        removers.forEach(function (r, i) { r.hidden = count <= 2 || i >= count; });
      }
      add.addEventListener('click', function () {
        var next = items.filter(function (li) { return li.hidden; })[0];
        if (next) {
          next.hidden = false;
          next.querySelector('input').focus();
        }
        refresh();
      });
      items[items.length - 1].parentNode.after(add);

      var removePoll = smallButton('Remove poll', 'remove-poll');
      removePoll.addEventListener('click', function () {
        inputs.forEach(function (input) { input.value = ''; });
        items.forEach(function (li, i) { li.hidden = i > 1; });
        refresh();
        builder.open = false;
        sync();
        builder.querySelector('summary').focus();
      });
      fieldset.appendChild(removePoll);

      function sync() { fieldset.disabled = !builder.open; }
      builder.addEventListener('toggle', sync);
      sync();
      refresh();
    });
  }

  // ---- compose: characters left ----
  function startCounters() {
    document.querySelectorAll('textarea[data-counter]').forEach(function (area) {
      var out = document.getElementById(area.dataset.counter);
      var max = parseInt(area.getAttribute('maxlength'), 10);
      if (!out || !max) return;
      var timer;
      function update() {
        var left = max - Array.from(area.value).length;
        out.textContent = plural(Math.max(left, 0), 'character', 'characters') + ' left.';
      }
      area.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(update, 400);
      });
    });
  }

  // ---- copy buttons for codes and links ----
  function startCopy() {
    if (!navigator.clipboard) return;
    document.querySelectorAll('[data-copy]').forEach(function (field) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-quiet btn-small';
      button.textContent = 'Copy';
      button.setAttribute('aria-label', 'Copy ' + (field.labels && field.labels[0] ? field.labels[0].textContent : ''));
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = 'Copied';
          setTimeout(function () { button.textContent = 'Copy'; }, 2000);
        });
      });
      field.addEventListener('focus', function () { field.select(); });
      field.after(button);
    });
  }

  function start() {
    startLive();
    startEmbed();
    startPollBuilder();
    startCounters();
    startCopy();
    tickCountdowns();
    setInterval(tickCountdowns, 30000);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
