// Acceptance 2 of the exploration issue: every planted bug is caught by the sweep the issue
// pairs it with, the same sweep without the bug is clean, and the replay of the first
// violation (one offset, or the probe) reproduces it exactly. A checker that cannot fail
// proves nothing: this file is its proof.

import { describe, expect, it } from 'vitest';
import { BUG_NAMES, BUGS, type BugName } from '../../emulator/cli/explore/bugs.js';
import { explore, type ExploreOptions } from '../../emulator/cli/explore/explore.js';
import { scenarioNamed } from '../../emulator/cli/explore/scenarios/index.js';
import { probe, runOffset } from '../../emulator/cli/explore/sweep.js';

/** Where in its window each sweep looks (the whole window on a grid, unless the bug's race is narrow). */
function gridFor(bug: BugName, window: { from: number; to: number }): ExploreOptions {
  // The header's time-of-check to time-of-use gap: from the driver's check to the card's DMA read, a few hundred cycles early in the window.
  if (bug === 'no-header-copy') return { from: window.from, to: window.from + 3000, step: 50 };
  return { step: Math.max(1, Math.ceil((window.to - window.from) / 10)) };
}

describe('planted bugs are caught by their sweeps', () => {
  it('the issue\'s pairs', () => {
    expect(Object.fromEntries(BUG_NAMES.map((b) => [b, BUGS[b].caughtBy]))).toMatchObject({
      'free-pinned-frame': 'revoke-during-flip-rx',
      'skip-tlb-flush': 'unmap-vs-stale-tlb',
      'no-header-copy': 'hostile-header-rewrite',
      'writable-rx-buffers': 'revoke-during-copy-rx',
      'no-zero-on-free': 'revoke-during-copy-rx',
      'exchange-pinned': 'revoke-vs-exchange',
      'wrong-buffer-dma': 'revoke-during-flip-rx',
    });
  });

  for (const bug of BUG_NAMES) {
    it(`${bug} by ${BUGS[bug].caughtBy}`, async () => {
      const sc = scenarioNamed(BUGS[bug].caughtBy)!;
      const grid = gridFor(bug, probe(sc, { seed: 1 }).window);
      const clean = await explore(sc, { seed: 1 }, grid);
      expect(clean.ok).toBe(true);
      const r = await explore(sc, { seed: 1, bug }, grid);
      expect(r.ok).toBe(false);
      const first = r.violations[0]?.first;
      if (first) {
        // The replay line names this very offset, and rerunning it gives the same violation, cycle and messages.
        expect(first.replay).toBe(`npx reloaded explore ${sc.name} --seed 1 --bug ${bug} --at ${first.offset}`);
        const again = runOffset(sc, { seed: 1, bug }, { from: r.window.from, to: r.window.to }, first.offset);
        expect(again.violation).toEqual({ cycle: first.cycle, messages: first.messages });
      } else {
        const pv = r.probe.violation!;
        expect(pv.replay).toBe(`npx reloaded explore ${sc.name} --seed 1 --bug ${bug} --probe`);
        expect(probe(sc, { seed: 1, bug }).violation).toEqual({ cycle: pv.cycle, messages: pv.messages });
      }
    });
  }
});
