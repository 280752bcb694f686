// Bundles the CLI entry and the benchmark into dist/ with esbuild, so `npm start`,
// the `reloaded` bin and `npm run bench` run plain JavaScript under node.
import { copyFile } from 'node:fs/promises';
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['emulator/cli/main.ts'],
  outfile: 'dist/reloaded.mjs',
  banner: { js: '#!/usr/bin/env node' },
});
await build({ ...common, entryPoints: ['bench/main.ts'], outfile: 'dist/bench.mjs' });

// The page: a browser bundle of the same code, and its HTML beside it.
await build({
  ...common,
  platform: 'browser',
  packages: undefined,
  target: 'es2022',
  entryPoints: ['emulator/web/main.ts'],
  outfile: 'dist/web/main.js',
});
await copyFile('emulator/web/index.html', 'dist/web/index.html');
