// The replay modules go into the page's worker (emulator/web/): bundled for the browser they
// must resolve without any node-only module (node:*, commander, worker_threads), which
// esbuild refuses on its browser platform. A new import of command.ts, pool.ts or the like
// from replay-run.ts or replay-line.ts fails here rather than in the page's build.

import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

describe('the replay modules bundle for a browser worker', () => {
  for (const entry of ['emulator/cli/explore/replay-run.ts', 'emulator/cli/explore/replay-line.ts']) {
    it(entry, async () => {
      const r = await build({ entryPoints: [resolve(ROOT, entry)], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
      expect(r.errors).toEqual([]);
      const inputs = Object.keys(r.metafile.inputs);
      expect(inputs.filter((p) => p.startsWith('node:') || /node_modules\/commander|worker_threads/.test(p))).toEqual([]);
      expect(inputs.some((p) => p.endsWith('command.ts') || p.endsWith('pool.ts'))).toBe(false);
    });
  }

  it('an import of a node module does not bundle (the check can fail)', async () => {
    const failed = await build({ stdin: { contents: 'import { readFileSync } from "node:fs"; console.log(readFileSync);', resolveDir: ROOT }, bundle: true, platform: 'browser', write: false, logLevel: 'silent' }).then(() => false, () => true);
    expect(failed).toBe(true);
  });
});
