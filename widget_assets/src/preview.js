// The product's preview: the piece alone or on a wall (two tabs), each a <picture> in the widths the layout
// needs (srcset 300/600/1200; AVIF and WebP when the server makes them, the JPEG as fallback). A new
// picture is decoded off-screen and swapped in whole, so the old one stays until the new one can be shown.
import {T} from './config.js';
import {h} from './dom.js';

const SIZES = '(max-width: 720px) 100vw, min(55vw, 600px)';
const VIEWS = [['front', 'Front'], ['wall', 'On a wall']];
let view = 'front';

// '…/preview/SKU/VERSION/600.jpg?…' at another width and format, or its wall view.
const at = (url, w, ext) => url.replace(/\/600\.jpg(?=\?|$)/, '/' + w + '.' + ext);
export const wallOf = (url) => url.replace(/\/preview\/(?=[0-9a-f]{16}\/)/, '/wall/');

function picture(url, alt, wall) {
  const set = (ext) => [300, 600, 1200].map((w) => at(url, w, ext) + ' ' + w + 'w').join(', ');
  const pic = h('picture', null, ...['avif', 'webp'].filter((f) => (T.preview_formats || []).includes(f))
    .map((f) => h('source', {type: 'image/' + f, srcset: set(f), sizes: SIZES})));
  const img = h('img', {class: 'nep-preview', alt: alt, width: 600, height: wall ? 450 : 600});
  pic.append(img);  // inside the <picture> before any URL, so the browser asks for one picture only
  img.sizes = SIZES;
  img.srcset = set('jpg');
  img.src = at(url, 600, 'jpg');
  return pic;
}

export function previewView(p, dims) {
  p.pv = 0;
  p.pic = h('picture', null, p.img = h('img', {class: 'nep-preview', alt: '', width: 600, height: 600}));
  p.tabs = VIEWS.map(([v, t]) => h('button', {type: 'button', role: 'tab', id: 'nep-tab-' + v, 'data-view': v, 'aria-controls': 'nep-pvp'}, t));
  p.panel = h('div', {role: 'tabpanel', id: 'nep-pvp', class: 'nep-pvp'}, p.pic);
  marks(p);
  return h('figure', {class: 'nep-pv'}, h('div', {role: 'tablist', 'aria-label': 'Preview', class: 'nep-tabs', onclick: (e) => pick(p, e.target.closest('[data-view]')), onkeydown: (e) => key(p, e)}, ...p.tabs), p.panel, dims);
}
function marks(p) {
  p.tabs.forEach((b) => {
    const on = b.getAttribute('data-view') === view;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    if (on) p.panel.setAttribute('aria-labelledby', b.id);
  });
}
function pick(p, b) {
  if (!b || b.getAttribute('data-view') === view) return;
  view = b.getAttribute('data-view');
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
export function showPreview(p, url, alt) {
  p.url = url;
  p.alt = alt;
  const wall = view === 'wall', n = ++p.pv;
  const pic = picture(wall ? wallOf(url) : url, wall ? alt + ', on a wall' : alt, wall), img = pic.lastChild;
  const swap = () => {
    if (n !== p.pv) return;
    p.pic.replaceWith(pic);
    p.pic = pic;
    p.img = img;
  };
  if (!p.img.getAttribute('src')) swap();  // the first one: nothing to keep meanwhile
  else img.decode().then(swap, swap);
}
