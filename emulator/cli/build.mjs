// Bundles the CLI entry (with the benchmark, `reloaded bench`) into dist/ with esbuild, so
// `npm start`, the `reloaded` bin and `npm run bench` run plain JavaScript under node. The
// realm benchmark's child process is a bundle of its own: it hardens a fresh realm or not.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
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
const web = { ...common, platform: 'browser', external: [], target: 'es2022', minify: true };
await build({ ...web, entryPoints: ['emulator/web/main.ts'], outfile: 'dist/web/main.js' });
await build({ ...web, entryPoints: ['emulator/web/worker.ts'], outfile: 'dist/web/worker.js' });
await mkdir('dist/web', { recursive: true });
for (const file of ['index.html', 'page.css', 'favicon.svg']) await copyFile(`emulator/web/${file}`, `dist/web/${file}`);
