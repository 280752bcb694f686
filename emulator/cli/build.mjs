// Bundles the CLI entry (with the benchmark, `reloaded bench`) into dist/ with esbuild, so
// `npm start`, the `reloaded` bin and `npm run bench` run plain JavaScript under node. The
// realm benchmark's child process is a bundle of its own: it hardens a fresh realm or not.
import { copyFile, readFile } from 'node:fs/promises';
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

// The page: a browser bundle of the same code, and its HTML beside it.
await build({
  ...common,
  platform: 'browser',
  external: [],
  target: 'es2022',
  entryPoints: ['emulator/web/main.ts'],
  outfile: 'dist/web/main.js',
});
await copyFile('emulator/web/index.html', 'dist/web/index.html');
