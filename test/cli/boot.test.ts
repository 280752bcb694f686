// The boot scenario in process (emulator/cli/scenario/boot.ts): a violation is caught and
// reported, which makes `reloaded run` exit non-zero; bad options are refused before anything runs.

import { describe, expect, it } from 'vitest';
import { BootOptionError, BOOT_DEFAULTS, runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { formatBootReport } from '../../emulator/cli/scenario/text.js';

describe('the boot scenario', () => {
  it('reports a DMA beat that lands where no pin aimed it, and fails the run', () => {
    const base = { ...BOOT_DEFAULTS, millis: 4 };
    const clean = runBootScenario(base);
    expect(clean.problems).toEqual([]);
    // A rogue bus master writes into high memory, which nobody pinned, at cycle 300,000.
    const r = runBootScenario({
      ...base,
      onWire: (_wire, machine) => machine.eventSource('rogue').at(300_000, () => machine.dma.write('rogue', 0xf0_0000, new Uint8Array(64).fill(0xab))),
    });
    expect(r.invariants.violations).toBeGreaterThan(0);
    expect(r.invariants.listed[0]).toMatch(/^cycle 3\d{5}: 1 dma: /); // seen at the first check after the beat
    expect(r.problems.some((p) => /distinct invariant violations/.test(p))).toBe(true);
    expect(formatBootReport(r)).toMatch(/result +\d+ problems?:/);
  });

  it('is the same run whatever the host\'s steps: checked every 20,000 or every 7,001 cycles, the same trace', () => {
    const base = { ...BOOT_DEFAULTS, millis: 6 };
    const a = runBootScenario(base);
    const b = runBootScenario({ ...base, checkEvery: 7_001 });
    expect(b.invariants.checks).toBeGreaterThan(a.invariants.checks);
    expect(b.trace).toEqual(a.trace);
    expect(b.sessions).toEqual(a.sessions);
  });

  it('refuses bad options with the option named', () => {
    const base = { ...BOOT_DEFAULTS, millis: 1 };
    expect(() => runBootScenario({ ...base, clients: 17 })).toThrow(BootOptionError);
    expect(() => runBootScenario({ ...base, clients: 0 })).toThrow(/clients: expected an integer from 1 to 16, got 0/);
    expect(() => runBootScenario({ ...base, strategy: 'zap' as never })).toThrow(/strategy: expected one of copy, flip, hybrid/);
    expect(() => runBootScenario({ ...base, millis: 0 })).toThrow(/millis/);
    expect(() => runBootScenario({ ...base, revokeAt: 10_000_000 })).toThrow(/revoke-at: cycle 10000000 is after the end of the run/);
  });
});
