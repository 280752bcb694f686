// Write tracking of physical memory (memory.ts): every writer of the machine's own RAM notes
// the frames it writes, so untouched frames are known zero (the kernel's boot skips them)
// and a write journal names exactly the frames written since its reader last asked.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { FRAME_SIZE, PhysicalMemory, RamPool } from '../../emulator/machine/memory.js';
import { CR0_PG, PTE_P, PTE_RW } from '../../emulator/machine/paging.js';
import { bootKernel } from '../../guest/kernel/kernel.js';

const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

describe('physical memory write tracking', () => {
  it('fresh RAM is known zero until written; wrapped RAM never is and offers no journal', () => {
    const mem = new PhysicalMemory(16 * FRAME_SIZE);
    expect(mem.tracksWrites).toBe(true);
    expect(mem.knownZero(3)).toBe(true);
    mem.write8(3 * FRAME_SIZE + 7, 0); // even a zero written makes the frame not known zero
    expect(mem.knownZero(3)).toBe(false);
    expect(mem.knownZero(4)).toBe(true);
    mem.write32(5 * FRAME_SIZE - 2, 0xffffffff); // straddles frames 4 and 5
    expect([mem.knownZero(4), mem.knownZero(5)]).toEqual([false, false]);
    const wrapped = new PhysicalMemory(16 * FRAME_SIZE, new Uint8Array(16 * FRAME_SIZE));
    expect(wrapped.knownZero(0)).toBe(false);
    expect(() => wrapped.openJournal()).toThrow(/wrapped RAM/);
    mem.rebind(new Uint8Array(16 * FRAME_SIZE));
    expect([mem.tracksWrites, mem.knownZero(9)]).toEqual([false, false]);
  });

  it('a journal names the frames the CPU, the MMU and DMA wrote since the last take, each once', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const j = m.memory.openJournal();
    const j2 = m.memory.openJournal(); // two readers see the same writes independently
    m.cpu.storePhys(0x10004, 4, 1);
    m.cpu.storePhys(0x10008, 4, 2);
    m.cpu.zeroSync(0x20ff0, 0x20, true); // a bulk write over a frame boundary
    expect(sorted(j.take())).toEqual([0x10, 0x20, 0x21]);
    expect(j.take()).toEqual([]);
    m.dma.write('card', 0x30000, new Uint8Array(8).fill(1));
    m.clock.runUntilIdle();
    // Paging on: the walk sets A in the PDE (frame 0x40) and A and D in the PTE (frame 0x41).
    m.memory.write32(0x40000, 0x41000 | PTE_P | PTE_RW);
    m.memory.write32(0x41000, 0x50000 | PTE_P | PTE_RW);
    expect(sorted(j.take())).toEqual([0x30, 0x40, 0x41]);
    m.cpu.writeCr3(0x40000);
    m.cpu.writeCr0(CR0_PG);
    m.cpu.store32(0x10, 9);
    expect(sorted(j.take())).toEqual([0x40, 0x41, 0x50]);
    expect(sorted(j2.take())).toEqual([0x10, 0x20, 0x21, 0x30, 0x40, 0x41, 0x50]);
  });

  it('the kernel boot zeroes written frames of fresh RAM and trusts the untouched ones', () => {
    const m = new Machine({ memoryBytes: 4 << 20 });
    m.memory.write8(0x200000 + 5, 0xaa);
    const k = bootKernel(m);
    expect(m.memory.read8(0x200000 + 5)).toBe(0);
    expect(k.checkInvariants({ zeroScan: true })).toEqual([]);
  });

  it('a RAM pool hands a finished machine\'s buffer to the next one zeroed, and the finished machine keeps none', () => {
    const pool = new RamPool();
    const a = new Machine({ memoryBytes: 1 << 20 }, pool);
    a.memory.fill(0x5a, 0x3000, 0x5000);
    a.cpu.storePhys(0x8000, 4, 0xdeadbeef);
    const buffer = a.memory.bytes;
    pool.give(a.memory);
    expect(() => a.memory.read32(0x8000)).toThrow(RangeError);
    const b = new Machine({ memoryBytes: 1 << 20 }, pool);
    expect(b.memory.bytes.buffer === buffer.buffer).toBe(true); // the same buffer, zero again
    expect(buffer.every((x) => x === 0)).toBe(true);
    expect([b.memory.knownZero(3), b.memory.knownZero(8), b.memory.tracksWrites]).toEqual([true, true, true]);
    expect(new Machine({ memoryBytes: 2 << 20 }, pool).memory.bytes.buffer === buffer.buffer).toBe(false); // only for the same size
    expect(() => pool.give(new PhysicalMemory(16 * FRAME_SIZE, new Uint8Array(16 * FRAME_SIZE)))).toThrow(/wrapped RAM/);
  });
});
