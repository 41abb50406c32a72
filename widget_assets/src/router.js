// Routing: only #/search…, #/product/… and #/projects belong to the widget.
import {loc, W} from './config.js';
import {emit} from './events.js';
import {S, status} from './frame.js';
import {P, priceFor, showProduct} from './product.js';
import {showProjects} from './projects.js';
import {showSearch} from './search.js';

let loaded = false;
export function loadedOnce() {
  if (loaded) return;
  loaded = true;
  W.timing.loaded = performance.now();
  emit('widget:loaded', {view: S.view});
}
export function route() {
  const hh = loc.hash;
  if (status) status.textContent = '';
  if (hh.indexOf('#/product/') === 0) return showProduct(hh);
  if (hh.indexOf('#/projects') === 0) return showProjects();
  if (hh.indexOf('#/search') === 0 || hh === '' || hh === '#' || !S.view) return showSearch(searchParams(hh));
}
export function searchParams(hh) {
  const p = new URLSearchParams(hh.indexOf('#/search?') === 0 ? hh.slice(9) : '');
  const q = {};
  ['q', 'substrate', 'orientation', 'artist', 'page'].forEach((k) => { if (p.get(k)) q[k] = p.get(k).slice(0, 200); });
  return q;
}
export function refresh() {
  if (S.view === 'product' && P) priceFor(P.choices);
  else if (S.view === 'projects') showProjects();
}
