// The whole product's speed: emulated seconds per host second for the default boot scenario
// (what `reloaded run` and the page run: BOOT_DEFAULTS, two clients, bus-master, flip), over
// a longer run than the CLI's default so that booting is a small part of it. Repeated, the
// slowest and the median run reported, since other processes share the host.

import { BOOT_DEFAULTS, runBootScenario } from '../emulator/cli/scenario/boot.js';
import type { BenchResult } from './report.js';

/** Emulated milliseconds per run. */
const MILLIS = 300;
const REPEATS = 5;

export function benchBoot(): BenchResult[] {
  runBootScenario({ ...BOOT_DEFAULTS, millis: 20 }); // warm up the JIT
  const rates: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now(); // wall-clock ok
    const r = runBootScenario({ ...BOOT_DEFAULTS, millis: MILLIS });
    const hostSeconds = (performance.now() - start) / 1000; // wall-clock ok
    if (r.problems.length > 0) throw new Error(`boot bench: the run had problems: ${r.problems.join('; ')}`);
    rates.push(MILLIS / 1000 / hostSeconds);
  }
  rates.sort((a, b) => a - b);
  const what = `emulated s/host s (default boot scenario, ${MILLIS} ms, ${REPEATS} runs)`;
  return [
    { name: 'boot scenario, slowest run', value: rates[0]!, unit: what },
    { name: 'boot scenario, median run', value: rates[Math.floor(REPEATS / 2)]!, unit: what },
  ];
}
