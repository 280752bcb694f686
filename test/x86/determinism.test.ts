// Reproducibility of the v86 platform (emulator/platforms/v86/README.md, "Determinism"):
// v86's RTC runs on virtual time from a fixed epoch, and a whole run of the NE2000 self-test
// (bus-master descriptors polled in memory included) gives the same emulated cycle count and
// trace hash in fresh node processes as in this warm one.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleScript, runScript } from '../support/fresh-node.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runX86 } from '../../emulator/cli/x86.js';
import { V86Platform } from '../../emulator/platforms/v86/platform.js';
import { tinyGuest } from './guests.js';

const ROOT = resolve(__dirname, '../..');
const SELFTEST = join(ROOT, 'emulator/platforms/v86/examples/ne2k-selftest.img');

/**
 * Reads CMOS registers 0, 2, 4, 7, 8, 9 (seconds, minutes, hours, day, month, year) and
 * writes each to port 0x340; sets register A to rate 6 (1024 Hz) and enables the periodic
 * interrupt in register B; then five times polls register C until PF is set and writes the
 * number of polls to port 0x340 (32-bit); exits 0. Assembled with nasm (org 0x100020).
 */
const RTC_GUEST = [
  0xbf, 0x6a, 0x00, 0x10, 0x00, 0xb9, 0x06, 0x00, 0x00, 0x00, 0x8a, 0x07, 0xe6, 0x70, 0xe4, 0x71, 0x66, 0xba, 0x40, 0x03,
  0xee, 0x47, 0xe2, 0xf2, 0xb0, 0x0a, 0xe6, 0x70, 0xb0, 0x26, 0xe6, 0x71, 0xb0, 0x0b, 0xe6, 0x70, 0xb0, 0x42, 0xe6, 0x71,
  0xbb, 0x05, 0x00, 0x00, 0x00, 0x31, 0xf6, 0x46, 0xb0, 0x0c, 0xe6, 0x70, 0xe4, 0x71, 0xa8, 0x40, 0x74, 0xf5, 0x89, 0xf0,
  0x66, 0xba, 0x40, 0x03, 0xef, 0x4b, 0x75, 0xe9, 0xb0, 0x00, 0xe6, 0xf4, 0xfa, 0xf4, 0x00, 0x02, 0x04, 0x07, 0x08, 0x09,
];
const REPORT_PORT = 0x340;
/** 1024 Hz at 133 MHz: v86 raises the periodic interrupt about every 129,883 cycles. */
const PERIOD_CYCLES = 133_000_000 / 1024;

let platform: V86Platform | undefined;
afterEach(async () => {
  await platform?.destroy();
  platform = undefined;
});

async function rtcRun(): Promise<{ values: number[]; cycles: number[]; hash: string }> {
  platform = await V86Platform.boot(tinyGuest(RTC_GUEST));
  const p = platform;
  const values: number[] = [];
  const cycles: number[] = [];
  const kind = p.trace.kind('rtc-report');
  p.ports.claim(REPORT_PORT, 1, {
    name: 'report',
    portRead: () => 0,
    portWrite: (_port, value) => {
      values.push(value);
      cycles.push(p.now);
      p.trace.record(p.now, kind, value, 0, 0);
    },
  });
  expect(await p.run({ maxCycles: 50_000_000 })).toMatchObject({ kind: 'exit', code: 0 });
  const hash = p.trace.hash();
  await p.destroy();
  platform = undefined;
  return { values, cycles, hash };
}

describe('v86 platform determinism', () => {
  it("v86's RTC runs on virtual time: the CMOS date is the fixed epoch, periodic interrupts come at the same cycles every run", async () => {
    const a = await rtcRun();
    // 2000-01-01 00:00:00 UTC in BCD (register B's default), read a few instructions after cycle 0.
    expect(a.values.slice(0, 6)).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x00]);
    const polls = a.values.slice(6);
    expect(polls).toHaveLength(5);
    // Each period took polls: the guest waited for virtual time to pass, about one period each.
    const gaps = a.cycles.slice(7).map((c, i) => c - a.cycles[6 + i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(PERIOD_CYCLES / 2);
      expect(gap).toBeLessThan(PERIOD_CYCLES * 2);
    }
    const b = await rtcRun();
    expect(b.values).toEqual(a.values);
    expect(b.cycles).toEqual(a.cycles);
    expect(b.hash).toBe(a.hash);
  });

  describe('whole runs in fresh node processes', () => {
    let script = '';
    beforeAll(async () => {
      script = await bundleScript(join(__dirname, 'fresh-run.ts'), 'x86-fresh-run');
    });
    type Outcome = { result: { kind: string; code: number; cycles: number }; traceHash: string };
    const fresh = (...args: string[]): Outcome => runScript<Outcome>(script, ...args);

    it('a guest polling memory that a device writes sees it at the same cycles, with or without host delays', () => {
      // Where v86 ends a slice decides when the device's write lands, so this would differ
      // if slices depended on the host (on when JIT compilations finish, say).
      const first = fresh('dma-poll');
      expect(first.result).toMatchObject({ kind: 'exit', code: 0 });
      expect(first.result.cycles).toBeGreaterThan(30 * 50_000); // 30 rounds of at least the device's delay
      expect(fresh('dma-poll', '--host-delays')).toEqual(first);
    });

    it('the NE2000 self-test gives the same cycle count and trace hash in fresh processes and in this warm one', async () => {
      const first = fresh('selftest', SELFTEST);
      expect(first.result).toMatchObject({ kind: 'exit', code: 0 });
      expect(fresh('selftest', SELFTEST, '--host-delays')).toEqual(first);
      // And in this process, after other v86 instances have run in it.
      const warm = await runX86({ image: readFileSync(SELFTEST), echo: true, maxCycles: 50_000_000 });
      expect({ result: warm.result, traceHash: warm.traceHash }).toEqual(first);
    });
  });
});
