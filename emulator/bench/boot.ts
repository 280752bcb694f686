// Simulation speed, end to end: emulated seconds per host second of the default run
// (runBootScenario with BOOT_DEFAULTS: what `reloaded run` does, boot included: kernel, driver,
// two factored clients with their servers, the peer host's traffic, a revocation mid-run),
// with the invariant checks after every stride on (the product) and off (what they cost), and
// of the machine at line rate: four clients receiving TCP bulk flows at 100 Mbit/s (the window
// alone, no checks). Host figures: the three interleaved in one process, min and median of the
// repeats. The two default runs must end with the same trace hash: the checks change nothing.

import { BOOT_DEFAULTS, runBootScenario } from '../cli/scenario/boot.js';
import { atLeast, host, type Figure } from './figures.js';
import { bulkRig } from './flows.js';
import type { Section } from './section.js';
import { hostSeconds, measureInterleaved, MIN_REPEATS } from './stats.js';
import { topologyCase, windowFor } from './topologies.js';

const REPEATS = 5;
/** The goal: the default run keeps up with the wall clock. */
export const SIMULATION_GOAL = 1;
export const LINE_RATE_CLIENTS = 4;

export interface SimulationData {
  /** Emulated seconds of the default run (BOOT_DEFAULTS.millis). */
  emulatedSeconds: number;
  checksOn: { min: number; median: number; samples: readonly number[] };
  checksOff: { min: number; median: number; samples: readonly number[] };
  lineRate: { min: number; median: number; samples: readonly number[] };
}

export const bootSection: Section = {
  name: 'boot',
  aliases: ['simulation'],
  title: 'simulation speed: emulated seconds per host second (host; the whole system)',
  async run(ctx) {
    const seconds = BOOT_DEFAULTS.millis / 1000;
    const hashes = new Set<string>();
    const defaultRun = (strideChecks: boolean) => () => {
      let hash = '';
      const t = hostSeconds(() => {
        const r = runBootScenario({ ...BOOT_DEFAULTS, strideChecks });
        if (r.problems.length > 0) throw new Error(`boot bench: the default run had problems: ${r.problems.join('; ')}`);
        hash = r.trace.hash;
      });
      hashes.add(hash);
      ctx.progress(`boot: default run, checks ${strideChecks ? 'on' : 'off'}: ${(seconds / t).toFixed(3)} emulated s/host s`);
      return seconds / t;
    };
    const window = windowFor(100, ctx.quick);
    const lineRate = () => {
      const rig = bulkRig(topologyCase('factored', LINE_RATE_CLIENTS, 100), 'receive');
      let t = 0;
      const r = rig.measure(window, (run) => (t = hostSeconds(run)));
      ctx.progress(`boot: line rate, ${LINE_RATE_CLIENTS} clients: ${(window.seconds / t).toFixed(3)} emulated s/host s (${r.goodputMbit.toFixed(1)} Mbit/s)`);
      return window.seconds / t;
    };
    const s = await measureInterleaved([
      { name: 'on', run: defaultRun(true) },
      { name: 'off', run: defaultRun(false) },
      { name: 'lineRate', run: lineRate },
    ], ctx.quick ? MIN_REPEATS : REPEATS);
    if (hashes.size !== 1) throw new Error(`boot bench: the stride checks changed the trace hash (${[...hashes].join(', ')})`);
    const rate = 'emulated s/host s';
    const run = `the default run (BOOT_DEFAULTS: ${BOOT_DEFAULTS.millis} emulated ms from power-on, ${BOOT_DEFAULTS.clients} clients, ${BOOT_DEFAULTS.mode}, ${BOOT_DEFAULTS.strategy}, 100 Mbit/s, the peer's traffic, a revocation)`;
    const figures: Figure[] = [
      host('default run, invariant checks on (the product)', s.on!, rate, run, atLeast(s.on!.median, SIMULATION_GOAL)),
      host('default run, stride checks off', s.off!, rate, run),
      host(`line rate: TCP bulk into ${LINE_RATE_CLIENTS} clients, 100 Mbit/s`, s.lineRate!, rate, `the whole system, factored, bus-master, flip, no checks, the ${window.seconds * 1000} ms window after a ${window.warmupSeconds * 1000} ms warm-up (boot and opening not timed)`),
    ];
    const pick = (x: typeof s.on) => ({ min: x!.min, median: x!.median, samples: x!.samples });
    const data: SimulationData = { emulatedSeconds: seconds, checksOn: pick(s.on), checksOff: pick(s.off), lineRate: pick(s.lineRate) };
    return { figures, data };
  },
};
