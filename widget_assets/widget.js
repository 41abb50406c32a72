/*
 * easel widget: the Image2ART-compatible framed-art configurator, served by /widget/v1/code.js.
 * No framework, ES2017, one global: image2art ({$, widget}). code.js puts the merchant's settings
 * where __EASEL_CONFIG__ stands at the bottom. Text from the server is only ever set as text.
 * Keep template literals on one line: the serve-time minifier strips indentation line by line.
 */
(function (window, document, C) {
'use strict';
var old = window.image2art;
if (old && old.__easel) return;
var T0 = performance.now();
var pre = old || {};
var W = pre.widget || {};
var loc = window.location;
var script = document.currentScript || document.getElementById('nep_widget');
var BASE = new URL('.', (script && script.src) || loc.href).href;
var T = C.tables;
var EXTRAS = ['matte', 'border_type', 'border_width', 'border_color', 'stretcher_bar', 'security_hardware'];
var LABELS = {frame: 'Frame', matte: 'Matte', size: 'Size', border_width: 'Border width', stretcher_bar: 'Stretcher bar'};

// ---- image2art.$: the jQuery-like event shim the document's examples use (on, off, one, trigger)
var bound = [];
function Q(list) { this.list = list; }
function $(x) { return new Q(typeof x === 'string' ? Array.from(document.querySelectorAll(x)) : [x]); }
function bind(q, types, fn, once) {
  if (typeof fn !== 'function') return q;
  types.split(/\s+/).filter(Boolean).forEach((type) => q.list.forEach((el) => {
    var rec = {el: el, type: type, fn: fn};
    rec.h = function (e) {
      if (once) unbind(rec);
      var d = e.detail;
      if (fn.apply(el, [e].concat(Array.isArray(d) ? d : d === undefined || d === null ? [] : [d])) === false) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    bound.push(rec);
    el.addEventListener(type, rec.h);
  }));
  return q;
}
// on(types, handler), or jQuery's on(types, data|selector, handler): the middle argument is ignored.
Q.prototype.on = function (types, a, b) { return bind(this, types, typeof a === 'function' ? a : b, false); };
Q.prototype.one = function (types, a, b) { return bind(this, types, typeof a === 'function' ? a : b, true); };
Q.prototype.off = function (types, fn) {
  var names = types ? types.split(/\s+/) : null;
  bound.filter((r) => this.list.includes(r.el) && (!names || names.includes(r.type)) && (!fn || r.fn === fn)).forEach(unbind);
  return this;
};
Q.prototype.trigger = function (type, data) {
  this.list.forEach((el) => el.dispatchEvent(new CustomEvent(type, {detail: data, cancelable: true})));
  return this;
};
function unbind(rec) {
  rec.el.removeEventListener(rec.type, rec.h);
  bound = bound.filter((r) => r !== rec);
}
function emit(type, detail) {
  var e = new CustomEvent(type, {detail: detail, cancelable: true});
  window.dispatchEvent(e);
  return e;
}

// ---- options, identity, login
var O = {CustomerId: null, CustomerToken: null, LoginUrl: C.login || '', AuthRequired: {projects: false, pricing: false}, ShowHardwareOption: false};
var started = false;
function setOptions(o) {
  if (!o || typeof o !== 'object') return;
  Object.keys(o).forEach((k) => {
    if (k === 'AuthRequired') Object.assign(O.AuthRequired, o[k] || {});
    else O[k] = o[k];
  });
  prices.clear();
  if (started) refresh();
}
function signedIn() { return O.CustomerId !== null && O.CustomerId !== undefined && O.CustomerId !== ''; }
var anon = null;
function anonId() {
  if (anon) return anon;
  try { anon = localStorage.getItem('nep_widget.anon'); } catch (e) { anon = null; }
  if (!anon) {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    anon = 'anon-' + Array.from(a, (b) => (b + 256).toString(16).slice(1)).join('');
    try { localStorage.setItem('nep_widget.anon', anon); } catch (e) { /* private mode: this page only */ }
  }
  return anon;
}
function who() {
  if (signedIn()) return {id: String(O.CustomerId), token: O.CustomerToken ? String(O.CustomerToken) : ''};
  if (!O.AuthRequired.projects && !C.token) return {id: anonId(), token: ''};
  return null;
}
function allowedOrigin(origin) {
  var o = origin.toLowerCase();
  return C.origins.some((p) => p === o || (p.slice(-2) === ':*' && o.replace(/:\d+$/, '') === p.slice(0, -2)));
}
function loginUrl() {
  var raw = O.LoginUrl || C.login, u;
  if (!raw) return '';
  try { u = new URL(String(raw), loc.href); } catch (e) { return ''; }
  if (!/^https?:$/.test(u.protocol) || (u.origin !== loc.origin && !allowedOrigin(u.origin))) {
    console.error('easel widget: LoginUrl ' + u.href + ' is neither on this site nor on a registered origin; not redirecting there');
    return '';
  }
  u.search = '';
  u.hash = '';
  return u.href + '?redirect_url=' + encodeURIComponent(loc.href);
}
function login(feature) {
  var url = loginUrl();
  if (emit('widget:login:required', {feature: feature, url: url}).defaultPrevented) return;
  if (url) loc.assign(url);
  else say('Please sign in to this shop first.');
}
function needLogin(feature) {
  if (!O.AuthRequired[feature] || signedIn()) return false;
  login(feature);
  return true;
}

// ---- talking to easel
var diagnosed = false;
async function call(path, opt) {
  opt = opt || {};
  var url = BASE + 'api/' + path + (path.includes('?') ? '&' : '?') + 'api_key=' + encodeURIComponent(C.key);
  var headers = {};
  var init = {method: opt.method || 'GET', headers: headers, credentials: 'omit'};
  if (opt.body) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opt.body);
  }
  if (opt.who) {
    headers['X-Customer-Id'] = encodeURIComponent(opt.who.id);
    if (opt.who.token) headers['X-Customer-Token'] = opt.who.token;
  }
  var r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    await diagnose(url);
    throw new Error('the gallery service cannot be reached');
  }
  var data = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (!r.ok) {
    var err = new Error(data.detail || data.title || 'HTTP ' + r.status);
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}
async function diagnose(url) {
  if (diagnosed) return;
  diagnosed = true;
  try {
    await fetch(url, {mode: 'no-cors', credentials: 'omit'});
  } catch (e) {
    return;
  }
  console.error('easel widget: this page\'s origin ' + loc.origin + ' is not registered for api_key ' + C.key + '; the merchant must add it to the allowed origins');
  notice('This gallery is not enabled for ' + loc.origin + '.');
}

// ---- DOM helpers
function h(tag, attrs) {
  var el = document.createElement(tag);
  Object.keys(attrs || {}).forEach((k) => {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  });
  for (var i = 2; i < arguments.length; i++) {
    var kid = arguments[i];
    if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
  }
  return el;
}
function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
function money(v) {
  try {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {style: 'currency', currency: C.currency, minimumFractionDigits: v % 1 ? 2 : 0, maximumFractionDigits: 2}).format(v);
  } catch (e) {
    return C.currency + ' ' + v.toFixed(2);
  }
}
function dims(size) {
  var p = String(size).split('x').map(Number);
  return p[0] + ' × ' + p[1] + ' in (' + Math.round(p[0] * 2.54) + ' × ' + Math.round(p[1] * 2.54) + ' cm)';
}
function qs(o) {
  var p = new URLSearchParams();
  Object.keys(o).forEach((k) => { if (o[k] !== '' && o[k] !== null && o[k] !== undefined) p.set(k, o[k]); });
  return p.toString();
}
var styleOf = (code) => T.styles.find((s) => s.code === code);
var nameIn = (list, code) => (list.find((x) => x.code === code) || {}).name || code;

