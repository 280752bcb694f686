// Scripts run in fresh node processes: bundled from a test's TypeScript entry with esbuild
// (packages stay external), started with node from the repository root, and expected to
// print one line of JSON. For what must not share a realm or a JIT with the test process.

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../..');

/** Bundle `entry` (a path) into dist/test-fresh/NAME.mjs (a name of its own per test file: files run in parallel); returns the script's path. */
export async function bundleScript(entry: string, name: string): Promise<string> {
  const script = join(ROOT, 'dist/test-fresh', `${name}.mjs`);
  await build({ entryPoints: [entry], outfile: script, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  return script;
}

/** Run a bundled script; throws with its stderr unless it exits 0 with nothing on stderr. Returns its JSON output. */
export function runScript<T>(script: string, ...args: string[]): T {
  const r = spawnSync('node', [script, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`${script} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
