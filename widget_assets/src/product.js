// The product page: the artwork's preview, its option groups, the price, and the buttons.
import {EXTRAS, LABELS, loc, nameIn, styleOf, T, W} from './config.js';
import {call} from './api.js';
import {addToCart, saveProject} from './cart.js';
import {clear, dims, h, money, qs} from './dom.js';
import {emit} from './events.js';
import {failed, main, replaceHash, root, S, say} from './frame.js';
import {login, O, signedIn, who} from './identity.js';
import {previewView, showPreview} from './preview.js';
import {loadedOnce} from './router.js';
import {dropSearch, showSearch} from './search.js';

export let P = null;
export function setProduct(p) { P = p; }
const arts = {};
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
export function clean(c) {
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
export const prices = new Map();
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
  if (b && P) fetchPrice(P.code, nextChoices(P.choices, b.closest('[data-opt]').dataset.opt, b.dataset.val)).catch(() => {});
}
function fallback(text) {
  replaceHash('#/search');
  showSearch({}).then(() => say(text));
}
export async function showProduct(hh) {
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
  dropSearch();
  P = productView(r.code, art);
  loadedOnce();
  emit('widget:price:change', {option: null, value: null, choices: pr.choices});
  apply(pr, null);
  if (note) say(note);
}
function productView(code, art) {
  var p = {code: code, art: art, seq: 0, choices: {}};
  p.dims = h('figcaption', 'nep-dims');
  p.groups = h('div', {class: 'nep-groups', onclick: onGroupClick, onchange: onGroupChange, onpointerdown: onGroupPress});
  p.price = h('span', {class: 'nep-price', 'aria-live': 'polite'});
  p.qty = h('input', {type: 'number', min: 1, max: 99, value: 1, inputmode: 'numeric', class: 'nep-qty'});
  p.add = h('button', {type: 'button', class: 'nep-add', onclick: () => addToCart()}, 'Add to cart');
  p.save = h('button', {type: 'button', class: 'nep-save', onclick: saveProject}, 'Save to projects');
  p.msg = h('p', {class: 'nep-msg', role: 'status'});
  var back = h('a', {href: S.lastSearch, class: 'nep-back'}, '← All artworks');
  var info = h('div', 'nep-opts', h('h3', 'nep-title', art.title), h('p', 'nep-by', art.artist), art.description ? h('p', 'nep-desc', art.description) : null, p.groups,
    h('div', 'nep-buy', p.price, h('label', 'nep-field nep-qtyf', h('span', null, 'Quantity'), p.qty), p.add, p.save), p.msg);
  p.el = h('div', 'nep-product', back, previewView(p, p.dims), info);
  clear(main).append(p.el);
  return p;
}
function group(name, legend, items, current) {
  return h('fieldset', {class: 'nep-group', 'data-opt': name}, h('legend', null, legend), h('div', 'nep-choices', ...items.map((it) =>
    h('button', {type: 'button', class: 'nep-choice', 'data-val': it[0], 'aria-pressed': String(String(current) === String(it[0]))}, it[2] ? swatch(it[2]) : null, it[1]))));
}
// The sizes the style is made in (the options list them per style: a vendor may lack one in one style).
function sizesOf(c) {
  var st = styleOf(c.style);
  return P.art.sizes.filter((s) => !st || !st.sizes || st.sizes.includes(s.code));
}
// What hangs on the wall, as the server works it out (outer_size): the image, plus the matte and the
// moulding when framed, the matte (or the paper's margin) on a print, the face of a gallery wrap.
function sizeLabel(s, c) {
  var st = styleOf(c.style), m = (T.mattes.find((x) => x.code === c.matte) || {}).width || 0;
  var f = st.framed ? (T.frames.find((x) => x.code === c.frame) || {}).width || 0 : 0;
  var add = 2 * (st.framed || st.border_types.length ? m + f : m || st.print_margin), wh = s.image_size.split('x');
  return s.code + ' · ' + dims((+wh[0] + add) + 'x' + (+wh[1] + add));
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
      var v = c[g.dataset.opt];
      if (g.tagName === 'FIELDSET') g.querySelectorAll('button').forEach((b) => {
        b.setAttribute('aria-pressed', b.dataset.val === String(v));
        if (g.dataset.opt === 'size') b.lastChild.textContent = sizeLabel(art.sizes.find((s) => s.code === b.dataset.val), c);
      });
      else if (g.type === 'checkbox') g.checked = !!v;
      else if (document.activeElement !== g) g.value = v === null || v === undefined ? '' : v;
    });
    return;
  }
  P.shape = shape;
  var focus = document.activeElement, key = null;
  if (focus && P.groups.contains(focus)) key = [focus.closest('[data-opt]') && focus.closest('[data-opt]').dataset.opt, focus.dataset.val];
  var frames = T.frames.filter((f) => f.styles.includes(c.style));
  var mattes = T.mattes.filter((m) => m.styles.includes(c.style));
  var kids = [
    group('substrate', 'Substrate', art.substrates.map((s) => [s, nameIn(T.substrates, s)]), c.substrate),
    group('style', 'Style', T.styles.filter((s) => s.substrate === c.substrate).map((s) => [s.code, s.name]), c.style),
    group('size', 'Size on the wall', sizesOf(c).map((s) => [s.code, sizeLabel(s, c)]), c.size),
    frames.length > 1 ? group('frame', 'Frame', frames.map((f) => [f.code, f.name, f.color]), c.frame) : null,
    mattes.length > 1 ? group('matte', 'Matte', mattes.map((m) => [m.code, m.name, m.color]), c.matte) : null,
  ];
  if (st.border_types.length) {
    kids.push(group('border_type', 'Canvas border', st.border_types.map((b) => [b, b[0].toUpperCase() + b.slice(1)]), c.border_type));
    if (c.border_type === 'color') kids.push(h('label', 'nep-field', h('span', null, 'Border colour (any CSS colour)'), h('input', {type: 'text', 'data-opt': 'border_color', value: c.border_color || '', maxlength: 40, spellcheck: 'false'})));
    var min = T.border.min_width_for_bar[c.stretcher_bar] || T.border.min_width, widths = [];
    for (var w = min; w <= T.border.max_width; w++) widths.push(h('option', {value: w, selected: w === c.border_width}, w + ' in'));
    kids.push(h('label', 'nep-field', h('span', null, 'Border width'), h('select', {'data-opt': 'border_width'}, ...widths)));
    if (st.stretcher_bars.length > 1) kids.push(group('stretcher_bar', 'Stretcher bar', st.stretcher_bars.map((b) => [b, b + ' in']), c.stretcher_bar));
  }
  if (st.hardware && O.ShowHardwareOption) kids.push(h('label', 'nep-check', h('input', {type: 'checkbox', 'data-opt': 'security_hardware', checked: !!c.security_hardware}), 'Security hardware'));
  clear(P.groups).append(...kids.filter(Boolean));
  if (key) {
    var again = P.groups.querySelector('[data-opt="' + key[0] + '"]' + (key[1] == null ? '' : ' [data-val="' + key[1] + '"]')) || P.groups.querySelector('[data-opt="' + key[0] + '"]');
    if (again) again.focus();
  }
}
function onGroupClick(e) {
  var b = e.target.closest('button[data-val]');
  if (!b) return;
  var g = b.closest('[data-opt]');
  g.querySelectorAll('button').forEach((x) => x.setAttribute('aria-pressed', x === b));
  choose(g.dataset.opt, b.dataset.val);
}
function onGroupChange(e) {
  var t = e.target, name = t.dataset.opt;
  if (!name) return;
  choose(name, t.type === 'checkbox' ? t.checked : name === 'border_width' ? Number(t.value) : t.value.trim());
}
function nextChoices(c, name, value) {
  if (name === 'substrate') return T.styles.some((s) => s.substrate === value && (!s.sizes || s.sizes.includes(c.size))) ? {substrate: value, size: c.size} : {substrate: value};
  if (name === 'style') {
    var st = styleOf(value), keep = {substrate: c.substrate, style: value};
    if (!st.sizes || st.sizes.includes(c.size)) keep.size = c.size;
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
export async function priceFor(choices, changed) {
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
  showPreview(P, prod.preview, P.art.title + ', ' + nameIn(T.styles, prod.style) + ', ' + nameIn(T.frames, prod.frame));
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