// ---- the frame: #box_widget > div#nep_widget (the id moves from the script tag to the container)
var box, root, status, main;
function mount() {
  box = document.getElementById('box_widget');
  if (!box) {
    console.error('easel widget: the page has no <div id="box_widget"></div> to show the gallery in');
    return false;
  }
  if (script && script.id === 'nep_widget') script.removeAttribute('id');
  status = h('p', {class: 'nep-status', role: 'status'});
  main = h('div', {class: 'nep-main'});
  root = h('div', {id: 'nep_widget', class: 'nep'}, status, main);
  box.appendChild(root);
  return true;
}
function notice(text) {
  if (!box) return;
  var n = h('p', {class: 'nep-notice', role: 'alert'}, text);
  (root || box).prepend(n);
}
function say(text, label, action) {
  var target = (S.view === 'product' && P && P.msg) || status;
  if (!target) return;
  clear(target).append(text);
  if (label) target.append(' ', h('button', {type: 'button', class: 'nep-link', onclick: action}, label));
}
function failed(el, e, retry) {
  clear(el).append(h(el.tagName === 'UL' ? 'li' : 'div', {class: 'nep-empty', role: 'alert'}, h('p', null, 'Sorry, this could not be loaded (' + e.message + ').'), h('button', {type: 'button', onclick: retry}, 'Try again')));
}
function go(hash) { if (loc.hash === hash) route(); else loc.hash = hash; }
function replaceHash(hash) { if (loc.hash !== hash) history.replaceState(history.state, '', hash); }

