// The product's preview: the piece alone or on a wall (two tabs), each a <picture> in the widths the layout
// needs (srcset 300/600/1200; AVIF and WebP when the server makes them, the JPEG as fallback). A new
// picture is decoded off-screen and swapped in whole, so the old one stays until the new one can be shown;
// one that cannot be had (429, 503, offline) leaves the old one there and is asked for again a little later.
import {T} from './config.js';
import {h} from './dom.js';

const SIZES = '(max-width: 720px) 100vw, min(55vw, 600px)';
const VIEWS = [['front', 'Front'], ['wall', 'On a wall']];
let view = 'front';

// '…/preview/SKU/VERSION/600.jpg?…' at another width and format, or its wall view.
const at = (url, w, ext) => url.replace(/\/600\.jpg(?=\?|$)/, '/' + w + '.' + ext);
export const wallOf = (url) => url.replace(/\/preview\/(?=[0-9a-f]{16}\/)/, '/wall/');

// The frame with no picture in it yet (or none to be had): the preview's box, empty.
const blank = (wall) => h('picture', null, h('img', {class: 'nep-preview', alt: '', width: 600, height: wall ? 450 : 600}));
function picture(url, alt, wall) {
  const set = (ext) => [300, 600, 1200].map((w) => at(url, w, ext) + ' ' + w + 'w').join(', ');
  const pic = blank(wall), img = pic.lastChild;  // inside the <picture> before any URL: one picture asked for
  img.before(...['avif', 'webp'].filter((f) => (T.preview_formats || []).includes(f))
    .map((f) => h('source', {type: 'image/' + f, srcset: set(f), sizes: SIZES})));
  img.alt = alt;
  img.sizes = SIZES;
  img.srcset = set('jpg');
  img.src = at(url, 600, 'jpg');
  return pic;
}

export function previewView(p, dims) {
  p.pv = 0;
  p.pic = blank();
  p.img = p.pic.lastChild;
  p.tabs = VIEWS.map(([v, t]) => h('button', {type: 'button', role: 'tab', id: 'nep-tab-' + v, 'data-view': v, 'aria-controls': 'nep-pvp'}, t));
  p.panel = h('div', {role: 'tabpanel', id: 'nep-pvp', class: 'nep-pvp'}, p.pic);
  marks(p);
  return h('figure', 'nep-pv', h('div', {role: 'tablist', 'aria-label': 'Preview', class: 'nep-tabs', onclick: (e) => pick(p, e.target.closest('[data-view]')), onkeydown: (e) => key(p, e)}, ...p.tabs), p.panel, dims);
}
function marks(p) {
  p.tabs.forEach((b) => {
    const on = b.dataset.view === view;
    b.setAttribute('aria-selected', on);
    b.tabIndex = on ? 0 : -1;
    if (on) p.panel.setAttribute('aria-labelledby', b.id);
  });
}
function pick(p, b) {
  if (!b || b.dataset.view === view) return;
  view = b.dataset.view;
  marks(p);
  if (p.url) showPreview(p, p.url, p.alt);
}
// Arrow keys, Home and End move between the tabs and select (the WAI-ARIA tabs pattern).
function key(p, e) {
  const i = p.tabs.indexOf(e.target), n = p.tabs.length;
  const j = {ArrowRight: i + 1, ArrowLeft: i - 1 + n, Home: 0, End: n - 1}[e.key];
  if (i < 0 || j === undefined) return;
  e.preventDefault();
  const b = p.tabs[j % n];
  b.focus();
  pick(p, b);
}
const RETRIES = 3;  // after 2, 4 and 8 s; then the next option change or tab asks again
export function showPreview(p, url, alt, tries) {
  p.url = url;
  p.alt = alt;
  const wall = view === 'wall', n = ++p.pv, k = tries || 0;
  const pic = picture(wall ? wallOf(url) : url, wall ? alt + ', on a wall' : alt, wall), img = pic.lastChild;
  const swap = () => {
    if (n !== p.pv) return;
    p.pic.replaceWith(pic);
    p.pic = pic;
    p.img = img;
  };
  const again = () => {
    if (n === p.pv && k < RETRIES) setTimeout(() => { if (n === p.pv) showPreview(p, url, alt, k + 1); }, 2000 << k);
  };
  // A picture in view that fails (the first one, shown while it loads, or another width the browser
  // picks later) gives way to an empty frame rather than a broken-image icon.
  img.onerror = () => {
    if (p.img !== img) return;
    const empty = blank(wall);
    pic.replaceWith(empty);
    p.pic = empty;
    p.img = empty.lastChild;
    again();
  };
  if (!p.img.getAttribute('src')) swap();  // nothing to keep meanwhile: shown as it loads
  else img.decode().then(swap, again);
}
