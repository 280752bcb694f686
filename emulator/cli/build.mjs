// Bundles the CLI entry (with the benchmark, `reloaded bench`) into dist/ with esbuild, so
// `npm start`, the `reloaded` bin and `npm run bench` run plain JavaScript under node. The
// realm benchmark's child process is a bundle of its own: it hardens a fresh realm or not.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

// Packages stay external (node loads them from node_modules) except ses: it must be bundled so
// that it evaluates after emulator/machine/freeze.ts, which an external import would precede.
const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => name !== 'ses');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['emulator/cli/main.ts'],
  outfile: 'dist/reloaded.mjs',
  banner: { js: '#!/usr/bin/env node' },
});
await build({ ...common, entryPoints: ['emulator/cli/explore/worker.ts'], outfile: 'dist/explore-worker.mjs' });
await build({ ...common, entryPoints: ['emulator/bench/realm-child.ts'], outfile: 'dist/bench-realm-child.mjs' });

// The page (emulator/web): a browser bundle for the tab (the views and controls), one for the
// worker that runs the machine (the same code as node), and the static files beside them.
// Minified: the issue's budget is 500 KB for the page's main bundle (v86's wasm aside).
// v86's one file serves node and browsers: behind `typeof require` / `typeof process` tests it
// asks for node's crypto, fs and perf_hooks, which a browser never reaches. Those imports,
// and only v86's, resolve to a module that throws if it is ever evaluated, so that any other
// node import in a browser bundle stays a build error.
const V86_DIR = `${process.cwd()}/node_modules/v86/`;
const v86NodeFallbacksAbsent = {
  name: 'v86-node-fallbacks-absent',
  setup(b) {
    const builtin = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter: builtin }, (args) => (args.importer.startsWith(V86_DIR) ? { path: args.path, namespace: 'node-absent' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'node-absent' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`v86 asked for node's ${args.path}, which a browser does not have`)});`,
      loader: 'js',
    }));
  },
};
const web = { ...common, platform: 'browser', external: [], target: 'es2022', minify: true };
await build({ ...web, entryPoints: ['emulator/web/main.ts'], outfile: 'dist/web/main.js' });
await build({ ...web, entryPoints: ['emulator/web/worker.ts'], outfile: 'dist/web/worker.js' });
await mkdir('dist/web', { recursive: true });
for (const file of ['index.html', 'page.css', 'favicon.svg']) await copyFile(`emulator/web/${file}`, `dist/web/${file}`);
// The x86 panel (emulator/web/x86): its worker bundle (v86 and our card, fetched only when the
// panel is opened, so main.js stays free of v86), and beside it what the worker fetches:
// v86's wasm and the self-test image.
await build({ ...web, entryPoints: ['emulator/web/x86/worker.ts'], outfile: 'dist/web/x86-worker.js', plugins: [v86NodeFallbacksAbsent] });
await mkdir('dist/web/x86', { recursive: true });
await copyFile('node_modules/v86/build/v86.wasm', 'dist/web/x86/v86.wasm');
await copyFile('emulator/platforms/v86/examples/ne2k-selftest.img', 'dist/web/x86/ne2k-selftest.img');
