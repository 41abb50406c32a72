// Small DOM and formatting helpers. Text from the server is only ever set as text (append, textContent).
import {C} from './config.js';

// h('p', 'nep-x', …) is h('p', {class: 'nep-x'}, …).
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  if (typeof attrs === 'string') attrs = {class: attrs};
  Object.keys(attrs || {}).forEach((k) => {
    const v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  });
  kids.forEach((kid) => { if (kid !== null && kid !== undefined && kid !== false) el.append(kid); });
  return el;
}
export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
export function money(v) {
  try {
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {style: 'currency', currency: C.currency, minimumFractionDigits: v % 1 ? 2 : 0, maximumFractionDigits: 2}).format(v);
  } catch (e) {
    return C.currency + ' ' + v.toFixed(2);
  }
}
export function dims(size) {
  const p = String(size).split('x').map(Number);
  return p[0] + ' × ' + p[1] + ' in (' + Math.round(p[0] * 2.54) + ' × ' + Math.round(p[1] * 2.54) + ' cm)';
}
export function qs(o) {
  const p = new URLSearchParams();
  Object.keys(o).forEach((k) => { if (o[k] !== '' && o[k] !== null && o[k] !== undefined) p.set(k, o[k]); });
  return p.toString();
}
