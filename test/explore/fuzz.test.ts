// Acceptance 3 of the exploration issue, at test size: fuzzed schedules (timer rates, arrival
// times, wire faults, hostile acts by several stacks at once) find no violation, each seed's
// schedule is a pure function of it, a planted bug makes seeds fail, and a failing seed's
// replay (the same seed alone) fails identically. `reloaded explore fuzz --seeds 1000` is the
// full run (README).

import { describe, expect, it } from 'vitest';
import { explainFuzzSeed } from '../../emulator/cli/explore/explain.js';
import { fuzzSchedule, runFuzzSeed } from '../../emulator/cli/explore/fuzz.js';
import { mergeFuzz, summarizeFuzz } from '../../emulator/cli/explore/fuzz-report.js';

const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);

describe('explore fuzz', () => {
  it('draws varied schedules, each a pure function of its seed', () => {
    expect(fuzzSchedule(7)).toEqual(fuzzSchedule(7));
    const all = SEEDS.map(fuzzSchedule);
    expect(new Set(all.map((s) => s.mode))).toEqual(new Set(['busmaster', 'classic']));
    expect(new Set(all.map((s) => s.strategy))).toEqual(new Set(['copy', 'flip', 'hybrid']));
    expect(new Set(all.map((s) => s.tickHz)).size).toBe(3);
    expect(all.some((s) => Object.keys(s.faults).length > 0) && all.some((s) => Object.keys(s.faults).length === 0)).toBe(true);
    expect(all.some((s) => s.acts.length >= 2)).toBe(true); // several stacks at once
    expect(new Set(all.flatMap((s) => s.acts.map((a) => a.what))).size).toBe(4);
  });

  it(`${SEEDS.length} seeds: no violation`, () => {
    const results = SEEDS.map((seed) => runFuzzSeed(seed, undefined));
    const report = summarizeFuzz({ firstSeed: 1, seeds: SEEDS.length, bug: null, shard: null }, results);
    expect(report.failing).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a planted bug fails seeds, and each failing seed replays identically', () => {
    const results = SEEDS.map((seed) => runFuzzSeed(seed, 'free-pinned-frame'));
    const failing = results.filter((r) => r.violation);
    expect(failing.length).toBeGreaterThan(0);
    for (const f of failing.slice(0, 3)) {
      expect(f.schedule).toMatch(/flip|hybrid/); // pinned receive pages: flip or hybrid
      expect(f.schedule).toMatch(/destroy-bank/);
      expect(runFuzzSeed(f.seed, 'free-pinned-frame')).toEqual(f);
    }
    // --explain on the replay: the same violation, with the hostile acts as the ACTION lines.
    const x = explainFuzzSeed(failing[0]!.seed, 'free-pinned-frame', failing[0]!.violation!);
    expect(x.reproduced).toBe(true);
    expect(x.events.some((e) => e.kind === 'action' && /^ACTION: client \d destroys its bank$/.test(e.text))).toBe(true);
    expect(x.meanings.join(' ')).toMatch(/^2 /);
    const report = summarizeFuzz({ firstSeed: 1, seeds: SEEDS.length, bug: 'free-pinned-frame', shard: null }, results);
    expect(report.failing[0]!.replay).toBe(`npx reloaded explore fuzz --first-seed ${failing[0]!.seed} --seeds 1 --bug free-pinned-frame`);
    // Shards of the seeds merge into the whole report.
    const half = SEEDS.length / 2;
    const parts = [0, 1].map((k) => summarizeFuzz({ firstSeed: 1, seeds: SEEDS.length, bug: 'free-pinned-frame', shard: { index: k + 1, count: 2 } }, results.slice(k * half, (k + 1) * half)));
    expect(mergeFuzz([parts[1]!, parts[0]!])).toEqual(report);
  });
});
