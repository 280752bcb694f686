// The boot scenario in process (emulator/cli/scenario/boot.ts): a violation is caught and
// reported, which makes `reloaded run` exit non-zero; a run stopped early or without the peer
// host is reported as such; bad options are refused before anything runs.

import { describe, expect, it } from 'vitest';
import { BootOptionError, BOOT_DEFAULTS, BootRun, runBootScenario } from '../../emulator/cli/scenario/boot.js';
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

  it('a run stopped early (Ctrl-C on --wire) and one with no peer host say so, not what they would have done', () => {
    const run = new BootRun({ ...BOOT_DEFAULTS, millis: 50, noPeer: true, revokes: 'none' });
    while (run.machine.now < 266_000) {
      run.machine.runUntil(run.target());
      run.afterStride();
    }
    run.stop();
    const r = run.finish();
    expect(r.stoppedAtMillis).toBeGreaterThanOrEqual(2);
    expect(r.stoppedAtMillis).toBeLessThan(2.2);
    expect(r.peer).toBeUndefined();
    const text = formatBootReport(r);
    expect(text).toMatch(/^reloaded boot scenario: seed 1, stopped at 2\.\d+ ms of 50 ms emulated \(2\d\d,\d{3} cycles\)$/m);
    expect(text).toMatch(/no peer host: the wire goes outside \(--wire\)$/m);
    expect(text).not.toMatch(/from the peer|exercised by the peer host/);
    const full = runBootScenario({ ...BOOT_DEFAULTS, millis: 2 });
    expect(full.stoppedAtMillis).toBeUndefined();
    expect(formatBootReport(full)).toMatch(/^reloaded boot scenario: seed 1, 2 ms emulated .*\n.*exercised by the peer host at 10\.0\.0\.1$/m);
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
