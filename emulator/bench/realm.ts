// What hardening the realm costs (issue 9: under 10 % on the default run): the default boot
// scenario in a hardened realm (SES lockdown, frozen exports, plain-data arguments: the
// product) against the same code in an unhardened realm, each in fresh node processes, the
// two sides interleaved, min and median of REPEATS runs each. The trace hashes must agree:
// hardening changes no simulated state.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { below, host } from './figures.js';
import type { Section } from './section.js';
import { median, samplesOf } from './stats.js';

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

/** Issue 9's goal for the cost of hardening, in per cent. */
const GOAL_PERCENT = 10;

export const realmSection: Section = {
  name: 'realm',
  title: 'realm: what hardening costs (host; the default run in fresh processes)',
  long: true,
  run() {
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
    const what = `the default run, ${REALM_MILLIS} emulated ms, a fresh node process per run (after a 20 ms warm-up run in it)`;
    // Per repeat, hardened over unhardened of the same round: the pairs share the host's load.
    const cost = hardened.map((h, i) => (h / unhardened[i]! - 1) * 100);
    const percent = (median(hardened) / median(unhardened) - 1) * 100;
    return {
      figures: [
        host('unhardened realm', samplesOf(unhardened), 'host ms', what),
        host('hardened realm (the product)', samplesOf(hardened), 'host ms', what),
        host('hardening cost, per interleaved pair', samplesOf(cost), `% (median over median: ${percent.toFixed(1)} %)`, what, below(median(cost), GOAL_PERCENT)),
      ],
    };
  },
};
