// The frame: #box_widget > div#nep_widget (the id moves from the script tag to the container), its
// status line, and the view state the pages share.
import {loc, script} from './config.js';
import {clear, h} from './dom.js';
import {P} from './product.js';
import {route} from './router.js';

export let box, root, status, main;
export const S = {view: '', nav: 0, facets: null, lastSearch: '#/search'};

export function mount() {
  box = document.getElementById('box_widget');
  if (!box) {
    console.error('easel widget: the page has no <div id="box_widget"></div> to show the gallery in');
    return false;
  }
  if (script && script.id === 'nep_widget') script.removeAttribute('id');
  status = h('p', {class: 'nep-status', role: 'status'});
  main = h('div', 'nep-main');
  root = h('div', {id: 'nep_widget', class: 'nep'}, status, main);
  box.appendChild(root);
  early.splice(0).forEach(notice);
  return true;
}
// A notice raised before the frame is mounted (the search is fetched at script start) waits for it.
const early = [];
export function notice(text) {
  if (!root) return void early.push(text);
  const n = h('p', {class: 'nep-notice', role: 'alert'}, text);
  root.prepend(n);
}
export function say(text, label, action) {
  const target = (S.view === 'product' && P && P.msg) || status;
  if (!target) return;
  clear(target).append(text);
  if (label) target.append(' ', h('button', {type: 'button', class: 'nep-link', onclick: action}, label));
}
export function failed(el, e, retry) {
  clear(el).append(h(el.tagName === 'UL' ? 'li' : 'div', {class: 'nep-empty', role: 'alert'}, h('p', null, 'Sorry, this could not be loaded (' + e.message + ').'), h('button', {type: 'button', onclick: retry}, 'Try again')));
}
export function go(hash) { if (loc.hash === hash) route(); else loc.hash = hash; }
export function replaceHash(hash) { if (loc.hash !== hash) history.replaceState(history.state, '', hash); }
