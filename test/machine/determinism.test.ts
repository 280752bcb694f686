// A run is a pure function of its config and seed: the randomized machine workload (threads,
// DMA, interrupts) gives the same trace hash twice, and another seed gives another hash.

import { describe, expect, it } from 'vitest';
import { runMachineDemo } from '../../emulator/cli/machine-demo.js';

describe('determinism', () => {
  it('same seed, same trace hash; different seed, different hash', () => {
    const a = runMachineDemo({ seed: 7, millis: 20 });
    const b = runMachineDemo({ seed: 7, millis: 20 });
    const c = runMachineDemo({ seed: 8, millis: 20 });
    // The workload really exercised threads, DMA and interrupts.
    expect(a.interrupts).toBeGreaterThanOrEqual(19);
    expect(a.dmaBeats).toBeGreaterThan(1000);
    expect(Object.values(a.threadCycles).filter((c) => c > 0).length).toBe(4);
    expect(a.tlbMisses).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(c.traceHash).not.toBe(a.traceHash);
  });
});
