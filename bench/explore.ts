// Cycle-sweep speed (issue: "the full 1514-byte receive window at 100 Mbit/s, copy and flip,
// swept at step 1, every event checked from the action on, in under 60 s on this 2-core
// machine"), measured with the explorer itself (explore.ts: the probe, then one run per
// instant at which offsets act, each built from boot, checked after every event and kernel
// exit from the action on, to its end) on the revoke-during-copy-rx and revoke-during-flip-rx
// windows:
//   the whole window at step 1 on one worker per core: host seconds and offsets per second;
//   a stretch of STRETCH offsets at step 1 in the middle of the window (where no two offsets
//   share an instant) on one worker and on one per core: offsets per second, and the ratio.
// Every measurement is repeated REPEATS times, the configurations interleaved; the slowest
// and the median are reported. This section takes about five minutes.

import { availableParallelism } from 'node:os';
import { explore, type ExploreOptions } from '../emulator/cli/explore/explore.js';
import { scenarioNamed } from '../emulator/cli/explore/scenarios/index.js';
import { probe } from '../emulator/cli/explore/sweep.js';
import type { BenchResult } from './report.js';

const STRETCH = 1200;
const REPEATS = 3;
const GOAL_SECONDS = 60;
const SCENARIOS = ['revoke-during-copy-rx', 'revoke-during-flip-rx'] as const;

interface Measure {
  readonly name: (typeof SCENARIOS)[number];
  readonly label: string;
  readonly options: (w: { from: number; to: number }) => ExploreOptions;
}

export async function benchExplore(): Promise<BenchResult[]> {
  const cores = Math.max(1, availableParallelism());
  const windows = new Map(SCENARIOS.map((n) => [n, probe(scenarioNamed(n)!, { seed: 1 }).window]));
  const middle = (w: { from: number; to: number }) => ({ from: Math.floor((w.from + w.to - STRETCH) / 2), to: Math.floor((w.from + w.to - STRETCH) / 2) + STRETCH - 1 });
  const measures: Measure[] = SCENARIOS.flatMap((name) => [
    { name, label: `whole window ×${cores}`, options: () => ({ workers: cores }) },
    { name, label: `middle ${STRETCH} ×1`, options: (w: { from: number; to: number }) => ({ ...middle(w), workers: 1 }) },
    { name, label: `middle ${STRETCH} ×${cores}`, options: (w: { from: number; to: number }) => ({ ...middle(w), workers: cores }) },
  ]);
  const seconds = new Map<Measure, number[]>(measures.map((m) => [m, []]));
  const offsets = new Map<Measure, number>();
  await explore(scenarioNamed(SCENARIOS[0])!, { seed: 1 }, { step: 2000, workers: 1 }); // warm up the JIT
  for (let r = 0; r < REPEATS; r++) {
    for (const m of measures) {
      const start = performance.now(); // wall-clock ok
      const report = await explore(scenarioNamed(m.name)!, { seed: 1 }, m.options(windows.get(m.name)!));
      seconds.get(m)!.push((performance.now() - start) / 1000); // wall-clock ok
      if (!report.ok) throw new Error(`explore bench: ${m.name} found a violation`);
      offsets.set(m, report.offsets);
    }
  }
  const out: BenchResult[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const m of measures) {
    const xs = seconds.get(m)!;
    const n = offsets.get(m)!;
    const what = `${m.name}, ${n.toLocaleString('en-US')} offsets at step 1, ${m.label.endsWith('×1') ? '1 worker' : `${cores} workers`}, probe included`;
    const short = `${m.name.replace('revoke-during-', '').replace('-rx', ' rx')}, ${m.label}`;
    if (m.label.startsWith('whole')) {
      out.push({ name: `sweep ${short}, slowest`, value: Math.max(...xs), unit: `host s (${what}; goal: under ${GOAL_SECONDS} s)` });
      out.push({ name: `sweep ${short}, median`, value: median(xs), unit: `host s (${what}; goal: under ${GOAL_SECONDS} s)` });
    }
    out.push({ name: `sweep ${short}, slowest`, value: n / Math.max(...xs), unit: `offsets/host s (${what})` });
    out.push({ name: `sweep ${short}, median`, value: n / median(xs), unit: `offsets/host s (${what})` });
  }
  for (const name of SCENARIOS) {
    const rate = (label: string) => offsets.get(measures.find((m) => m.name === name && m.label === label)!)! / median(seconds.get(measures.find((m) => m.name === name && m.label === label)!)!);
    if (cores > 1) out.push({ name: `sweep ${name.replace('revoke-during-', '').replace('-rx', ' rx')}, middle ${STRETCH}, ${cores} workers / 1`, value: rate(`middle ${STRETCH} ×${cores}`) / rate(`middle ${STRETCH} ×1`), unit: 'ratio of median rates' });
  }
  return out;
}
