// Adding the configured piece to the shop's cart (directly, or relayed by easel) and saving it as a project.
import {C, loc} from './config.js';
import {call} from './api.js';
import {emit} from './events.js';
import {go, say} from './frame.js';
import {login, needLogin, O, signedIn, who} from './identity.js';
import {clean, P} from './product.js';

function quantity() {
  var q = Math.round(Number(P.qty.value));
  return q >= 1 && q <= 99 ? q : 1;
}
export async function addToCart(again) {
  if (needLogin('pricing')) return;
  var body = again || {code: P.code, choices: clean(P.choices), quantity: quantity(), price: P.shown, url: loc.href, auth: O.AuthRequired.pricing ? 'pricing' : ''};
  var p = P;
  p.add.disabled = true;
  say('Adding to your cart…');
  try {
    var res;
    if (C.cart.mode === 'relay') {
      res = await call('cart/relay', {method: 'POST', body: body, who: who()});
    } else {
      if (!C.cart.path) throw new Error('this shop has not set up its cart');
      var item = (await call('cart/item', {method: 'POST', body: body, who: signedIn() ? who() : null})).item;
      var r = await fetch(new URL(C.cart.path, loc.origin).href, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', Accept: 'application/json'}, body: JSON.stringify(item)});
      var text = await r.text(), answer;
      try { answer = JSON.parse(text); } catch (e) { answer = text; }
      if (!r.ok) throw new Error((answer && answer.error) || 'the shop answered ' + r.status);
      res = {item: item, answer: answer};
    }
    if (P === p) say('Added to your cart.');
    emit('widget:cart:added', {item: res.item, answer: res.answer});
  } catch (e) {
    var why = (e.data && e.data.answer && e.data.answer.error) || e.message;
    if (P === p) say('Could not add to cart: ' + why, 'Try again', () => addToCart(body));
  } finally {
    p.add.disabled = false;
  }
}
export async function saveProject() {
  if (needLogin('projects')) return;
  var me = who();
  if (!me) return login('projects');
  try {
    await call('projects', {method: 'POST', body: {name: P.art.title + ' (' + P.choices.size + ')', code: P.code, choices: clean(P.choices)}, who: me});
    say('Saved to your projects.', 'View projects', () => go('#/projects'));
  } catch (e) {
    say('Could not save: ' + e.message);
  }
}
