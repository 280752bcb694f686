// What hardening the realm costs (issue 9: under 10 % on the default run): the default boot
// scenario in a hardened realm (SES lockdown, frozen exports, plain-data arguments: the
// product) against the same code in an unhardened realm, each in fresh node processes, the
// two sides interleaved, min and median of REPEATS runs each. The trace hashes must agree:
// hardening changes no simulated state.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './report.js';

/** Emulated milliseconds per child run. */
export const REALM_MILLIS = 300;
const REPEATS = 3;
const CHILD = fileURLToPath(new URL('./bench-realm-child.mjs', import.meta.url));

interface ChildRun { ms: number; hash: string; frozen: boolean }

function child(mode: 'hardened' | 'unhardened'): ChildRun {
  const r = spawnSync(process.execPath, [CHILD, mode], { encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
  if (r.status !== 0) throw new Error(`realm bench: the ${mode} child failed:\n${r.stderr}`);
  const run = JSON.parse(r.stdout) as ChildRun;
  if (run.frozen !== (mode === 'hardened')) throw new Error(`realm bench: the ${mode} child's realm was ${run.frozen ? '' : 'not '}hardened`);
  return run;
}

const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function benchRealm(): BenchResult[] {
  const hardened: number[] = [];
  const unhardened: number[] = [];
  const hashes = new Set<string>();
  for (let i = 0; i < REPEATS; i++) {
    for (const [mode, into] of [['unhardened', unhardened], ['hardened', hardened]] as const) {
      const run = child(mode);
      into.push(run.ms);
      hashes.add(run.hash);
    }
  }
  if (hashes.size !== 1) throw new Error(`realm bench: hardening changed the trace hash (${[...hashes].join(', ')})`);
  const what = `host ms for ${REALM_MILLIS} emulated ms of the default boot scenario (fresh process, ${REPEATS} runs)`;
  return [
    { name: 'unhardened realm, min / median', value: min(unhardened), unit: `/ ${median(unhardened).toFixed(0)} ${what}` },
    { name: 'hardened realm (the product), min / median', value: min(hardened), unit: `/ ${median(hardened).toFixed(0)} ${what}` },
    { name: 'hardening cost, median over median', value: (median(hardened) / median(unhardened) - 1) * 100, unit: '% (goal: under 10 %)' },
  ];
}
