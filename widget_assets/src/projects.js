// #/projects: the shopper's saved configurations, to open, rename or delete.
import {call} from './api.js';
import {clear, h} from './dom.js';
import {failed, main, S, say} from './frame.js';
import {login, O, signedIn, who} from './identity.js';
import {setProduct} from './product.js';
import {loadedOnce} from './router.js';
import {dropSearch} from './search.js';

export async function showProjects() {
  S.view = 'projects';
  setProduct(null);
  dropSearch();
  var n = ++S.nav, me = who();
  var list = h('ul', 'nep-projects');
  var view = h('div', 'nep-projects-page', h('a', {href: S.lastSearch, class: 'nep-back'}, '← All artworks'), h('h3', 'nep-title', 'My projects'), list);
  clear(main).append(view);
  if (O.AuthRequired.projects && !signedIn() || !me) {
    list.append(h('li', 'nep-empty', h('p', null, 'Sign in to keep your framing projects.'), h('button', {type: 'button', onclick: () => login('projects')}, 'Sign in')));
    return loadedOnce();
  }
  var data;
  try {
    data = await call('projects', {who: me});
  } catch (e) {
    if (n === S.nav) failed(list, e, showProjects);
    return;
  }
  if (n !== S.nav) return;
  if (!data.projects.length) list.append(h('li', 'nep-empty', h('p', null, 'No projects yet: configure a piece and choose “Save to projects”.')));
  list.append(...data.projects.map((pj) => projectRow(pj, me)));
  loadedOnce();
}
function projectRow(pj, me) {
  var name = h('input', {type: 'text', value: pj.name, maxlength: 200, 'aria-label': 'Name of project ' + pj.name});
  var row = h('li', 'nep-project', pj.thumb ? h('img', {src: pj.thumb, alt: '', width: 80, height: 80, loading: 'lazy'}) : null,
    h('div', null, h('a', {href: '#' + pj.route, class: 'nep-open'}, pj.name), h('span', 'nep-a', pj.title),
      h('form', {class: 'nep-rename', onsubmit: async (e) => {
        e.preventDefault();
        try {
          var out = await call('projects/' + pj.id, {method: 'PATCH', body: {name: name.value}, who: me});
          row.querySelector('.nep-open').textContent = out.project.name;
          say('Renamed.');
        } catch (err) {
          say('Could not rename: ' + err.message);
        }
      }}, name, h('button', {type: 'submit'}, 'Rename'))),
    h('button', {type: 'button', class: 'nep-delete', onclick: async () => {
      try {
        await call('projects/' + pj.id, {method: 'DELETE', who: me});
        row.remove();
        say('Deleted “' + pj.name + '”.');
      } catch (err) {
        say('Could not delete: ' + err.message);
      }
    }}, 'Delete'));
  return row;
}