// ---- routing: only #/search…, #/product/… and #/projects belong to the widget
var S = {view: '', nav: 0, facets: null, lastSearch: '#/search'};
var P = null;
var loaded = false;
function loadedOnce() {
  if (loaded) return;
  loaded = true;
  W.timing.loaded = performance.now();
  emit('widget:loaded', {view: S.view});
}
function route() {
  var hh = loc.hash;
  if (status) status.textContent = '';
  if (hh.indexOf('#/product/') === 0) return showProduct(hh);
  if (hh.indexOf('#/projects') === 0) return showProjects();
  if (hh.indexOf('#/search') === 0 || hh === '' || hh === '#' || !S.view) return showSearch(searchParams(hh));
}
function searchParams(hh) {
  var p = new URLSearchParams(hh.indexOf('#/search?') === 0 ? hh.slice(9) : '');
  var q = {};
  ['q', 'substrate', 'orientation', 'artist', 'page'].forEach((k) => { if (p.get(k)) q[k] = p.get(k).slice(0, 200); });
  return q;
}
function refresh() {
  if (S.view === 'product' && P) priceFor(P.choices);
  else if (S.view === 'projects') showProjects();
}

// ---- search page: #sidebar (filters) and #images (grid)
var V = null;
var prefetch = null;
function searchView() {
  if (V && V.el.parentNode === main) return V;
  V = {};
  var field = (label, control) => h('label', {class: 'nep-field'}, h('span', null, label), control);
  var sel = (name, options) => h('select', {name: name, onchange: submit}, h('option', {value: ''}, 'Any'), ...options.map((o) => h('option', {value: o[0]}, o[1])));
  V.q = h('input', {type: 'search', name: 'q', maxlength: 100, autocomplete: 'off'});
  V.substrate = sel('substrate', T.substrates.map((s) => [s.code, s.name]));
  V.orientation = sel('orientation', [['portrait', 'Portrait'], ['landscape', 'Landscape'], ['square', 'Square']]);
  V.artist = sel('artist', []);
  V.form = h('form', {role: 'search', onsubmit: submit}, field('Search', V.q), field('Substrate', V.substrate), field('Orientation', V.orientation), field('Artist', V.artist), h('button', {type: 'submit'}, 'Search'));
  V.side = h('aside', {id: 'sidebar', class: 'nep-side', 'aria-label': 'Filters'}, V.form, h('a', {href: '#/projects', class: 'nep-projects-link'}, 'My projects'));
  V.toggle = h('button', {type: 'button', class: 'nep-toggle', 'aria-expanded': 'false', 'aria-controls': 'sidebar', onclick: () => {
    var open = V.side.classList.toggle('nep-open');
    V.toggle.setAttribute('aria-expanded', String(open));
  }}, 'Filters');
  V.chips = h('div', {class: 'nep-chips'});
  V.count = h('p', {class: 'nep-count', 'aria-live': 'polite'});
  V.grid = h('ul', {class: 'nep-grid'});
  V.pager = h('nav', {class: 'nep-pager', 'aria-label': 'Pages'});
  V.images = h('section', {id: 'images', class: 'nep-images', 'aria-label': 'Artworks'}, V.chips, V.count, V.grid, V.pager);
  V.el = h('div', {class: 'nep-search'}, V.toggle, V.side, V.images);
  clear(main).append(V.el);
  if (S.facets) fillArtists();
  return V;
}
function fillArtists() {
  var keep = V.artist.value;
  V.artist.append(...S.facets.artists.map((a) => h('option', {value: a}, a)));
  V.artist.value = keep;
}
function submit(e) {
  if (e) e.preventDefault();
  var q = {};
  ['q', 'substrate', 'orientation', 'artist'].forEach((k) => { if (V[k].value.trim()) q[k] = V[k].value.trim(); });
  go('#/search' + (qs(q) ? '?' + qs(q) : ''));
}
function searchCall(q) { return call('search?' + qs(q) + (S.facets ? '' : '&facets=1')); }
async function showSearch(q) {
  S.view = 'search';
  var n = ++S.nav;
  P = null;
  S.lastSearch = loc.hash.indexOf('#/search') === 0 ? loc.hash : '#/search';
  var v = searchView();
  ['q', 'substrate', 'orientation', 'artist'].forEach((k) => { v[k].value = q[k] || ''; });
  v.images.setAttribute('aria-busy', 'true');
  var data;
  try {
    var pending = prefetch;
    prefetch = null;
    data = await (pending && pending.key === qs(q) ? pending.promise : searchCall(q));
  } catch (e) {
    if (n === S.nav) failed(v.grid, e, () => showSearch(q));
    return;
  }
  if (n !== S.nav) return;
  if (data.facets && !S.facets) {
    S.facets = data.facets;
    fillArtists();
    v.artist.value = q.artist || '';
  }
  grid(v, data, q);
  v.images.removeAttribute('aria-busy');
  requestAnimationFrame(() => {
    if (!W.timing.grid) W.timing.grid = performance.now();
    loadedOnce();
  });
}
function grid(v, data, q) {
  clear(v.chips);
  ['q', 'substrate', 'orientation', 'artist'].forEach((k) => {
    if (!q[k]) return;
    var rest = Object.assign({}, q);
    delete rest[k];
    delete rest.page;
    var label = k === 'substrate' ? nameIn(T.substrates, q[k]) : q[k];
    v.chips.append(h('button', {type: 'button', class: 'nep-chip', 'aria-label': 'Remove filter ' + label, onclick: () => go('#/search' + (qs(rest) ? '?' + qs(rest) : ''))}, label + ' ✕'));
  });
  v.count.textContent = data.total === 1 ? '1 artwork' : data.total + ' artworks';
  clear(v.grid);
  clear(v.pager);
  if (!data.items.length) {
    v.grid.append(h('li', {class: 'nep-empty'}, h('p', null, 'No artworks match these filters.'), h('button', {type: 'button', onclick: () => go('#/search')}, 'Clear filters')));
    return;
  }
  v.grid.append(...data.items.map((it, i) => h('li', null, h('a', {href: '#' + it.route, class: 'nep-tile'},
    h('span', {class: 'nep-th'}, h('img', {src: it.thumb, srcset: it.thumb + ' 1x, ' + it.thumb2x + ' 2x', alt: '', width: 240, height: 240, loading: i > 7 ? 'lazy' : null, decoding: 'async'})),
    h('span', {class: 'nep-t'}, it.title), h('span', {class: 'nep-a'}, it.artist)))));
  if (data.pages > 1) {
    var page = (p) => '#/search?' + qs(Object.assign({}, q, {page: p > 1 ? p : ''}));
    if (data.page > 1) v.pager.append(h('a', {href: page(data.page - 1), rel: 'prev'}, '← Previous'));
    v.pager.append(h('span', null, 'Page ' + data.page + ' of ' + data.pages));
    if (data.page < data.pages) v.pager.append(h('a', {href: page(data.page + 1), rel: 'next'}, 'Next →'));
  }
}

