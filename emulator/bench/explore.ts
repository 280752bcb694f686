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
import { explore, type ExploreOptions } from '../cli/explore/explore.js';
import { scenarioNamed } from '../cli/explore/scenarios/index.js';
import { probe } from '../cli/explore/sweep.js';
import { below, host, type Figure } from './figures.js';
import type { Section } from './section.js';
import { median, samplesOf } from './stats.js';

const STRETCH = 1200;
const REPEATS = 3;
const GOAL_SECONDS = 60;
const SCENARIOS = ['revoke-during-copy-rx', 'revoke-during-flip-rx'] as const;

interface Measure {
  readonly name: (typeof SCENARIOS)[number];
  readonly label: string;
  readonly options: (w: { from: number; to: number }) => ExploreOptions;
}

async function benchExplore(): Promise<Figure[]> {
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
  const out: Figure[] = [];
  for (const m of measures) {
    const xs = seconds.get(m)!;
    const n = offsets.get(m)!;
    const what = `${m.name}, ${n.toLocaleString('en-US')} offsets at step 1, ${m.label.endsWith('×1') ? '1 worker' : `${cores} workers`}, probe included`;
    const short = `${m.name.replace('revoke-during-', '').replace('-rx', ' rx')}, ${m.label}`;
    if (m.label.startsWith('whole')) out.push(host(`sweep ${short}`, samplesOf(xs), 'host s', what, below(median(xs), GOAL_SECONDS)));
    // A rate's min is the slowest run's.
    out.push(host(`sweep ${short}, rate`, samplesOf(xs.map((x) => n / x)), 'offsets/host s', what));
  }
  for (const name of SCENARIOS) {
    const of = (label: string) => measures.find((m) => m.name === name && m.label === label)!;
    const one = seconds.get(of(`middle ${STRETCH} ×1`))!;
    const many = seconds.get(of(`middle ${STRETCH} ×${cores}`))!;
    // Per round: the two ran back to back.
    if (cores > 1) out.push(host(`sweep ${name.replace('revoke-during-', '').replace('-rx', ' rx')}, middle ${STRETCH}, ${cores} workers / 1`, samplesOf(one.map((t, i) => t / many[i]!)), 'speed-up (× per interleaved pair)', `${STRETCH} offsets at step 1, ${cores} workers against 1`));
  }
  return out;
}

export const exploreSection: Section = {
  name: 'explore',
  title: 'explore: cycle-sweep speed (host; the explorer, every event checked)',
  long: true,
  run: async () => ({ figures: await benchExplore() }),
};
