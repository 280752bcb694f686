// Offsets that act at the same instant run the same computation, so the explorer runs one of
// them (instants.ts). This checks the claim where it matters: across stretches of every kind
// of code the CPU can be in when the action comes (the driver's bulk copy, DMA bursts, long
// kernel operations in session setup, a stack's compute loop, an idle CPU), the report with
// one run per instant equals the report with every offset run.

import { describe, expect, it } from 'vitest';
import { explore } from '../../emulator/cli/explore/explore.js';
import { scenarioNamed } from '../../emulator/cli/explore/scenarios/index.js';
import { probe } from '../../emulator/cli/explore/sweep.js';

/** Scenario, stretch, and whether offsets there share instants (false: every cycle is a place the CPU can stop). */
const STRETCHES: [string, (w: { from: number; to: number }) => { from: number; to: number }, boolean][] = [
  ['revoke-during-copy-rx', (w) => ({ from: w.to - 300, to: w.to }), true], // the copy's last lines, the ring update, the delivery
  ['revoke-during-flip-rx', (w) => ({ from: w.from, to: w.from + 300 }), false], // the first DMA beats, the CPU idle
  ['destroy-during-setup', (w) => ({ from: w.from, to: w.from + 400 }), true], // long kernel operations
  ['unmap-vs-stale-tlb', (w) => ({ from: w.from, to: w.from + 300 }), false], // a stack's loads and compute slices
  ['revoke-during-tx', (w) => ({ from: w.from + 1100, to: w.from + 1500 }), true], // the driver taking and checking the entry
];

describe('one run per instant', () => {
  for (const [name, stretch, shared] of STRETCHES) {
    it(`${name}: the same report as every offset run`, async () => {
      const sc = scenarioNamed(name)!;
      const span = stretch(probe(sc, { seed: 1 }).window);
      const once = await explore(sc, { seed: 1 }, span);
      const every = await explore(sc, { seed: 1 }, { ...span, everyOffset: true });
      expect(once).toEqual(every);
      if (shared) expect(once.instants.count).toBeLessThan(once.offsets / 2);
      else expect(once.instants.count).toBe(once.offsets);
    });
  }
});