// ---- product page
var arts = {};
function artwork(code) {
  if (!arts[code]) arts[code] = call('artworks/' + encodeURIComponent(code)).catch((e) => { delete arts[code]; throw e; });
  return arts[code];
}
function parseProduct(hh) {
  var cut = hh.indexOf('?');
  var parts = hh.slice(2, cut < 0 ? undefined : cut).split('/');
  if (parts[0] !== 'product' || parts[1] !== 'edit' || parts.length < 3 || parts.length > 7) return null;
  var choices = {}, code;
  try {
    code = decodeURIComponent(parts[2]).toUpperCase();
    ['substrate', 'style', 'frame', 'size'].forEach((k, i) => { if (parts[3 + i]) choices[k] = decodeURIComponent(parts[3 + i]).slice(0, 60); });
  } catch (e) {
    return null;
  }
  if (!/^[A-Z0-9][A-Z0-9_-]{1,31}$/.test(code)) return null;
  new URLSearchParams(cut < 0 ? '' : hh.slice(cut + 1)).forEach((v, k) => { if (EXTRAS.includes(k)) choices[k] = v.slice(0, 60); });
  return {code: code, choices: choices};
}
function clean(c) {
  var st = styleOf(c.style), o = {};
  ['substrate', 'style', 'frame', 'matte', 'size'].forEach((k) => { if (c[k]) o[k] = c[k]; });
  if (st && st.border_types.length) {
    ['border_type', 'border_color', 'border_width', 'stretcher_bar'].forEach((k) => { if (c[k] !== null && c[k] !== undefined && c[k] !== '') o[k] = c[k]; });
  }
  if (c.security_hardware && c.security_hardware !== '0' && c.security_hardware !== 'false' && (!st || st.hardware)) o.security_hardware = 1;
  return o;
}
// Prices are kept a minute (a shopper going back to a frame sees it at once) and asked for on
// pointerdown, so the press itself hides the round trip; setOptions forgets them.
var prices = new Map();
function fetchPrice(code, choices, anonymous) {
  var auth = O.AuthRequired.pricing, me = auth && signedIn() && !anonymous ? who() : null;
  var q = qs(Object.assign({code: code}, clean(choices), auth ? {auth: 'pricing'} : {}));
  var key = q + (me ? '|' + me.id + '|' + me.token : ''), hit = prices.get(key);
  if (hit && hit.t > Date.now() - 60000) return hit.p;
  var p = call('price?' + q, {who: me});
  if (auth && !anonymous) p = p.catch((e) => { if (e.status === 401) return fetchPrice(code, choices, true); throw e; });
  prices.set(key, {t: Date.now(), p: p});
  p.catch(() => prices.delete(key));
  if (prices.size > 50) prices.delete(prices.keys().next().value);
  return p;
}
function onGroupPress(e) {
  var b = e.target.closest('button[data-val]');
  if (b && P) fetchPrice(P.code, nextChoices(P.choices, b.closest('[data-opt]').getAttribute('data-opt'), b.getAttribute('data-val'))).catch(() => {});
}
function fallback(text) {
  replaceHash('#/search');
  showSearch({}).then(() => say(text));
}
async function showProduct(hh) {
  var r = parseProduct(hh);
  if (!r) return fallback('That link does not lead to an artwork; here is the whole gallery.');
  S.view = 'product';
  var n = ++S.nav, note = '', art, pr;
  try {
    [art, pr] = await Promise.all([artwork(r.code), fetchPrice(r.code, r.choices)]);
  } catch (e) {
    if (n !== S.nav) return;
    if (e.status === 404) return fallback('That artwork is not in this gallery.');
    if (e.status !== 422) return failed(main, e, () => showProduct(hh));
    try {
      [art, pr] = await Promise.all([artwork(r.code), fetchPrice(r.code, {})]);
      note = 'Some options in that link are not offered; showing the standard ones.';
    } catch (e2) {
      if (n === S.nav) fallback('That artwork is not in this gallery.');
      return;
    }
  }
  if (n !== S.nav) return;
  V = null;
  P = productView(r.code, art);
  loadedOnce();
  emit('widget:price:change', {option: null, value: null, choices: pr.choices});
  apply(pr, null);
  if (note) say(note);
}
function productView(code, art) {
  var p = {code: code, art: art, seq: 0, choices: {}};
  p.img = h('img', {class: 'nep-preview', alt: '', width: 600, height: 600});
  p.dims = h('figcaption', {class: 'nep-dims'});
  p.groups = h('div', {class: 'nep-groups', onclick: onGroupClick, onchange: onGroupChange, onpointerdown: onGroupPress});
  p.price = h('span', {class: 'nep-price', 'aria-live': 'polite'});
  p.qty = h('input', {type: 'number', min: 1, max: 99, value: 1, inputmode: 'numeric', class: 'nep-qty'});
  p.add = h('button', {type: 'button', class: 'nep-add', onclick: () => addToCart()}, 'Add to cart');
  p.save = h('button', {type: 'button', class: 'nep-save', onclick: saveProject}, 'Save to projects');
  p.msg = h('p', {class: 'nep-msg', role: 'status'});
  var back = h('a', {href: S.lastSearch, class: 'nep-back'}, '← All artworks');
  var info = h('div', {class: 'nep-opts'}, h('h3', {class: 'nep-title'}, art.title), h('p', {class: 'nep-by'}, art.artist), art.description ? h('p', {class: 'nep-desc'}, art.description) : null, p.groups,
    h('div', {class: 'nep-buy'}, p.price, h('label', {class: 'nep-field nep-qtyf'}, h('span', null, 'Quantity'), p.qty), p.add, p.save), p.msg);
  p.el = h('div', {class: 'nep-product'}, back, h('figure', {class: 'nep-pv'}, p.img, p.dims), info);
  clear(main).append(p.el);
  return p;
}
function group(name, legend, items, current) {
  return h('fieldset', {class: 'nep-group', 'data-opt': name}, h('legend', null, legend), h('div', {class: 'nep-choices'}, ...items.map((it) =>
    h('button', {type: 'button', class: 'nep-choice', 'data-val': it[0], 'aria-pressed': String(String(current) === String(it[0]))}, it[2] ? swatch(it[2]) : null, it[1]))));
}
function swatch(color) {
  var s = h('span', {class: 'nep-sw', 'aria-hidden': 'true'});
  s.style.background = color;
  return s;
}
function renderGroups() {
  var c = P.choices, st = styleOf(c.style), art = P.art;
  var shape = [c.substrate, c.style, c.border_type, c.stretcher_bar, O.ShowHardwareOption].join('|');
  if (P.shape === shape) {
    // Same controls as before: only mark the current choices (keeps focus and spares the DOM).
    P.groups.querySelectorAll('[data-opt]').forEach((g) => {
      var v = c[g.getAttribute('data-opt')];
      if (g.tagName === 'FIELDSET') g.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b.getAttribute('data-val') === String(v))));
      else if (g.type === 'checkbox') g.checked = !!v;
      else if (document.activeElement !== g) g.value = v === null || v === undefined ? '' : v;
    });
    return;
  }
  P.shape = shape;
  var focus = document.activeElement, key = null;
  if (focus && P.groups.contains(focus)) key = [focus.closest('[data-opt]') && focus.closest('[data-opt]').getAttribute('data-opt'), focus.getAttribute('data-val')];
  var frames = T.frames.filter((f) => f.styles.includes(c.style));
  var mattes = T.mattes.filter((m) => m.styles.includes(c.style));
  var kids = [
    group('substrate', 'Substrate', art.substrates.map((s) => [s, nameIn(T.substrates, s)]), c.substrate),
    group('style', 'Style', T.styles.filter((s) => s.substrate === c.substrate).map((s) => [s.code, s.name]), c.style),
    group('size', 'Size', art.sizes.map((s) => [s.code, s.code + ' · ' + s.image_size.replace('x', ' × ') + ' in']), c.size),
    frames.length > 1 ? group('frame', 'Frame', frames.map((f) => [f.code, f.name, f.color]), c.frame) : null,
    mattes.length > 1 ? group('matte', 'Matte', mattes.map((m) => [m.code, m.name, m.color]), c.matte) : null,
  ];
  if (st.border_types.length) {
    kids.push(group('border_type', 'Canvas border', st.border_types.map((b) => [b, b[0].toUpperCase() + b.slice(1)]), c.border_type));
    if (c.border_type === 'color') kids.push(h('label', {class: 'nep-field'}, h('span', null, 'Border colour (any CSS colour)'), h('input', {type: 'text', 'data-opt': 'border_color', value: c.border_color || '', maxlength: 40, spellcheck: 'false'})));
    var min = T.border.min_width_for_bar[c.stretcher_bar] || T.border.min_width, widths = [];
    for (var w = min; w <= T.border.max_width; w++) widths.push(h('option', {value: w, selected: w === c.border_width}, w + ' in'));
    kids.push(h('label', {class: 'nep-field'}, h('span', null, 'Border width'), h('select', {'data-opt': 'border_width'}, ...widths)));
    if (st.stretcher_bars.length > 1) kids.push(group('stretcher_bar', 'Stretcher bar', st.stretcher_bars.map((b) => [b, b + ' in']), c.stretcher_bar));
  }
  if (st.hardware && O.ShowHardwareOption) kids.push(h('label', {class: 'nep-check'}, h('input', {type: 'checkbox', 'data-opt': 'security_hardware', checked: !!c.security_hardware}), 'Security hardware'));
  clear(P.groups).append(...kids.filter(Boolean));
  if (key) {
    var again = P.groups.querySelector('[data-opt="' + key[0] + '"]' + (key[1] === null ? '' : ' [data-val="' + key[1] + '"]')) || P.groups.querySelector('[data-opt="' + key[0] + '"]');
    if (again) again.focus();
  }
}
function onGroupClick(e) {
  var b = e.target.closest('button[data-val]');
  if (!b) return;
  var g = b.closest('[data-opt]');
  g.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
  choose(g.getAttribute('data-opt'), b.getAttribute('data-val'));
}
function onGroupChange(e) {
  var t = e.target, name = t.getAttribute('data-opt');
  if (!name) return;
  choose(name, t.type === 'checkbox' ? t.checked : name === 'border_width' ? Number(t.value) : t.value.trim());
}
function nextChoices(c, name, value) {
  if (name === 'substrate') return {substrate: value, size: c.size};
  if (name === 'style') {
    var st = styleOf(value), keep = {substrate: c.substrate, style: value, size: c.size};
    if (T.frames.some((f) => f.code === c.frame && f.styles.includes(value))) keep.frame = c.frame;
    if (T.mattes.some((m) => m.code === c.matte && m.styles.includes(value))) keep.matte = c.matte;
    if (st.border_types.includes(c.border_type)) Object.assign(keep, {border_type: c.border_type, border_color: c.border_color, border_width: c.border_width});
    if (st.stretcher_bars.includes(c.stretcher_bar)) keep.stretcher_bar = c.stretcher_bar;
    if (st.hardware) keep.security_hardware = c.security_hardware;
    return keep;
  }
  var n = Object.assign({}, c);
  n[name] = value;
  if (name === 'border_type') n.border_color = value === 'color' ? c.border_color || 'white' : null;
  if (name === 'stretcher_bar') n.border_width = Math.max(n.border_width || 0, T.border.min_width_for_bar[value] || T.border.min_width);
  return n;
}
function choose(name, value) {
  var next = nextChoices(P.choices, name, value);
  emit('widget:price:change', {option: name, value: value, choices: next});
  priceFor(next, name);
}
async function priceFor(choices, changed) {
  var n = ++P.seq, pr, p = P;
  root.classList.add('nep-busy');
  try {
    pr = await fetchPrice(p.code, choices);
  } catch (e) {
    if (n !== p.seq || P !== p) return;
    root.classList.remove('nep-busy');
    renderGroups();
    say(e.status === 422 ? 'That combination is not offered: ' + e.message : 'The price could not be updated (' + e.message + ').', 'Try again', () => priceFor(choices, changed));
    return;
  }
  if (n === p.seq && P === p) apply(pr, changed);
}
function apply(pr, changed) {
  var before = P.choices, moved = [], wrapped = styleOf(before.style) && styleOf(before.style).border_types.length;
  if (changed) {
    Object.keys(LABELS).forEach((k) => {
      var was = before[k];
      if (k !== changed && (wrapped || k === 'frame' || k === 'matte' || k === 'size') && was !== undefined && was !== null && was !== 'F0000' && was !== 'ML000' && String(pr.choices[k]) !== String(was)) moved.push(LABELS[k] + ': ' + label(k, pr.choices[k]));
    });
  }
  P.pr = pr;
  P.choices = pr.choices;
  replaceHash('#' + pr.route);
  renderGroups();
  var prod = pr.product;
  preview(prod.preview, P.art.title + ', ' + nameIn(T.styles, prod.style) + ', ' + nameIn(T.frames, prod.frame));
  P.dims.textContent = 'Size on the wall: ' + dims(prod.outer_size);
  clear(P.price);
  P.shown = null;
  P.product = Object.assign({}, prod, {url: loc.href});
  if (pr.price === null || pr.price === undefined) {
    P.price.append(h('button', {type: 'button', class: 'nep-signin', onclick: () => login('pricing')}, 'Sign in to see prices'));
  } else {
    P.shown = customPrice(P.product);
    P.price.textContent = money(P.shown);
  }
  root.classList.remove('nep-busy');
  say(moved.length ? 'Also changed to fit: ' + moved.join(', ') + '.' : '');
  emit('widget:price:changed', {product: P.product, price: P.shown});
}
function label(k, v) {
  if (k === 'frame') return nameIn(T.frames, v);
  if (k === 'matte') return nameIn(T.mattes, v);
  return k === 'size' ? v : v + ' in';
}
function customPrice(product) {
  var v;
  try {
    v = W.setPrice(Object.assign({}, product));
  } catch (e) {
    console.warn('easel widget: image2art.widget.setPrice threw; showing the list price', e);
    return product.price;
  }
  if (typeof v !== 'number' || !isFinite(v) || v < 0) {
    console.warn('easel widget: image2art.widget.setPrice returned ' + String(v) + ', not a number ≥ 0; showing the list price');
    return product.price;
  }
  return v;
}
function preview(url, alt) {
  var img = P.img;
  if (!img.getAttribute('src')) {
    img.src = url;
    img.alt = alt;
    return;
  }
  var next = new Image();
  P.want = url;
  next.onload = () => {
    if (P && P.img === img && P.want === url) {
      img.src = url;
      img.alt = alt;
    }
  };
  next.src = url;
}

