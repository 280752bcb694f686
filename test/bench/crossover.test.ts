// The driver's default hybrid threshold is the copy/flip crossover the benchmark measures
// (emulator/bench/netdriver.ts): a cheap measurement of it (copy and flip at the two sizes
// around the default, fewer frames) must land within TOLERANCE bytes of the default, so a
// change to the driver's or the kernel's costs that moves the crossover fails here until the
// default is set from a new `reloaded bench netdriver`. Emulated cycles: deterministic.

import { describe, expect, it } from 'vitest';
import { crossoverOf, measureStrategy } from '../../emulator/bench/netdriver.js';
import { DEFAULTS } from '../../guest/netdriver/config.js';

/** The sizes the full measurement found the crossover between. */
const AROUND = [384, 512] as const;
const FRAMES = 40;
const TOLERANCE = 8;

describe('hybrid threshold', () => {
  it('the default is the measured copy/flip crossover', () => {
    const rows = AROUND.map((size) => ({ size, copy: measureStrategy('copy', size, FRAMES).cyclesPerFrame, flip: measureStrategy('flip', size, FRAMES).cyclesPerFrame }));
    // Below the crossover copy is cheaper, above it flip.
    expect(rows[0]!.copy).toBeLessThan(rows[0]!.flip);
    expect(rows[1]!.flip).toBeLessThan(rows[1]!.copy);
    const c = crossoverOf(rows);
    expect(c.how).toBe('interpolated');
    expect(Math.abs(c.bytes - DEFAULTS.hybridThreshold)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('crossoverOf: interpolated between the sizes around the sign change, or the end it is stuck at', () => {
    expect(crossoverOf([{ size: 100, copy: 10, flip: 20 }, { size: 200, copy: 30, flip: 20 }])).toEqual({ bytes: 150, how: 'interpolated', between: [100, 200] });
    expect(crossoverOf([{ size: 100, copy: 30, flip: 20 }])).toEqual({ bytes: 100, how: 'at the smallest size' });
    expect(crossoverOf([{ size: 100, copy: 10, flip: 20 }, { size: 200, copy: 10, flip: 20 }])).toEqual({ bytes: 200, how: 'not reached' });
  });
});
