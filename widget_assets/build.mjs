// `npm run build` (the Makefile's `make widget`): bundles src/*.js (ES modules) and minifies them and
// widget.css with esbuild into dist/, which easel serves (and the wheel ships).
//
// code.js is dist/widget.js with the merchant's settings in place of __EASEL_CONFIG__, which stands in
// the footer, after every line the source map describes, so one map (dist/widget.js.map) serves every
// merchant. The server appends the //# sourceMappingURL line itself, naming the map by its content.
import * as esbuild from 'esbuild';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

await esbuild.build({
  entryPoints: [join(here, 'src', 'main.js')],
  outfile: join(dist, 'widget.js'),
  bundle: true,
  minify: true,
  // No wrapper of esbuild's own: the banner's function is the script's scope (a bundle without exports).
  format: 'esm',
  target: 'es2017',
  // Short names for the widget's own bookkeeping on its view objects (P, V, S, a preview, an event
  // binding): names that never come from or go to the server, the page or the DOM.
  mangleProps: /^(groups|dims|qty|save|msg|shown|shape|seq|pv|pic|img|tabs|panel|pr|chips|count|pager|images|side|el|nav|lastSearch|fn|list|promise|art)$/,
  sourcemap: 'external',
  sourcesContent: true,
  legalComments: 'none',
  banner: {js: '(function(__easel_config){"use strict";'},
  footer: {js: '})(\n__EASEL_CONFIG__);'},
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [join(here, 'widget.css')],
  outfile: join(dist, 'widget.css'),
  minify: true,
  target: ['chrome90', 'firefox90', 'safari14'],
  logLevel: 'warning',
});
