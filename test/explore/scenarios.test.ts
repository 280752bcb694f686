// Acceptance 1 of the exploration issue, at a coarse grid: every scenario's probe finds its
// window, and a sweep across the whole window (every invariant checked after every event and
// kernel exit from the action on) sees no violation and names the outcomes it ran into. The
// whole windows at step 1 are `reloaded explore NAME` runs (README, bench); here a grid of
// about 16 offsets per window keeps the suite short, plus one dense stretch where outcomes change.

import { describe, expect, it } from 'vitest';
import { explore } from '../../emulator/cli/explore/explore.js';
import { scenarioNamed, SCENARIOS } from '../../emulator/cli/explore/scenarios/index.js';
import { probe } from '../../emulator/cli/explore/sweep.js';

/** Outcomes each scenario must show across its window: the race has (at least) these sides. */
const SIDES: Record<string, readonly RegExp[]> = {
  'revoke-during-copy-rx': [/^dropped \(revoked\)/, /^copied to client 1/],
  'revoke-during-flip-rx': [/^dropped \(revoked/, /^flipped to client 1/],
  'revoke-during-tx': [/^not sent/, /^sent as submitted/],
  'revoke-vs-exchange': [/^dropped \(revoked/, /^exchanged to client 2/],
  'unmap-vs-stale-tlb': [/^the stack's next load faulted/],
  'destroy-during-setup': [/^no session/],
  'hostile-header-rewrite': [/^not sent \(rejected: spoofed-ip\)/, /^sent as submitted/],
  'revoke-with-iommu': [/^dropped \(revoked/, /^flipped to client 1/],
  'destroy-stack-during-rx': [/^copied to client 1/],
  'steal-driver-messages': [/^the thief's receive was refused \(no-rights\)/],
};

describe('every scenario sweeps its window without a violation', () => {
  it('the list is the one the issue names, each with a summary and the sides it must show', () => {
    expect(SCENARIOS.map((s) => s.name).sort()).toEqual(Object.keys(SIDES).sort());
    for (const s of SCENARIOS) expect(s.summary.length).toBeGreaterThan(20);
  });

  for (const sc of SCENARIOS) {
    it(sc.name, async () => {
      const { window } = probe(sc, { seed: 1 });
      const step = Math.max(1, Math.ceil((window.to - window.from) / 15));
      const r = await explore(sc, { seed: 1 }, { step });
      expect(r.probe.violation).toBeNull();
      expect(r.violations).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.offsets).toBe(Math.floor((window.to - window.from) / step) + 1);
      expect(r.outcomes.reduce((n, o) => n + o.offsets, 0)).toBe(r.offsets);
      // The window's last cycle too: in a reception it is the delivery, the one offset where the frame arrives.
      const last = await explore(sc, { seed: 1 }, { from: window.to, to: window.to });
      expect(last.ok).toBe(true);
      const seen = [...r.outcomes, ...last.outcomes].map((o) => o.outcome);
      for (const side of SIDES[sc.name]!) expect(seen).toContainEqual(expect.stringMatching(side));
    });
  }

  it('at step 1 across the end of the copy race, every offset runs and the sides meet', async () => {
    const sc = scenarioNamed('revoke-during-copy-rx')!;
    const { window } = probe(sc, { seed: 1 });
    const [a, b] = [window.to - 400, window.to]; // the driver's last lines of copy, its ring update, the delivery
    const r = await explore(sc, { seed: 1 }, { from: a, to: b });
    expect(r.ok).toBe(true);
    expect(r.offsets).toBe(b - a + 1);
    expect(r.outcomes.length).toBeGreaterThanOrEqual(2);
    // Outcome ranges tile the stretch: consecutive, no gap, no overlap.
    const ranges = r.outcomes.flatMap((o) => o.ranges).sort((x, y) => x[0] - y[0]);
    ranges.forEach((x, i) => i > 0 && expect(x[0]).toBe(ranges[i - 1]![1] + 1));
    expect([ranges[0]![0], ranges.at(-1)![1]]).toEqual([a, b]);
  });
});
