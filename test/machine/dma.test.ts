// The bus-master DMA engine: burst timing from HARDWARE.md §3.2 to the cycle, beats visible
// to the CPU exactly when due, master abort, the IOMMU, arbitration between transfers.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import type { DmaBeat, DmaResult } from '../../emulator/machine/dma.js';

/** Independent statement of the formula: arbitration 2 + address 1 + n data phases, 4 cycles each, ≤16 beats, bursts split at 4 KiB. */
function beatCycles(start: number, bus: number, len: number): { addr: number; cycle: number }[] {
  const out: { addr: number; cycle: number }[] = [];
  let t = start;
  let addr = bus;
  const end = bus + len;
  while (addr < end) {
    const pageEnd = (Math.floor(addr / 4096) + 1) * 4096;
    t += 3 * 4;
    for (let beat = 0; beat < 16 && addr < Math.min(end, pageEnd); beat++) {
      t += 4;
      out.push({ addr, cycle: t });
      addr = Math.min(addr - (addr % 4) + 4, end, pageEnd);
    }
  }
  return out;
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff || 0x5a);
}

describe('DMA engine timing', () => {
  it('a 1514-byte write finishes at exactly the cycle the burst formula predicts', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const start = 1000;
    m.clock.runUntil(start);
    let done: DmaResult | undefined;
    m.dma.write('card', 0x10000, pattern(1514), (r) => (done = r));
    const beats = beatCycles(start, 0x10000, 1514);
    // 23 bursts of 16 beats + one of 11: (23*19 + 14) PCI clocks = 451 * 4 cycles.
    expect(beats.at(-1)!.cycle).toBe(start + 451 * 4);
    expect(m.dma.duration(0x10000, 1514)).toBe(451 * 4);
    m.clock.runUntil(start + 451 * 4 - 1);
    expect(done).toBeUndefined();
    m.clock.runUntil(start + 451 * 4);
    expect(done).toMatchObject({ ok: true, transferred: 1514, cycle: start + 1804 });
    expect(m.memory.bytes.subarray(0x10000, 0x10000 + 1514)).toEqual(pattern(1514));
  });

  it('observers see every beat at its predicted cycle', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const seen: DmaBeat[] = [];
    m.dma.observers.add((b) => seen.push(b));
    m.dma.write('card', 0x20ffe, pattern(300)); // unaligned, crosses a page
    m.clock.runUntilIdle();
    const want = beatCycles(0, 0x20ffe, 300);
    expect(seen.map((b) => [b.bus, b.cycle])).toEqual(want.map((w) => [w.addr, w.cycle]));
    expect(seen.reduce((s, b) => s + b.length, 0)).toBe(300);
    expect(seen[0]!.length).toBe(2);
  });

  it('a CPU reader at an intermediate cycle sees exactly the beats due by then', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const data = pattern(1514);
    const base = 0x10000;
    m.dma.write('card', base, data);
    const beats = beatCycles(0, base, 1514);
    const probes = [5, 40, 200, 260, 377].map((i) => beats[i]!);
    const results: { dueNow: number; dueNext: number }[] = [];
    m.cpu.spawn('reader', 'supervisor', 0, (function* () {
      for (const p of probes) {
        m.cpu.compute(p.cycle - m.cpu.cycle);
        const next = beats[beats.indexOf(p) + 1]!;
        // Read the word due 4 cycles later first (not there yet), then the one due now.
        const dueNext = m.cpu.loadPhys(next.addr, 4);
        const dueNow = m.cpu.loadPhys(p.addr, 4);
        results.push({ dueNow, dueNext });
        yield;
      }
    })());
    m.runUntil(10_000);
    const word = (a: number) => new DataView(data.buffer).getUint32(a - base, true);
    expect(results).toEqual(probes.map((p) => ({ dueNow: word(p.addr), dueNext: 0 })));
  });
});

describe('DMA engine errors and IOMMU', () => {
  it('a write beyond RAM ends in master abort and writes nothing more', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const results: DmaResult[] = [];
    m.dma.write('card', (1 << 20) - 8, pattern(64), (r) => results.push(r));
    m.clock.runUntilIdle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: false, error: 'master-abort', transferred: 8 });
  });

  it('with the IOMMU on, bus pages are translated and an unmapped page faults', () => {
    const m = new Machine({ memoryBytes: 1 << 20, iommu: true });
    m.iommu.map(0x400, 0x30, true); // bus 0x400000 -> phys 0x30000
    m.iommu.map(0x401, 0x31, false);
    const results: DmaResult[] = [];
    m.dma.write('card', 0x400010, pattern(16), (r) => results.push(r));
    m.dma.write('card', 0x401000, pattern(16), (r) => results.push(r)); // read-only for the device
    m.dma.write('card', 0x402000, pattern(16), (r) => results.push(r)); // unmapped
    m.clock.runUntilIdle();
    expect(m.memory.bytes.subarray(0x30010, 0x30020)).toEqual(pattern(16));
    expect(m.memory.bytes.subarray(0x31000, 0x31010).every((b) => b === 0)).toBe(true);
    expect(results.map((r) => r.error)).toEqual([undefined, 'iommu-fault', 'iommu-fault']);
  });

  it('a read samples memory at each beat, so a change mid-transfer is seen by later beats only', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    let got: DmaResult | undefined;
    m.dma.read('card', 0x8000, 128, (r) => (got = r));
    const beats = beatCycles(0, 0x8000, 128);
    // Between beat 3 and beat 4, fill the buffer with 0xEE.
    m.clock.runUntil(beats[3]!.cycle);
    m.memory.fill(0xee, 0x8000, 0x8080);
    m.clock.runUntilIdle();
    expect(Array.from(got!.data.subarray(0, 16))).toEqual(new Array(16).fill(0));
    expect(Array.from(got!.data.subarray(16))).toEqual(new Array(112).fill(0xee));
  });

  it('re-arbitrates after every burst, round-robin between waiting transfers', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const masters: string[] = [];
    m.dma.observers.add((b) => masters.push(b.master));
    m.dma.write('a', 0x1000, pattern(128));
    m.dma.write('b', 0x2000, pattern(128));
    m.clock.runUntilIdle();
    const runs = masters.reduce<string[]>((r, x) => (r.at(-1)?.[0] === x ? (r[r.length - 1] += x, r) : [...r, x]), []);
    expect(runs.map((r) => [r[0], r.length])).toEqual([['a', 16], ['b', 16], ['a', 16], ['b', 16]]);
  });
});
