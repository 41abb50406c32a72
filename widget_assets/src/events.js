// image2art.$: the jQuery-like event shim the document's examples use (on, off, one, trigger), and the
// widget's own events (widget:ready, widget:price:changed, …), dispatched on window.
let bound = [];
function Q(list) { this.list = list; }
export function $(x) { return new Q(typeof x === 'string' ? Array.from(document.querySelectorAll(x)) : [x]); }
function bind(q, types, fn, once) {
  if (typeof fn !== 'function') return q;
  types.split(/\s+/).filter(Boolean).forEach((type) => q.list.forEach((el) => {
    const rec = {el: el, type: type, fn: fn};
    rec.h = function (e) {
      if (once) unbind(rec);
      const d = e.detail;
      if (fn.apply(el, [e].concat(Array.isArray(d) ? d : d === undefined || d === null ? [] : [d])) === false) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    bound.push(rec);
    el.addEventListener(type, rec.h);
  }));
  return q;
}
// on(types, handler), or jQuery's on(types, data|selector, handler): the middle argument is ignored.
Q.prototype.on = function (types, a, b) { return bind(this, types, typeof a === 'function' ? a : b, false); };
Q.prototype.one = function (types, a, b) { return bind(this, types, typeof a === 'function' ? a : b, true); };
Q.prototype.off = function (types, fn) {
  const names = types ? types.split(/\s+/) : null;
  bound.filter((r) => this.list.includes(r.el) && (!names || names.includes(r.type)) && (!fn || r.fn === fn)).forEach(unbind);
  return this;
};
Q.prototype.trigger = function (type, data) {
  this.list.forEach((el) => el.dispatchEvent(new CustomEvent(type, {detail: data, cancelable: true})));
  return this;
};
function unbind(rec) {
  rec.el.removeEventListener(rec.type, rec.h);
  bound = bound.filter((r) => r !== rec);
}
export function emit(type, detail) {
  const e = new CustomEvent(type, {detail: detail, cancelable: true});
  window.dispatchEvent(e);
  return e;
}
