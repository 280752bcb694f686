// The composition's checks (emulator/cli/scenario/checks.ts: the kernel invariants, DMA per
// transfer, isolation and read-only receive buffers from the frame table, liveness) hold on a
// normal run of the boot scenario in every receive strategy and card mode, with client 1
// destroying its bank halfway: they flag breaches (the other check-*.test.ts files), not the
// design working as meant.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, MODES, runBootScenario, STRATEGIES } from '../../emulator/cli/scenario/boot.js';

describe('every check holds on a normal boot scenario', () => {
  for (const mode of MODES) {
    for (const strategy of STRATEGIES) {
      it(`${mode} / ${strategy}, three clients, a revocation mid-run`, () => {
        // Classic mode moves every byte through port I/O, each access a system call: about 100,000 cycles a frame, so its run is longer to show the others served after the revocation.
        const r = runBootScenario({ ...BOOT_DEFAULTS, millis: mode === 'classic' ? 40 : 16, mode, strategy, clients: 3 });
        expect(r.invariants.listed).toEqual([]);
        expect(r.problems).toEqual([]);
        expect(r.revocation?.sessionOpen).toBe(true);
        expect(r.sessions.slice(1).every((s) => (s.peer?.pingsAnswered ?? 0) > 0 && (s.progressAfterRevocation ?? 0) > 0)).toBe(true);
        expect(r.invariants.checks).toBeGreaterThan(20);
      });
    }
  }
});
