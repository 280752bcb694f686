// Cycle-sweep speed (issue: "the full 1514-byte receive window at 100 Mbit/s, copy and flip,
// swept at step 1, every event checked from the action on, in under 60 s on this 2-core
// machine"): offsets per host second of the explorer itself (explore.ts: the probe, then each
// offset built from boot, run, checked after every event and kernel exit from the action on,
// to its end) on the revoke-during-copy-rx and revoke-during-flip-rx windows, on one worker
// and on one worker per core. Each measurement sweeps SAMPLE offsets spread evenly across the
// window; the four configurations run interleaved, REPEATS times, and the slowest and the
// median are reported. The projected time of the whole window at step 1 is its size over the
// median rate.

import { availableParallelism } from 'node:os';
import { explore } from '../emulator/cli/explore/explore.js';
import { scenarioNamed } from '../emulator/cli/explore/scenarios/index.js';
import { probe } from '../emulator/cli/explore/sweep.js';
import type { BenchResult } from './report.js';

const SAMPLE = 600;
const REPEATS = 3;
const GOAL_SECONDS = 60;

export async function benchExplore(): Promise<BenchResult[]> {
  const cores = Math.max(1, availableParallelism());
  const configs = ['revoke-during-copy-rx', 'revoke-during-flip-rx'].flatMap((name) => [1, cores].map((workers) => ({ name, workers })));
  const windows = new Map(configs.map((c) => [c.name, probe(scenarioNamed(c.name)!, { seed: 1 }).window]));
  const rates = new Map<string, number[]>(configs.map((c) => [key(c), []]));
  await explore(scenarioNamed('revoke-during-copy-rx')!, { seed: 1 }, { step: 2000 }); // warm up the JIT
  for (let r = 0; r < REPEATS; r++) {
    for (const c of configs) {
      const w = windows.get(c.name)!;
      const step = Math.max(1, Math.floor((w.to - w.from) / SAMPLE));
      const start = performance.now(); // wall-clock ok
      const report = await explore(scenarioNamed(c.name)!, { seed: 1 }, { step, workers: c.workers });
      const seconds = (performance.now() - start) / 1000; // wall-clock ok
      if (!report.ok) throw new Error(`explore bench: ${c.name} found a violation`);
      rates.get(key(c))!.push(report.offsets / seconds);
    }
  }
  const out: BenchResult[] = [];
  for (const c of configs) {
    const xs = rates.get(key(c))!.sort((a, b) => a - b);
    const size = windows.get(c.name)!.to - windows.get(c.name)!.from + 1;
    const unit = `offsets/host s (${c.name}, ${c.workers} worker${c.workers > 1 ? 's' : ''}, ${SAMPLE} offsets of its ${size.toLocaleString('en-US')}-cycle window, probe included)`;
    out.push({ name: `sweep ${short(c.name)} ×${c.workers}, slowest`, value: xs[0]!, unit });
    out.push({ name: `sweep ${short(c.name)} ×${c.workers}, median`, value: xs[Math.floor(xs.length / 2)]!, unit, ...(c.workers === cores && { goal: Math.ceil(size / GOAL_SECONDS) }) });
    if (c.workers === cores) out.push({ name: `sweep ${short(c.name)}, whole window at step 1`, value: size / xs[Math.floor(xs.length / 2)]!, unit: `host s projected on ${cores} workers (goal: under ${GOAL_SECONDS} s)` });
  }
  for (const name of new Set(configs.map((c) => c.name))) {
    const med = (workers: number) => { const xs = rates.get(key({ name, workers }))!; return xs[Math.floor(xs.length / 2)]!; };
    if (cores > 1) out.push({ name: `sweep ${short(name)}, ${cores} workers / 1`, value: med(cores) / med(1), unit: 'ratio of median rates' });
  }
  return out;
}

function key(c: { name: string; workers: number }): string {
  return `${c.name}/${c.workers}`;
}

function short(name: string): string {
  return name.replace('revoke-during-', '').replace('-rx', ' rx');
}
