// The entry: defines image2art ({$, widget}), then, once the CSS and the page are ready, mounts the
// frame, fires widget:ready, shows the first view and fires widget:loaded. A second copy of the script
// on the same page does nothing.
import {BASE, C, loc, pre, T0, W} from './config.js';
import {h, qs} from './dom.js';
import {$, emit} from './events.js';
import {mount} from './frame.js';
import {mergeOptions} from './identity.js';
import {prices} from './product.js';
import {loadedOnce, refresh, route, searchParams} from './router.js';
import {prefetchSearch} from './search.js';

let started = false;
function setOptions(o) {
  if (!o || typeof o !== 'object') return;
  mergeOptions(o);
  prices.clear();
  if (started) refresh();
}

function start() {
  W.setOptions = setOptions;
  if (typeof W.setPrice !== 'function') W.setPrice = function (product) { return product.price; };
  W.initialize = route;
  W.timing = {start: T0};
  (W._o || []).forEach(setOptions);
  window.image2art = Object.assign(pre, {$: $, widget: W, __easel: true});
  if (!/^#\/(product|projects)/.test(loc.hash)) prefetchSearch(searchParams(loc.hash));
  const css = new Promise((done) => {
    const l = h('link', {rel: 'stylesheet', href: new URL(C.css, BASE).href});
    l.onload = l.onerror = done;
    const head = document.head || document.documentElement;
    head.insertBefore(l, head.firstChild);
  });
  const dom = new Promise((done) => {
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
}

if (!pre.__easel) start();
