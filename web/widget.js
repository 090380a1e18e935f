/*
 * shopclerk chat widget.
 *
 * Embed it in any page with one tag:
 *
 *   <script src="https://shop-assistant.example/widget.js" defer></script>
 *
 * The widget takes its API base from the origin of that src, loads <origin>/widget.css,
 * and adds a floating chat button (bottom-right) that opens the shop-assistant panel.
 * The session id is kept in sessionStorage ("shopclerk_session"), so a reload continues.
 * A shop that knows its signed-in customer adds data-customer-id="..." to the tag: their
 * purchase history then shapes the suggestions.
 * The only global it defines is window.ShopclerkWidget = {open(), close()}.
 *
 * Safety: every string from the catalog or the model goes in as text (textContent,
 * createTextNode) or a plain attribute; image URLs must be http(s).
 */
(function () {
  'use strict';

  if (window.ShopclerkWidget) return; // the tag is on the page twice

  // document.currentScript is only set while this file first runs, so read it now.
  var script = document.currentScript ||
    Array.prototype.slice.call(document.querySelectorAll('script[src]')).filter(function (s) {
      return /\/widget\.js(\?|#|$)/.test(s.src);
    }).pop();
  var API = location.origin;
  try { if (script && script.src) API = new URL(script.src, location.href).origin; } catch (e) { /* keep page origin */ }

  var SESSION_KEY = 'shopclerk_session';
  var state = { session: null, busy: false, built: false, historyLoaded: false };
  var ui = {};

  // ---- small helpers ----------------------------------------------------------------------

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function store(op, value) {
    try {
      if (op === 'get') return window.sessionStorage.getItem(SESSION_KEY);
      if (op === 'set') window.sessionStorage.setItem(SESSION_KEY, value);
      if (op === 'del') window.sessionStorage.removeItem(SESSION_KEY);
    } catch (e) { /* storage blocked (sandboxed iframe, privacy mode) */ }
    return null;
  }

  function safeImageUrl(url) {
    return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
  }

  function formatRating(p) {
    if (typeof p.rating !== 'number') return '';
    var s = '★ ' + p.rating.toFixed(1);
    if (typeof p.rating_count === 'number' && p.rating_count > 0) {
      s += ' (' + p.rating_count.toLocaleString('en-US') + ')';
    }
    return s;
  }

  function placeholder(title) {
    var letter = Array.from(String(title || '?').trim())[0] || '?';
    var box = el('div', 'sc-ph', letter.toUpperCase());
    box.setAttribute('aria-hidden', 'true');
    return box;
  }

  function productImage(p) {
    var wrap = el('div', 'sc-img');
    var url = safeImageUrl(p.image_url);
    if (!url) { wrap.appendChild(placeholder(p.title)); return wrap; }
    var img = document.createElement('img');
    img.setAttribute('alt', String(p.title || ''));
    img.setAttribute('loading', 'lazy');
    img.setAttribute('referrerpolicy', 'no-referrer');
    img.addEventListener('error', function () { img.replaceWith(placeholder(p.title)); });
    img.src = url;
    wrap.appendChild(img);
    return wrap;
  }

  function scrollDown(force) {
    var list = ui.list;
    if (!list) return;
    var near = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    if (force || near) list.scrollTop = list.scrollHeight;
  }

  // ---- API --------------------------------------------------------------------------------

  function postJson(path, body, extra) {
    return fetch(API + path, Object.assign({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
      credentials: 'omit'
    }, extra || {}));
  }

  async function readError(res) {
    var err = { status: res.status, code: '', message: '', retryAfter: res.headers.get('Retry-After') };
    try {
      var j = await res.json();
      if (j && j.error) { err.code = String(j.error.code || ''); err.message = String(j.error.message || ''); }
    } catch (e) { /* not JSON */ }
    return err;
  }

  async function createSession() {
    var customer = script && script.getAttribute('data-customer-id');
    var res = await postJson('/v1/sessions', customer ? { customer_id: String(customer) } : {});
    if (!res.ok) throw await readError(res);
    var j = await res.json();
    state.session = String(j.session_id);
    store('set', state.session);
    return state.session;
  }

  function sendEvent(kind, item, extra) {
    if (!state.session || !item) return;
    var body = { session: state.session, kind: kind, item: String(item) };
    if (extra && extra.anchor) body.anchor = String(extra.anchor);
    if (extra && extra.suggestion) body.suggestion = extra.suggestion;
    try {
      postJson('/v1/events', body, { keepalive: true }).catch(function () { /* ignore */ });
    } catch (e) { /* events must never break the chat */ }
  }

  // Reads a text/event-stream body, calling onEvent(name, parsedData) for each frame.
  async function readSse(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buf = '';
    var carry = ''; // a trailing '\r' that may be the first half of '\r\n'
    function frame(text) {
      var name = 'message', data = [];
      text.split('\n').forEach(function (line) {
        if (!line || line[0] === ':') return;
        var i = line.indexOf(':');
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
      });
      if (!data.length) return;
      var parsed;
      try { parsed = JSON.parse(data.join('\n')); } catch (e) { return; }
      onEvent(name, parsed);
    }
    function feed(chunk, last) {
      var text = carry + chunk;
      carry = '';
      if (!last && text.endsWith('\r')) { carry = '\r'; text = text.slice(0, -1); }
      buf += text.replace(/\r\n?/g, '\n');
      var i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        var f = buf.slice(0, i);
        buf = buf.slice(i + 2);
        frame(f);
      }
    }
    for (;;) {
      var r = await reader.read();
      if (r.done) break;
      feed(decoder.decode(r.value, { stream: true }), false);
    }
    feed(decoder.decode(), true);
    if (buf.trim()) frame(buf);
    buf = '';
  }

  // ---- rendering ----------------------------------------------------------------------------

  function addUser(text, into) {
    var m = el('div', 'sc-msg sc-user', text);
    m.setAttribute('data-testid', 'shopclerk-user');
    (into || ui.list).appendChild(m);
    scrollDown(true);
  }

  function addError(text) {
    var m = el('div', 'sc-error', text);
    m.setAttribute('data-testid', 'shopclerk-error');
    m.setAttribute('role', 'alert');
    ui.list.appendChild(m);
    scrollDown(true);
  }

  function addButton(p, extra) {
    var b = el('button', 'sc-add', 'Add to cart');
    b.type = 'button';
    b.setAttribute('data-testid', 'shopclerk-add');
    b.setAttribute('aria-label', 'Add ' + String(p.short_name || p.title || 'item') + ' to cart');
    b.addEventListener('click', function (ev) {
      ev.stopPropagation();
      sendEvent('add_to_cart', p.id, extra);
      b.textContent = 'Added ✓';
      b.disabled = true;
    });
    return b;
  }

  function productCard(p, sugg) {
    var card = el('div', 'sc-card');
    card.setAttribute('data-product-id', String(p.id));
    card.setAttribute('data-testid', sugg ? 'shopclerk-suggestion' : 'shopclerk-card');
    var extra = null;
    if (sugg) {
      var kind = p.kind === 'upsell' ? 'upsell' : 'cross_sell';
      extra = { suggestion: kind, anchor: p.anchor || null };
      card.setAttribute('data-kind', kind);
      card.classList.add('sc-sugg', kind === 'upsell' ? 'sc-up' : 'sc-cross');
      card.appendChild(el('div', 'sc-label', kind === 'upsell' ? 'Upgrade pick' : 'Goes well with'));
    }
    card.appendChild(productImage(p));
    var title = el('div', 'sc-title', p.short_name || p.title);
    title.setAttribute('title', String(p.title || ''));
    card.appendChild(title);
    if (Array.isArray(p.highlights) && p.highlights.length) {
      var specs = p.highlights.map(function (h) { return String(h && h.text || ''); })
        .filter(function (t) { return t; }).join(' · ');
      if (specs) card.appendChild(el('div', 'sc-specs', specs));
    }
    card.appendChild(el('div', 'sc-price', p.price_text || ''));
    if (Array.isArray(p.also_in) && p.also_in.length) {
      card.appendChild(el('div', 'sc-also', 'Also in ' + p.also_in.map(function (v) {
        return String(v && v.label || '');
      }).join(', ')));
    }
    var rating = formatRating(p);
    if (rating) card.appendChild(el('div', 'sc-rating', rating));
    if (sugg && p.reason) {
      var reason = el('div', 'sc-reason', p.reason);
      reason.setAttribute('title', String(p.reason));
      card.appendChild(reason);
    }
    card.appendChild(addButton(p, extra));
    card.addEventListener('click', function () { sendEvent('click', p.id, extra); });
    return card;
  }

  function cardRow(items, sugg, label) {
    var row = el('div', 'sc-row');
    row.setAttribute('role', 'list');
    row.setAttribute('aria-label', label);
    items.forEach(function (p) {
      if (!p || p.id == null) return;
      var c = productCard(p, sugg);
      c.setAttribute('role', 'listitem');
      row.appendChild(c);
    });
    return row.childNodes.length ? row : null;
  }

  // One assistant turn: card rows go above the reply bubble, in the order they arrive.
  function startTurn(into) {
    var turn = el('div', 'sc-turn');
    var bubble = el('div', 'sc-msg sc-bot');
    var typing = el('div', 'sc-typing');
    typing.setAttribute('aria-label', 'Assistant is typing');
    typing.appendChild(el('span')); typing.appendChild(el('span')); typing.appendChild(el('span'));
    var reply = el('div', 'sc-reply');
    reply.setAttribute('data-testid', 'shopclerk-reply');
    bubble.appendChild(typing);
    bubble.appendChild(reply);
    turn.appendChild(bubble);
    (into || ui.list).appendChild(turn);
    scrollDown(true);
    function stopTyping() { if (typing.parentNode) typing.remove(); }
    return {
      rows: function (row) { if (row) { turn.insertBefore(row, bubble); scrollDown(true); } },
      token: function (t) {
        var first = !!typing.parentNode;
        stopTyping();
        reply.appendChild(document.createTextNode(t));
        scrollDown(first);
      },
      // Grounding took back streamed text: the reply so far is this.
      replace: function (t) {
        stopTyping();
        reply.textContent = t;
        scrollDown();
      },
      done: function (text) {
        stopTyping();
        if (typeof text === 'string' && text) reply.textContent = text;
        if (!reply.textContent) bubble.remove();
        reply.setAttribute('data-state', 'done');
        scrollDown();
      },
      fail: function () { stopTyping(); if (!reply.textContent) bubble.remove(); }
    };
  }

  function renderStructured(t, name, data) {
    if (name === 'products' && Array.isArray(data.products)) {
      t.rows(cardRow(data.products, false, 'Products'));
    } else if (name === 'suggestions') {
      var items = [].concat(data.cross_sell || [], data.upsell || []);
      t.rows(cardRow(items, true, 'Suggestions'));
    }
  }

  function politeError(err) {
    if (!err || err instanceof Error) {
      return 'Sorry, I could not reach the shop assistant. Please check your connection and try again.';
    }
    if (err && (err.status === 429 || err.status === 503)) {
      var n = parseInt(err.retryAfter, 10);
      return 'The assistant is busy, try again in ' + (n > 0 ? n : 5) + ' s.';
    }
    if (err && err.code === 'session_busy') return 'Still working on your previous message, one moment please.';
    if (err && err.message) return 'Sorry, something went wrong: ' + err.message;
    return 'Sorry, something went wrong' + (err.status ? ' (' + err.status + ')' : '') + '. Please try again.';
  }

  // ---- a chat turn ----------------------------------------------------------------------------

  async function postMessage(text) {
    if (!state.session) await createSession();
    var res = await postJson('/v1/sessions/' + encodeURIComponent(state.session) + '/messages', { text: text });
    if (res.status === 404) {
      var err = await readError(res);
      if (err.code && err.code !== 'session_not_found') throw err;
      store('del');
      state.session = null;
      await createSession();
      res = await postJson('/v1/sessions/' + encodeURIComponent(state.session) + '/messages', { text: text });
    }
    if (!res.ok) throw await readError(res);
    return res;
  }

  async function send() {
    var text = ui.input.value.trim();
    if (!text || state.busy) return;
    state.busy = true;
    ui.send.disabled = true;
    ui.input.value = '';
    addUser(text);
    var turn = startTurn();
    var finished = false;
    try {
      var res = await postMessage(text);
      if (!res.body) throw { message: 'this browser cannot read streamed replies.' };
      await readSse(res.body, function (name, data) {
        if (name === 'token') turn.token(String(data.text || ''));
        else if (name === 'replace') turn.replace(String(data.text || ''));
        else if (name === 'done') { finished = true; turn.done(data.reply); }
        else if (name === 'error') { finished = true; turn.fail(); addError(politeError(data.error || {})); }
        else renderStructured(turn, name, data || {});
      });
      if (!finished) { turn.fail(); addError('Sorry, the reply was interrupted. Please try again.'); }
    } catch (e) {
      turn.fail();
      addError(politeError(e));
    } finally {
      state.busy = false;
      ui.send.disabled = false;
      if (isOpen()) ui.input.focus();
    }
  }

  // Replays an existing session's turns (after a reload) so the conversation continues.
  async function loadHistory() {
    if (state.historyLoaded || !state.session) return;
    state.historyLoaded = true;
    try {
      var res = await fetch(API + '/v1/sessions/' + encodeURIComponent(state.session), { credentials: 'omit' });
      if (res.status === 404) { store('del'); state.session = null; return; }
      if (!res.ok) return;
      var j = await res.json();
      var anchor = ui.list.firstChild ? ui.list.firstChild.nextSibling : null; // after the welcome line
      var frag = document.createDocumentFragment();
      (j.turns || []).forEach(function (t) {
        addUser(String(t.user || ''), frag);
        var turn = startTurn(frag);
        renderStructured(turn, 'products', { products: t.products || [] });
        renderStructured(turn, 'suggestions', { cross_sell: t.cross_sell || [], upsell: t.upsell || [] });
        turn.done(String(t.reply || ''));
      });
      ui.list.insertBefore(frag, anchor);
      scrollDown(true);
    } catch (e) { /* history is a nicety */ }
  }

  // ---- the widget shell -------------------------------------------------------------------------

  function build() {
    if (state.built) return;
    state.built = true;
    var root = el('div', 'sc-root');
    root.style.display = 'none'; // until widget.css has loaded

    var bubble = el('button', 'sc-bubble');
    bubble.type = 'button';
    bubble.setAttribute('data-testid', 'shopclerk-open');
    bubble.setAttribute('aria-label', 'Open shop assistant chat');
    bubble.setAttribute('aria-expanded', 'false');
    bubble.appendChild(el('span', 'sc-bubble-icon')).setAttribute('aria-hidden', 'true');

    var panel = el('div', 'sc-panel');
    panel.hidden = true;
    panel.setAttribute('data-testid', 'shopclerk-panel');
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', 'Shop assistant');

    var head = el('div', 'sc-head');
    head.appendChild(el('div', 'sc-head-title', 'Shop assistant'));
    var close = el('button', 'sc-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close chat');
    head.appendChild(close);

    var list = el('div', 'sc-list');
    list.setAttribute('aria-live', 'polite');
    list.setAttribute('role', 'log');
    list.appendChild(el('div', 'sc-msg sc-bot sc-welcome',
      'Hi! Tell me what you are looking for and I will find it for you.'));

    var form = el('form', 'sc-form');
    form.setAttribute('autocomplete', 'off');
    var input = el('input', 'sc-input');
    input.type = 'text';
    input.setAttribute('data-testid', 'shopclerk-input');
    input.setAttribute('aria-label', 'Message the shop assistant');
    input.setAttribute('placeholder', 'Ask about a product…');
    input.setAttribute('maxlength', '2000');
    var sendBtn = el('button', 'sc-send', 'Send');
    sendBtn.type = 'submit';
    sendBtn.setAttribute('data-testid', 'shopclerk-send');
    sendBtn.setAttribute('aria-label', 'Send message');
    form.appendChild(input);
    form.appendChild(sendBtn);

    panel.appendChild(head);
    panel.appendChild(list);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(bubble);

    Object.assign(ui, { root: root, bubble: bubble, panel: panel, list: list, input: input, send: sendBtn });

    bubble.addEventListener('click', function () { isOpen() ? closePanel() : openPanel(); });
    close.addEventListener('click', closePanel);
    form.addEventListener('submit', function (ev) { ev.preventDefault(); send(); });
    panel.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') closePanel(); });

    document.body.appendChild(root);
    loadCss();
  }

  function loadCss() {
    var href = API + '/widget.css';
    var show = function () { ui.root.style.display = ''; };
    var existing = Array.prototype.slice.call(document.querySelectorAll('link[rel="stylesheet"]'))
      .some(function (l) { return l.href === href; });
    if (existing) { show(); return; }
    var link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.addEventListener('load', show);
    link.addEventListener('error', show);
    setTimeout(show, 3000);
    (document.head || document.documentElement).appendChild(link);
  }

  function isOpen() { return !!ui.panel && !ui.panel.hidden; }

  function openPanel() {
    build();
    ui.root.style.display = '';
    ui.panel.hidden = false;
    ui.root.classList.add('sc-open');
    ui.bubble.setAttribute('aria-expanded', 'true');
    ui.bubble.setAttribute('aria-label', 'Close shop assistant chat');
    loadHistory();
    scrollDown(true);
    ui.input.focus();
  }

  function closePanel() {
    if (!ui.panel) return;
    ui.panel.hidden = true;
    ui.root.classList.remove('sc-open');
    ui.bubble.setAttribute('aria-expanded', 'false');
    ui.bubble.setAttribute('aria-label', 'Open shop assistant chat');
    ui.bubble.focus();
  }

  state.session = store('get');

  function init() { if (document.body) build(); else setTimeout(init, 20); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();

  window.ShopclerkWidget = Object.freeze({
    open: function () { if (document.body) openPanel(); },
    close: closePanel
  });
})();
