// The benchmark's statistics (emulator/bench/stats.ts): min and median, and the interleaved
// schedule that runs the two sides of a ratio A B A B, after one discarded warm-up round.

import { describe, expect, it } from 'vitest';
import { measureInterleaved, median, min, samplesOf } from '../../emulator/bench/stats.js';

describe('bench statistics', () => {
  it('min and median, odd and even counts, unsorted input left alone', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(min(xs)).toBe(1);
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no samples/);
    expect(samplesOf([3, 1, 2])).toEqual({ samples: [3, 1, 2], min: 1, median: 2 });
  });

  it('interleaves the sides A B A B, warm-up round first and not counted', async () => {
    const order: string[] = [];
    let a = 0;
    let b = 100;
    const s = await measureInterleaved([
      { name: 'a', run: () => (order.push('a'), a++) },
      { name: 'b', run: async () => (order.push('b'), b++) },
    ], 3);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    // The warm-up round returned 0 and 100: not among the samples.
    expect(s.a).toEqual({ samples: [1, 2, 3], min: 1, median: 2 });
    expect(s.b).toEqual({ samples: [101, 102, 103], min: 101, median: 102 });
  });

  it('without warm-up every run counts; fewer than 3 repeats or two sides of one name are refused', async () => {
    let n = 0;
    const s = await measureInterleaved([{ name: 'x', run: () => n++ }], 3, { warmup: false });
    expect(s.x!.samples).toEqual([0, 1, 2]);
    await expect(measureInterleaved([{ name: 'x', run: () => 1 }], 2)).rejects.toThrow(/at least 3 repeats/);
    await expect(measureInterleaved([{ name: 'x', run: () => 1 }, { name: 'x', run: () => 2 }], 3)).rejects.toThrow(/share a name/);
  });
});
