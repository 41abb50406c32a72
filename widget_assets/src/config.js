// What the widget starts from: the merchant's settings (code.js passes them in as __easel_config, see
// build.mjs), where the script came from, and the option tables. Evaluated first, so T0 is the start.
/* global __easel_config */
export const T0 = performance.now();
export const C = __easel_config;
export const T = C.tables;
export const loc = window.location;
export const script = document.currentScript || document.getElementById('nep_widget');
export const BASE = new URL('.', (script && script.src) || loc.href).href;
// A page may define image2art.widget (setPrice, _o) before the script loads: the widget extends it.
export const pre = window.image2art || {};
export const W = pre.widget || {};
export const EXTRAS = ['matte', 'border_type', 'border_width', 'border_color', 'stretcher_bar', 'security_hardware'];
export const LABELS = {frame: 'Frame', matte: 'Matte', size: 'Size', border_width: 'Border width', stretcher_bar: 'Stretcher bar'};
export const styleOf = (code) => T.styles.find((s) => s.code === code);
export const nameIn = (list, code) => (list.find((x) => x.code === code) || {}).name || code;
