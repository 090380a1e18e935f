// Demo shop page: product search grid + "Similar & extras" recommendations.
// Catalog strings are always inserted as text (textContent / setAttribute), never as HTML.
(function () {
  'use strict';

  var grid = document.getElementById('grid');
  var recs = document.getElementById('recs');
  var statusEl = document.getElementById('status');
  var form = document.getElementById('search-form');
  var input = document.getElementById('search-q');
  var searchSeq = 0;
  var recsSeq = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
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
    var ph = el('div', 'shop-ph', letter.toUpperCase());
    ph.setAttribute('aria-hidden', 'true');
    return ph;
  }

  function image(p) {
    var box = el('div', 'shop-img');
    var url = p.image_url;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
      box.appendChild(placeholder(p.title));
      return box;
    }
    var img = document.createElement('img');
    img.setAttribute('alt', String(p.title || ''));
    img.setAttribute('loading', 'lazy');
    img.setAttribute('referrerpolicy', 'no-referrer');
    img.addEventListener('error', function () { img.replaceWith(placeholder(p.title)); });
    img.src = url;
    box.appendChild(img);
    return box;
  }

  function cardBody(card, p) {
    card.setAttribute('data-product-id', String(p.id));
    card.appendChild(image(p));
    var title = el('h3', 'shop-title', p.short_name || p.title);
    title.setAttribute('title', String(p.title || ''));
    card.appendChild(title);
    card.appendChild(el('div', 'shop-price', p.price_text || ''));
    var r = formatRating(p);
    if (r) card.appendChild(el('div', 'shop-rating', r));
    if (p.in_stock === false) card.appendChild(el('div', 'shop-oos', 'Out of stock'));
  }

  async function getJson(url) {
    var res = await fetch(url, { headers: { Accept: 'application/json' } });
    var body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) {
      var msg = body && body.error && body.error.message ? String(body.error.message) : 'HTTP ' + res.status;
      if (res.status === 429 || res.status === 503) {
        msg = 'The shop is busy, try again in ' + (parseInt(res.headers.get('Retry-After'), 10) || 5) + ' s.';
      }
      throw new Error(msg);
    }
    return body || {};
  }

  // ---- search grid ----

  async function search(q) {
    var seq = ++searchSeq;
    statusEl.textContent = 'Searching…';
    grid.setAttribute('aria-busy', 'true');
    try {
      var data = await getJson('/v1/products/search?q=' + encodeURIComponent(q) + '&limit=24');
      if (seq !== searchSeq) return;
      var products = Array.isArray(data.products) ? data.products : [];
      grid.replaceChildren();
      products.forEach(function (p) { if (p && p.id != null) grid.appendChild(productCard(p)); });
      statusEl.textContent = products.length
        ? products.length + ' result' + (products.length === 1 ? '' : 's') + ' for “' + q + '”'
        : 'No products found for “' + q + '”.';
    } catch (e) {
      if (seq !== searchSeq) return;
      grid.replaceChildren();
      statusEl.textContent = 'Could not load products: ' + e.message;
    } finally {
      if (seq === searchSeq) grid.removeAttribute('aria-busy');
    }
  }

  function productCard(p) {
    var card = el('article', 'shop-card');
    card.setAttribute('data-testid', 'shop-card');
    cardBody(card, p);
    var btn = el('button', 'shop-btn', 'Similar & extras');
    btn.type = 'button';
    btn.setAttribute('data-testid', 'shop-similar');
    btn.setAttribute('aria-label', 'Show similar products and extras for ' + String(p.title || 'this product'));
    btn.addEventListener('click', function () { loadRecs(p); });
    card.appendChild(btn);
    return card;
  }

  // ---- recommendations panel ----

  async function loadRecs(p) {
    var seq = ++recsSeq;
    recs.hidden = false;
    recs.replaceChildren(el('p', 'shop-muted', 'Loading suggestions…'));
    recs.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    try {
      var data = await getJson('/v1/products/' + encodeURIComponent(p.id) + '/recommendations?kind=both&limit=3');
      if (seq !== recsSeq) return;
      renderRecs(data.anchor || p, data.cross_sell || [], data.upsell || []);
    } catch (e) {
      if (seq !== recsSeq) return;
      recs.replaceChildren(el('p', 'shop-error', 'Could not load suggestions: ' + e.message));
    }
  }

  function renderRecs(anchor, cross, up) {
    var head = el('div', 'shop-recs-head');
    var h = el('h2', null, 'Similar & extras for ');
    h.appendChild(el('span', 'shop-recs-anchor', anchor.short_name || anchor.title));
    head.appendChild(h);
    var close = el('button', 'shop-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close suggestions');
    close.addEventListener('click', function () { recs.hidden = true; recs.replaceChildren(); });
    head.appendChild(close);
    recs.replaceChildren(head);
    if (!cross.length && !up.length) {
      recs.appendChild(el('p', 'shop-muted', 'No suggestions for this product yet.'));
      return;
    }
    var body = el('div', 'shop-recs-body');
    recs.appendChild(body);
    [['Goes well with', cross], ['Upgrade picks', up]].forEach(function (group) {
      if (!group[1].length) return;
      var box = el('div', 'shop-recs-group');
      box.appendChild(el('h3', 'shop-recs-title', group[0]));
      var row = el('div', 'shop-recs-row');
      group[1].forEach(function (s) {
        if (!s || s.id == null) return;
        var card = el('article', 'shop-card shop-rec');
        card.setAttribute('data-testid', 'shop-rec');
        card.setAttribute('data-kind', s.kind === 'upsell' ? 'upsell' : 'cross_sell');
        cardBody(card, s);
        if (s.reason) card.appendChild(el('p', 'shop-reason', s.reason));
        row.appendChild(card);
      });
      box.appendChild(row);
      body.appendChild(box);
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    if (!q) { input.focus(); return; }
    history.replaceState(null, '', '?q=' + encodeURIComponent(q));
    search(q);
  });

  var initial = new URLSearchParams(location.search).get('q') || 'headphones';
  input.value = initial;
  search(initial);
})();
