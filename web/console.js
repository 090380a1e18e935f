// shopclerk agent console: live sessions, transcript, and cross-sell / upsell suggestions.
// Every call carries "Authorization: Bearer <key>" (key kept in sessionStorage).
// All session and catalog strings are inserted as text, never as HTML.
(function () {
  'use strict';

  var KEY = 'shopclerk_agent_key';
  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    loginView: $('login-view'), loginForm: $('login-form'), keyInput: $('key'), loginError: $('login-error'),
    app: $('app-view'), logout: $('logout'), live: $('live'),
    sessions: $('sessions'), sessionsStatus: $('sessions-status'),
    chatTitle: $('chat-title'), transcript: $('transcript'),
    reply: $('reply'), copy: $('copy'), copyStatus: $('copy-status'),
    suggestions: $('suggestions'), cart: $('cart')
  };
  var st = {
    key: null, selected: null, ctrl: null, reconnect: null, poll: null, polling: false,
    replyTouched: false, lastSessions: []
  };

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  function storage(op, v) {
    try {
      if (op === 'get') return sessionStorage.getItem(KEY);
      if (op === 'set') sessionStorage.setItem(KEY, v);
      if (op === 'del') sessionStorage.removeItem(KEY);
    } catch (e) { /* storage unavailable: key lives in memory only */ }
    return null;
  }

  function relTime(ms) {
    if (typeof ms !== 'number') return '';
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 10) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return new Date(ms).toLocaleDateString();
  }

  function clockTime(ms) {
    return typeof ms === 'number' ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  }

  function shortId(id) {
    id = String(id);
    return id.length > 12 ? id.slice(0, 12) + '…' : id;
  }

  // ---- auth ----

  function Unauthorized() { this.name = 'Unauthorized'; }

  async function api(path, opts) {
    opts = opts || {};
    var headers = Object.assign({ Authorization: 'Bearer ' + st.key }, opts.headers || {});
    var res = await fetch(path, Object.assign({}, opts, { headers: headers }));
    if (res.status === 401) { signOut('That was the wrong key. Please try again.'); throw new Unauthorized(); }
    return res;
  }

  function showLogin(message) {
    ui.app.hidden = true;
    ui.logout.hidden = true;
    ui.live.textContent = '';
    ui.loginView.hidden = false;
    ui.loginError.textContent = message || '';
    ui.keyInput.value = '';
    ui.keyInput.focus();
  }

  function signOut(message) {
    st.key = null;
    storage('del');
    clearInterval(st.poll);
    st.poll = null;
    stopStream();
    st.selected = null;
    showLogin(message);
  }

  async function signIn(key) {
    st.key = key;
    var ok = await refreshSessions();
    if (!ok) return;
    storage('set', key);
    ui.loginView.hidden = true;
    ui.app.hidden = false;
    ui.logout.hidden = false;
    clearInterval(st.poll);
    st.poll = setInterval(refreshSessions, 5000);
  }

  // ---- sessions list ----

  async function refreshSessions() {
    if (st.polling || !st.key) return false;
    st.polling = true;
    try {
      var res = await api('/v1/agent/sessions');
      if (!res.ok) throw new Error('HTTP ' + res.status);
      var data = await res.json();
      st.lastSessions = Array.isArray(data.sessions) ? data.sessions : [];
      renderSessions();
      ui.sessionsStatus.textContent = st.lastSessions.length ? '' : 'No live sessions yet.';
      return true;
    } catch (e) {
      if (e instanceof Unauthorized) return false;
      ui.sessionsStatus.textContent = 'Could not load sessions (' + e.message + '); retrying…';
      return true; // the key was not rejected; keep the console open
    } finally {
      st.polling = false;
    }
  }

  function renderSessions() {
    var frag = document.createDocumentFragment();
    st.lastSessions.forEach(function (s) {
      var id = String(s.session_id);
      var li = el('li');
      var b = el('button', 'cn-session' + (id === st.selected ? ' cn-selected' : ''));
      b.type = 'button';
      b.setAttribute('data-testid', 'console-session');
      b.setAttribute('data-session-id', id);
      b.setAttribute('aria-label', 'Open session ' + id);
      if (id === st.selected) b.setAttribute('aria-current', 'true');
      var top = el('div', 'cn-session-top');
      top.appendChild(el('span', 'cn-session-id', shortId(id)));
      top.appendChild(el('span', 'cn-session-time', relTime(s.updated_ms)));
      b.appendChild(top);
      b.appendChild(el('div', 'cn-session-last', s.last_message || '(no messages yet)'));
      var n = Number(s.turns) || 0;
      b.appendChild(el('div', 'cn-session-turns', n + (n === 1 ? ' turn' : ' turns')));
      b.addEventListener('click', function () { select(id); });
      li.appendChild(b);
      frag.appendChild(li);
    });
    ui.sessions.replaceChildren(frag);
  }

  // ---- the selected session's live stream ----

  function stopStream() {
    clearTimeout(st.reconnect);
    st.reconnect = null;
    if (st.ctrl) st.ctrl.abort();
    st.ctrl = null;
  }

  function select(id) {
    if (id === st.selected) return;
    stopStream();
    st.selected = id;
    renderSessions();
    ui.chatTitle.textContent = 'Session ' + id;
    ui.transcript.replaceChildren(el('p', 'cn-muted', 'Connecting…'));
    renderSuggestions({});
    renderCart(null);
    connect(id);
  }

  function scheduleReconnect(id) {
    if (st.selected !== id || !st.key) return;
    ui.live.textContent = 'Reconnecting…';
    ui.live.className = 'cn-live cn-off';
    clearTimeout(st.reconnect);
    st.reconnect = setTimeout(function () { if (st.selected === id) connect(id); }, 3000);
  }

  async function connect(id) {
    var ctrl = new AbortController();
    st.ctrl = ctrl;
    var current = function () { return st.ctrl === ctrl && st.selected === id; };
    try {
      var res = await api('/v1/agent/sessions/' + encodeURIComponent(id) + '/stream',
        { signal: ctrl.signal, headers: { Accept: 'text/event-stream' } });
      if (!current()) return;
      if (res.status === 404) {
        ui.transcript.replaceChildren(el('p', 'cn-muted', 'This session no longer exists.'));
        ui.live.textContent = '';
        return;
      }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      ui.live.textContent = '● Live';
      ui.live.className = 'cn-live cn-on';
      await readSse(res.body, function (name, data) {
        if (!current()) return;
        if (name === 'snapshot') renderSnapshot(data);
        else if (name === 'turn') upsertTurn(data, true);
        else if (name === 'suggestions') renderSuggestions(data);
      });
    } catch (e) {
      if (e instanceof Unauthorized || (e && e.name === 'AbortError')) return;
    }
    if (current()) scheduleReconnect(id);
  }

  async function readSse(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buf = '', carry = '';
    function frame(text) {
      var name = 'message', data = [];
      text.split('\n').forEach(function (line) {
        if (!line || line[0] === ':') return; // comments are keep-alives
        var i = line.indexOf(':');
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      });
      if (!data.length) return;
      try { onEvent(name, JSON.parse(data.join('\n'))); } catch (e) { /* malformed frame */ }
    }
    function feed(chunk, last) {
      var text = carry + chunk;
      carry = '';
      if (!last && text.endsWith('\r')) { carry = '\r'; text = text.slice(0, -1); }
      buf += text.replace(/\r\n?/g, '\n');
      var i;
      while ((i = buf.indexOf('\n\n')) >= 0) { var f = buf.slice(0, i); buf = buf.slice(i + 2); frame(f); }
    }
    for (;;) {
      var r = await reader.read();
      if (r.done) break;
      feed(decoder.decode(r.value, { stream: true }), false);
    }
    feed(decoder.decode(), true);
    if (buf.trim()) frame(buf);
  }

  // ---- rendering the session ----

  function renderSnapshot(s) {
    ui.transcript.replaceChildren();
    var turns = Array.isArray(s.transcript) ? s.transcript : [];
    turns.forEach(function (t) { upsertTurn(t, false); });
    if (!turns.length) ui.transcript.appendChild(el('p', 'cn-muted cn-empty', 'No messages yet.'));
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
    renderSuggestions(s.suggestions || {});
    renderCart(Array.isArray(s.cart) ? s.cart : []);
  }

  function line(who, cls, text) {
    var row = el('div', 'cn-line ' + cls);
    row.appendChild(el('span', 'cn-who', who));
    row.appendChild(el('span', 'cn-text', text || ''));
    return row;
  }

  function upsertTurn(t, scroll) {
    if (!t) return;
    var empty = ui.transcript.querySelector('.cn-empty');
    if (empty) empty.remove();
    var n = String(t.turn);
    var box = el('div', 'cn-turn');
    box.setAttribute('data-testid', 'console-turn');
    box.setAttribute('data-turn', n);
    var meta = el('div', 'cn-turn-meta', 'Turn ' + n);
    if (t.intent) meta.appendChild(el('span', 'cn-intent', t.intent));
    if (t.at_ms) meta.appendChild(el('span', 'cn-at', clockTime(t.at_ms)));
    box.appendChild(meta);
    box.appendChild(line('Customer', 'cn-customer', t.user));
    box.appendChild(line('Assistant', 'cn-assistant', t.reply));
    var old = Array.prototype.find.call(ui.transcript.children, function (c) {
      return c.getAttribute('data-turn') === n;
    });
    if (old) old.replaceWith(box); else ui.transcript.appendChild(box);
    if (scroll) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function renderSuggestions(s) {
    var items = [].concat(s.cross_sell || [], s.upsell || []).filter(function (x) { return x && x.id != null; });
    if (!items.length) {
      ui.suggestions.replaceChildren(el('p', 'cn-muted', st.selected ? 'No suggestions yet.' : 'No session selected.'));
      return;
    }
    var frag = document.createDocumentFragment();
    items.forEach(function (p) {
      var up = p.kind === 'upsell';
      var card = el('div', 'cn-sugg');
      card.setAttribute('data-testid', 'console-suggestion');
      card.setAttribute('data-product-id', String(p.id));
      card.setAttribute('data-kind', up ? 'upsell' : 'cross_sell');
      var top = el('div', 'cn-sugg-top');
      top.appendChild(el('span', 'cn-badge ' + (up ? 'cn-badge-up' : 'cn-badge-cross'), up ? 'Upsell' : 'Cross-sell'));
      var score = typeof p.score === 'number' ? p.score.toFixed(2) : '–';
      top.appendChild(el('span', 'cn-score', 'score ' + score));
      card.appendChild(top);
      var name = el('div', 'cn-sugg-title', p.short_name || p.title);
      name.setAttribute('title', String(p.title || ''));
      card.appendChild(name);
      var specs = highlightText(p);
      if (specs) card.appendChild(el('div', 'cn-sugg-specs', specs));
      card.appendChild(el('div', 'cn-sugg-price', p.price_text || ''));
      if (p.reason) card.appendChild(el('div', 'cn-sugg-reason', p.reason));
      var btn = el('button', 'cn-insert', 'Insert');
      btn.type = 'button';
      btn.setAttribute('data-testid', 'console-insert');
      btn.setAttribute('aria-label', 'Insert ' + String(p.short_name || p.title || 'suggestion') + ' into the reply');
      btn.addEventListener('click', function () { insertSuggestion(p); });
      card.appendChild(btn);
      frag.appendChild(card);
    });
    ui.suggestions.replaceChildren(frag);
  }

  // Key specs ("43-inch · 4K"), from the catalog's highlights.
  function highlightText(p) {
    if (!Array.isArray(p.highlights)) return '';
    return p.highlights.map(function (h) { return String(h && h.text || ''); })
      .filter(function (t) { return t; }).join(' · ');
  }

  function renderCart(cart) {
    if (!cart || !cart.length) { ui.cart.replaceChildren(el('li', 'cn-muted', 'Empty.')); return; }
    ui.cart.replaceChildren.apply(ui.cart, cart.map(function (p) {
      var li = el('li');
      li.appendChild(el('span', 'cn-cart-name', p.short_name || p.title));
      li.appendChild(el('span', 'cn-cart-price', p.price_text || ''));
      return li;
    }));
  }

  // ---- reply box ----

  function insertSuggestion(p) {
    var text = 'You might also like the ' + String(p.short_name || p.title || '');
    if (p.price_text) text += ' (' + String(p.price_text) + ')';
    text += p.reason ? ': ' + String(p.reason) : '.';
    var ta = ui.reply;
    var start = st.replyTouched ? ta.selectionStart : ta.value.length;
    var end = st.replyTouched ? ta.selectionEnd : ta.value.length;
    var before = ta.value.slice(0, start), after = ta.value.slice(end);
    if (before && !/\s$/.test(before)) text = ' ' + text;
    if (after && !/^\s/.test(after)) text += ' ';
    ta.setRangeText(text, start, end, 'end');
    st.replyTouched = true;
    ta.focus();
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  ['focus', 'click', 'keyup', 'select'].forEach(function (ev) {
    ui.reply.addEventListener(ev, function () { st.replyTouched = true; });
  });

  ui.copy.addEventListener('click', async function () {
    var ok = false;
    try { await navigator.clipboard.writeText(ui.reply.value); ok = true; } catch (e) {
      ui.reply.select();
      try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
    }
    ui.copyStatus.textContent = ok ? 'Copied' : 'Copy failed: select the text and copy it by hand';
    setTimeout(function () { ui.copyStatus.textContent = ''; }, 2000);
  });

  // ---- start ----

  ui.loginForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var key = ui.keyInput.value.trim();
    if (!key) return;
    ui.loginError.textContent = '';
    signIn(key);
  });
  ui.logout.addEventListener('click', function () { signOut(''); });

  var saved = storage('get');
  if (saved) signIn(saved); else showLogin('');
})();
