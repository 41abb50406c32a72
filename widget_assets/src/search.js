// The search page: #sidebar (filters) and #images (the grid of artworks).
import {loc, nameIn, T, W} from './config.js';
import {call} from './api.js';
import {clear, h, qs} from './dom.js';
import {failed, go, main, S} from './frame.js';
import {setProduct} from './product.js';
import {loadedOnce} from './router.js';

let V = null;
let prefetch = null;
// Tiles above the fold load at once, the rest lazily; the first view's are asked for as soon as the
// search answers, before the CSS, the page and the grid are ready (the grid's images then reuse them).
const EAGER = 8;
const thumb = (it, i) => ({src: it.thumb, srcset: it.thumb + ' 1x, ' + it.thumb2x + ' 2x', alt: '', width: 240, height: 240, loading: i >= EAGER ? 'lazy' : null, decoding: 'async'});
export function dropSearch() { V = null; }
// The first search is asked for while the CSS loads and the page finishes parsing.
// Its tiles above the fold are then asked for at once (as the grid's srcset picks them), from the cache then.
export function prefetchSearch(q) {
  prefetch = {key: qs(q), promise: searchCall(q)};
  prefetch.promise.then((d) => d.items.slice(0, EAGER).forEach((it) => { new Image().src = devicePixelRatio > 1 ? it.thumb2x : it.thumb; }), () => {});
}
function searchView() {
  if (V && V.el.parentNode === main) return V;
  V = {};
  var field = (label, control) => h('label', 'nep-field', h('span', null, label), control);
  var sel = (name, options) => h('select', {name: name, onchange: submit}, h('option', {value: ''}, 'Any'), ...options.map((o) => h('option', {value: o[0]}, o[1])));
  V.q = h('input', {type: 'search', name: 'q', maxlength: 100, autocomplete: 'off'});
  V.substrate = sel('substrate', T.substrates.map((s) => [s.code, s.name]));
  V.orientation = sel('orientation', [['portrait', 'Portrait'], ['landscape', 'Landscape'], ['square', 'Square']]);
  V.artist = sel('artist', []);
  V.form = h('form', {role: 'search', onsubmit: submit}, field('Search', V.q), field('Substrate', V.substrate), field('Orientation', V.orientation), field('Artist', V.artist), h('button', {type: 'submit'}, 'Search'));
  V.side = h('aside', {id: 'sidebar', class: 'nep-side', 'aria-label': 'Filters'}, V.form, h('a', {href: '#/projects', class: 'nep-projects-link'}, 'My projects'));
  V.toggle = h('button', {type: 'button', class: 'nep-toggle', 'aria-expanded': 'false', 'aria-controls': 'sidebar', onclick: () => {
    var open = V.side.classList.toggle('nep-open');
    V.toggle.setAttribute('aria-expanded', open);
  }}, 'Filters');
  V.chips = h('div', 'nep-chips');
  V.count = h('p', {class: 'nep-count', 'aria-live': 'polite'});
  V.grid = h('ul', 'nep-grid');
  V.pager = h('nav', {class: 'nep-pager', 'aria-label': 'Pages'});
  V.images = h('section', {id: 'images', class: 'nep-images', 'aria-label': 'Artworks'}, V.chips, V.count, V.grid, V.pager);
  V.el = h('div', 'nep-search', V.toggle, V.side, V.images);
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
export async function showSearch(q) {
  S.view = 'search';
  var n = ++S.nav;
  setProduct(null);
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
    v.grid.append(h('li', 'nep-empty', h('p', null, 'No artworks match these filters.'), h('button', {type: 'button', onclick: () => go('#/search')}, 'Clear filters')));
    return;
  }
  v.grid.append(...data.items.map((it, i) => h('li', null, h('a', {href: '#' + it.route, class: 'nep-tile'},
    h('span', 'nep-th', h('img', thumb(it, i))),
    h('span', 'nep-t', it.title), h('span', 'nep-a', it.artist)))));
  if (data.pages > 1) {
    var page = (p) => '#/search?' + qs(Object.assign({}, q, {page: p > 1 ? p : ''}));
    if (data.page > 1) v.pager.append(h('a', {href: page(data.page - 1), rel: 'prev'}, '← Previous'));
    v.pager.append(h('span', null, 'Page ' + data.page + ' of ' + data.pages));
    if (data.page < data.pages) v.pager.append(h('a', {href: page(data.page + 1), rel: 'next'}, 'Next →'));
  }
}
