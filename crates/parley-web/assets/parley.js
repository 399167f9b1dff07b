// Parley's one script. Every page works without it; it adds:
// - live poll results (the streaming API's parley:poll stream, server-sent
//   events, at most four updates a second), the bars moving in place;
// - in an embed, the page's height for the host page's embed.js;
// - a signed snapshot's time in the reader's time zone beside UTC;
// - favourite and boost toggled in place (the forms still work without it);
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
  // Each poll on screen listens to the streaming API's `parley:poll` stream
  // (server-sent events; `poll.update` carries the Poll entity as anyone sees
  // it, at most four a second), the same stream any client uses. A browser
  // opens at most six connections to a site over HTTP/1.1, so only the first
  // MAX_LIVE polls on screen listen at once. When a poll ends, the server's
  // rendering of its final results replaces it (a vote form or hidden totals
  // give way to the results).
  var MAX_LIVE = 3;

  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el && text != null && el.textContent !== text) el.textContent = text;
  }
  // As the server words them (parley-web's format.rs).
  function percentText(part, whole) {
    if (whole <= 0 || part <= 0) return '0%';
    var p = part * 100 / whole;
    return p < 1 ? '<1%' : Math.round(p) + '%';
  }
  function percentWidth(part, whole) {
    if (whole <= 0 || part <= 0) return 0;
    return Math.min(100, Math.round(part * 1000 / whole) / 10);
  }
  function clock(iso) {
    var d = new Date(iso);
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds()) + ' UTC';
  }

  function applyUpdate(section, poll) {
    setText(section, '[data-votes]', plural(poll.votes_count, 'vote', 'votes'));
    if (poll.voters_count != null) setText(section, '[data-voters]', plural(poll.voters_count, 'person', 'people'));
    var asof = section.querySelector('time[data-asof]');
    if (asof && poll.as_of) {
      asof.textContent = clock(poll.as_of);
      asof.setAttribute('datetime', poll.as_of);
    }
    var counts = poll.options.map(function (o) { return o.votes_count; });
    // A vote form shows no bars; hidden totals come as nulls.
    if (section.dataset.mode !== 'results' || counts.some(function (c) { return c == null; })) return;
    var whole = poll.multiple ? (poll.voters_count || 0) : poll.votes_count;
    var top = Math.max.apply(null, counts.concat([0]));
    counts.forEach(function (votes, i) {
      var li = section.querySelector('[data-option="' + i + '"]');
      if (!li) return;
      setText(li, '.poll-pct', percentText(votes, whole));
      setText(li, '.poll-count', plural(votes, 'vote', 'votes'));
      var fill = li.querySelector('.poll-fill');
      if (fill) fill.setAttribute('width', String(percentWidth(votes, whole)));
      li.classList.toggle('leading', top > 0 && votes === top);
    });
  }

  function sectionsOf(id) {
    return document.querySelectorAll('.poll[data-poll="' + id + '"]');
  }

  // The poll's final results as the server renders them: from the embed page
  // itself, or from the post's page.
  function showFinal(id, section) {
    var from = isEmbed ? location.href : section.dataset.status;
    if (!from || !window.fetch || !window.DOMParser) return;
    fetch(from, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        var fresh = html && new DOMParser().parseFromString(html, 'text/html').querySelector('.poll[data-poll="' + id + '"]');
        // Without it the final counts from the stream stay shown.
        if (!fresh) return;
        sectionsOf(id).forEach(function (s) { s.replaceWith(document.importNode(fresh, true)); });
        announceSize();
      })
      .catch(function () { /* offline: the final counts from the stream stay shown */ });
  }

  function startLive() {
    if (!window.EventSource) return;
    var sections = Array.prototype.slice.call(document.querySelectorAll('.poll[data-live]'));
    if (!sections.length) return;
    var sources = {};
    var ended = {};
    var onScreen = new Set();
    function showLive(id, on) {
      sectionsOf(id).forEach(function (s) {
        s.querySelectorAll('.live-dot').forEach(function (d) { d.hidden = !on; });
      });
    }
    function close(id) {
      if (!sources[id]) return;
      sources[id].close();
      delete sources[id];
      showLive(id, false);
    }
    var latest = {};
    function receive(id, poll) {
      // A read older than what is shown (the catch-up racing an event) is dropped.
      if (ended[id] || (latest[id] && poll.as_of && poll.as_of < latest[id])) return;
      latest[id] = poll.as_of;
      var first = sectionsOf(id)[0];
      sectionsOf(id).forEach(function (s) { applyUpdate(s, poll); });
      if (poll.expired) {
        ended[id] = true;
        close(id);
        if (first) showFinal(id, first);
      }
      document.dispatchEvent(new CustomEvent('parley:poll-updated', { detail: poll }));
    }
    function open(id) {
      var source = new EventSource('/api/v1/streaming/parley/poll?poll=' + encodeURIComponent(id));
      sources[id] = source;
      source.addEventListener('open', function () {
        showLive(id, true);
        // Listening now: catch up with the votes since the page was made
        // (it may come from a cache) through the same API.
        fetch('/api/v1/polls/' + encodeURIComponent(id), { cache: 'no-store', credentials: 'omit' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (poll) { if (poll) receive(id, poll); })
          .catch(function () { /* the next event brings the tally */ });
      });
      source.addEventListener('error', function () {
        showLive(id, false);
        // Refused (gone, or not public): the browser does not retry.
        if (source.readyState === EventSource.CLOSED) delete sources[id];
      });
      source.addEventListener('poll.update', function (e) {
        var poll;
        try { poll = JSON.parse(e.data); } catch (err) { return; }
        receive(id, poll);
      });
    }
    // The first polls on screen listen; the others wait their turn.
    function update() {
      var wanted = [];
      sections.forEach(function (s) {
        var id = s.dataset.poll;
        if ((onScreen.has(s) || !window.IntersectionObserver) && !ended[id] && wanted.indexOf(id) < 0) wanted.push(id);
      });
      wanted = wanted.slice(0, MAX_LIVE);
      Object.keys(sources).forEach(function (id) { if (wanted.indexOf(id) < 0) close(id); });
      wanted.forEach(function (id) { if (!sources[id]) open(id); });
    }
    if (!window.IntersectionObserver) {
      update();
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) onScreen.add(entry.target); else onScreen.delete(entry.target);
      });
      update();
    });
    sections.forEach(function (s) { observer.observe(s); });
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

  // ---- favourite and boost, in place ----
  // The forms post and redirect back without a script; with it, the same
  // post asks for JSON (the status's marks now) and the buttons change where
  // they are, so the page neither reloads nor jumps.
  var MARKS = /\/statuses\/[^/]+\/(un)?(favourite|reblog)$/;
  function showMarks(article, marks) {
    [['favourite', marks.favourited, marks.favourites_count], ['reblog', marks.reblogged, marks.reblogs_count]]
      .forEach(function (m) {
        var kind = m[0], on = m[1], count = m[2];
        article.querySelectorAll('form').forEach(function (form) {
          var match = MARKS.exec(form.getAttribute('action') || '');
          if (!match || match[2] !== kind) return;
          var id = form.getAttribute('action').split('/')[2];
          form.setAttribute('action', '/statuses/' + id + '/' + (on ? 'un' : '') + kind);
          var button = form.querySelector('button');
          if (!button) return;
          button.setAttribute('aria-pressed', on ? 'true' : 'false');
          button.classList.toggle('act-on', on);
          setText(button, '.act-n', String(count));
        });
      });
  }
  function startActions() {
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !MARKS.test(form.getAttribute('action') || '')) return;
      var article = form.closest('article');
      if (!article || !window.fetch) return;
      event.preventDefault();
      var button = form.querySelector('button');
      if (button) button.disabled = true;
      fetch(form.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (marks) {
        if (button) button.disabled = false;
        showMarks(article, marks);
      }).catch(function () {
        // Whatever went wrong, the plain form says it properly.
        if (button) button.disabled = false;
        form.submit();
      });
    });
  }

  // ---- a UTC time in the reader's own time zone too ----
  // `<time data-local-time>` says "… UTC"; where the reader's zone is not
  // UTC, their own clock follows it: "(20:00 CEST your time)".
  function startLocalTimes() {
    if (!window.Intl) return;
    document.querySelectorAll('time[data-local-time]').forEach(function (t) {
      var at = new Date(t.getAttribute('datetime'));
      if (isNaN(at) || at.getTimezoneOffset() === 0) return;
      var local = new Intl.DateTimeFormat(undefined, {
        day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
      }).format(at);
      var note = document.createElement('span');
      note.className = 'local-time';
      note.textContent = ' (' + local + ' your time)';
      t.after(note);
    });
  }

  function start() {
    startLocalTimes();
    startActions();
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
