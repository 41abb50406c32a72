// Talking to easel's widget API: api_key in the query, no cookies, the shopper's id in headers.
import {BASE, C, loc} from './config.js';
import {notice} from './frame.js';

let diagnosed = false;
export async function call(path, opt) {
  opt = opt || {};
  var url = BASE + 'api/' + path + (path.includes('?') ? '&' : '?') + 'api_key=' + encodeURIComponent(C.key);
  var headers = {};
  var init = {method: opt.method || 'GET', headers: headers, credentials: 'omit'};
  if (opt.body) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opt.body);
  }
  if (opt.who) {
    headers['X-Customer-Id'] = encodeURIComponent(opt.who.id);
    if (opt.who.token) headers['X-Customer-Token'] = opt.who.token;
  }
  var r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    await diagnose(url);
    throw new Error('the gallery service cannot be reached');
  }
  var data = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (!r.ok) {
    var err = new Error(data.detail || data.title || 'HTTP ' + r.status);
    err.status = r.status;
    err.data = data;
    throw err;
  }
  return data;
}
// A fetch that fails outright is usually CORS: an opaque request that succeeds proves the server is up.
async function diagnose(url) {
  if (diagnosed) return;
  diagnosed = true;
  try {
    await fetch(url, {mode: 'no-cors', credentials: 'omit'});
  } catch (e) {
    return;
  }
  console.error('easel widget: this page\'s origin ' + loc.origin + ' is not registered for api_key ' + C.key + '; the merchant must add it to the allowed origins');
  notice('This gallery is not enabled for ' + loc.origin + '.');
}