// ---- cart and projects
function quantity() {
  var q = Math.round(Number(P.qty.value));
  return q >= 1 && q <= 99 ? q : 1;
}
async function addToCart(again) {
  if (needLogin('pricing')) return;
  var body = again || {code: P.code, choices: clean(P.choices), quantity: quantity(), price: P.shown, url: loc.href, auth: O.AuthRequired.pricing ? 'pricing' : ''};
  var p = P;
  p.add.disabled = true;
  say('Adding to your cart…');
  try {
    var res;
    if (C.cart.mode === 'relay') {
      res = await call('cart/relay', {method: 'POST', body: body, who: who()});
    } else {
      if (!C.cart.path) throw new Error('this shop has not set up its cart');
      var item = (await call('cart/item', {method: 'POST', body: body, who: signedIn() ? who() : null})).item;
      var r = await fetch(new URL(C.cart.path, loc.origin).href, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify(item)});
      var text = await r.text(), answer;
      try { answer = JSON.parse(text); } catch (e) { answer = text; }
      if (!r.ok) throw new Error((answer && answer.error) || 'the shop answered ' + r.status);
      res = {item: item, answer: answer};
    }
    if (P === p) say('Added to your cart.');
    emit('widget:cart:added', {item: res.item, answer: res.answer});
  } catch (e) {
    var why = (e.data && e.data.answer && e.data.answer.error) || e.message;
    if (P === p) say('Could not add to cart: ' + why, 'Try again', () => addToCart(body));
  } finally {
    p.add.disabled = false;
  }
}
async function saveProject() {
  if (needLogin('projects')) return;
  var me = who();
  if (!me) return login('projects');
  try {
    await call('projects', {method: 'POST', body: {name: P.art.title + ' (' + P.choices.size + ')', code: P.code, choices: clean(P.choices)}, who: me});
    say('Saved to your projects.', 'View projects', () => go('#/projects'));
  } catch (e) {
    say('Could not save: ' + e.message);
  }
}
async function showProjects() {
  S.view = 'projects';
  P = null;
  V = null;
  var n = ++S.nav, me = who();
  var list = h('ul', {class: 'nep-projects'});
  var view = h('div', {class: 'nep-projects-page'}, h('a', {href: S.lastSearch, class: 'nep-back'}, '← All artworks'), h('h3', {class: 'nep-title'}, 'My projects'), list);
  clear(main).append(view);
  if (O.AuthRequired.projects && !signedIn() || !me) {
    list.append(h('li', {class: 'nep-empty'}, h('p', null, 'Sign in to keep your framing projects.'), h('button', {type: 'button', onclick: () => login('projects')}, 'Sign in')));
    return loadedOnce();
  }
  var data;
  try {
    data = await call('projects', {who: me});
  } catch (e) {
    if (n === S.nav) failed(list, e, showProjects);
    return;
  }
  if (n !== S.nav) return;
  if (!data.projects.length) list.append(h('li', {class: 'nep-empty'}, h('p', null, 'No projects yet: configure a piece and choose “Save to projects”.')));
  list.append(...data.projects.map((pj) => projectRow(pj, me)));
  loadedOnce();
}
function projectRow(pj, me) {
  var name = h('input', {type: 'text', value: pj.name, maxlength: 200, 'aria-label': 'Name of project ' + pj.name});
  var row = h('li', {class: 'nep-project'}, pj.thumb ? h('img', {src: pj.thumb, alt: '', width: 80, height: 80, loading: 'lazy'}) : null,
    h('div', null, h('a', {href: '#' + pj.route, class: 'nep-open'}, pj.name), h('span', {class: 'nep-a'}, pj.title),
      h('form', {class: 'nep-rename', onsubmit: async (e) => {
        e.preventDefault();
        try {
          var out = await call('projects/' + pj.id, {method: 'PATCH', body: {name: name.value}, who: me});
          row.querySelector('.nep-open').textContent = out.project.name;
          say('Renamed.');
        } catch (err) {
          say('Could not rename: ' + err.message);
        }
      }}, name, h('button', {type: 'submit'}, 'Rename'))),
    h('button', {type: 'button', class: 'nep-delete', onclick: async () => {
      try {
        await call('projects/' + pj.id, {method: 'DELETE', who: me});
        row.remove();
        say('Deleted “' + pj.name + '”.');
      } catch (err) {
        say('Could not delete: ' + err.message);
      }
    }}, 'Delete'));
  return row;
}

