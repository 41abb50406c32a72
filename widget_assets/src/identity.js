// Who the shopper is (the shop's CustomerId/CustomerToken, else an anonymous id kept in localStorage),
// the page's options (image2art.widget.setOptions) and the way to the shop's sign-in page.
import {C, loc} from './config.js';
import {emit} from './events.js';
import {say} from './frame.js';

export const O = {CustomerId: null, CustomerToken: null, LoginUrl: C.login || '', AuthRequired: {projects: false, pricing: false}, ShowHardwareOption: false};
export function mergeOptions(o) {
  Object.keys(o).forEach((k) => {
    if (k === 'AuthRequired') Object.assign(O.AuthRequired, o[k] || {});
    else O[k] = o[k];
  });
}
export function signedIn() { return O.CustomerId !== null && O.CustomerId !== undefined && O.CustomerId !== ''; }
let anon = null;
function anonId() {
  if (anon) return anon;
  try { anon = localStorage.getItem('nep_widget.anon'); } catch (e) { anon = null; }
  if (!anon) {
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    anon = 'anon-' + Array.from(a, (b) => (b + 256).toString(16).slice(1)).join('');
    try { localStorage.setItem('nep_widget.anon', anon); } catch (e) { /* private mode: this page only */ }
  }
  return anon;
}
export function who() {
  if (signedIn()) return {id: String(O.CustomerId), token: O.CustomerToken ? String(O.CustomerToken) : ''};
  if (!O.AuthRequired.projects && !C.token) return {id: anonId(), token: ''};
  return null;
}
function allowedOrigin(origin) {
  const o = origin.toLowerCase();
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
export function login(feature) {
  const url = loginUrl();
  if (emit('widget:login:required', {feature: feature, url: url}).defaultPrevented) return;
  if (url) loc.assign(url);
  else say('Please sign in to this shop first.');
}
export function needLogin(feature) {
  if (!O.AuthRequired[feature] || signedIn()) return false;
  login(feature);
  return true;
}
