// Acceptance 4 of the exploration issue: shards of a sweep, merged, give the report of the
// whole sweep, in any order; merging refuses reports that overlap or come from other sweeps.

import { describe, expect, it } from 'vitest';
import { explore } from '../../emulator/cli/explore/explore.js';
import { mergeSweeps } from '../../emulator/cli/explore/report.js';
import { scenarioNamed } from '../../emulator/cli/explore/scenarios/index.js';

const sc = scenarioNamed('revoke-during-copy-rx')!;
const grid = { step: 997 };

describe('explore merge', () => {
  it('two shards merged equal the whole sweep, and so do three in any order', async () => {
    const whole = await explore(sc, { seed: 1 }, grid);
    const two = await Promise.all([1, 2].map((index) => explore(sc, { seed: 1 }, { ...grid, shard: { index, count: 2 } })));
    expect(two[0]!.shards).toEqual({ indices: [1], count: 2 });
    expect(two[0]!.offsets + two[1]!.offsets).toBe(whole.offsets);
    expect(mergeSweeps(two)).toEqual(whole);
    const three = await Promise.all([3, 1, 2].map((index) => explore(sc, { seed: 1 }, { ...grid, shard: { index, count: 3 } })));
    expect(mergeSweeps(three)).toEqual(whole);
    // Two of three: a partial report that says which shards it holds.
    expect(mergeSweeps(three.slice(0, 2)).shards).toEqual({ indices: [1, 3], count: 3 });
  });

  it('a planted bug\'s violations merge with their first offset and replay line', async () => {
    const c = { seed: 1, bug: 'writable-rx-buffers' as const };
    const whole = await explore(sc, c, grid);
    const parts = await Promise.all([2, 1].map((index) => explore(sc, c, { ...grid, shard: { index, count: 2 } })));
    expect(whole.ok).toBe(false);
    expect(mergeSweeps(parts)).toEqual(whole);
  });

  it('refuses overlapping shards, other sweeps, and nothing', async () => {
    const a = await explore(sc, { seed: 1 }, { ...grid, shard: { index: 1, count: 2 } });
    expect(() => mergeSweeps([a, a])).toThrow(/shard 1 of 2 appears twice/);
    const other = await explore(sc, { seed: 2 }, { ...grid, shard: { index: 2, count: 2 } });
    expect(() => mergeSweeps([a, other])).toThrow(/reports of different sweeps/);
    expect(() => mergeSweeps([])).toThrow(/no reports/);
  });
});