// ---- start: CSS and DOM, then widget:ready, then the first view and widget:loaded
W.setOptions = setOptions;
if (typeof W.setPrice !== 'function') W.setPrice = function (product) { return product.price; };
W.initialize = route;
W.timing = {start: T0};
(W._o || []).forEach(setOptions);
window.image2art = Object.assign(pre, {$: $, widget: W, __easel: true});
if (loc.hash === '' || loc.hash.indexOf('#/search') === 0 || !/^#\/(product|projects)/.test(loc.hash)) {
  var q0 = searchParams(loc.hash);
  prefetch = {key: qs(q0), promise: searchCall(q0)};
  prefetch.promise.catch(() => {});
}
var css = new Promise((done) => {
  var l = h('link', {rel: 'stylesheet', href: new URL(C.css, BASE).href});
  l.onload = l.onerror = done;
  var head = document.head || document.documentElement;
  head.insertBefore(l, head.firstChild);
});
var dom = new Promise((done) => {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', done);
  else setTimeout(done);
});
Promise.all([css, dom]).then(() => {
  if (!mount()) return;
  started = true;
  W.timing.ready = performance.now();
  emit('widget:ready', {});
  window.addEventListener('hashchange', route);
  Promise.resolve(route()).then(loadedOnce, loadedOnce);
});
})(window, document, __EASEL_CONFIG__);
