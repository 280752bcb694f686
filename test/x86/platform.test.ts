// The v86 platform's harness (emulator/platforms/v86/platform.ts) with tiny hand-assembled
// guests: COM1 output is captured, a write to port 0xF4 ends the run with its value, a guest
// that never exits is stopped by the emulated-cycle limit, a halted one is reported as
// stuck, a bad image is refused before v86 starts, and our devices' ports and clock work.

import { afterEach, describe, expect, it } from 'vitest';
import { MultibootError } from '../../emulator/platforms/v86/multiboot.js';
import { V86Platform } from '../../emulator/platforms/v86/platform.js';
import type { PortWidth } from '../../emulator/machine/ports.js';
import { elfGuest, exitCode, HALT_WITH_INTERRUPTS_OFF, HALT_WITH_INTERRUPTS_ON, printCode, spin, SPIN_FOREVER, tinyGuest } from './guests.js';

let platform: V86Platform | undefined;
afterEach(async () => {
  await platform?.destroy();
  platform = undefined;
});

async function boot(code: number[]): Promise<V86Platform> {
  platform = await V86Platform.boot(tinyGuest(code));
  return platform;
}

describe('v86 platform harness', () => {
  it('copies COM1 and exits with the code written to port 0xF4', async () => {
    const p = await boot([...printCode('hi\n'), ...exitCode(42)]);
    let out = '';
    p.onSerial = (b) => (out += String.fromCharCode(b));
    const r = await p.run({ maxCycles: 1_000_000 });
    expect(r.kind).toBe('exit');
    expect(r.kind === 'exit' && r.code).toBe(42);
    expect(out).toBe('hi\n');
    // The clock counts v86's retired instructions: 3 characters × 3 instructions and the
    // MOV before the OUT are 10, of which v86's counter reports 9 at the OUT (it does not
    // count the first instruction after the multiboot entry). Deterministic, so pinned.
    expect(r.cycles).toBe(9);
  });

  it('stops a guest that never exits at the emulated-cycle limit', async () => {
    const p = await boot(SPIN_FOREVER);
    const r = await p.run({ maxCycles: 3_000_000 });
    expect(r.kind).toBe('timeout');
    expect(r.cycles).toBeGreaterThanOrEqual(3_000_000);
  });

  it('reports a guest halted with interrupts off, or waiting with nothing to wake it', async () => {
    let r = await (await boot(HALT_WITH_INTERRUPTS_OFF)).run({ maxCycles: 1_000_000 });
    expect(r).toMatchObject({ kind: 'stuck', reason: 'the guest halted with interrupts disabled' });
    await platform!.destroy();
    r = await (await boot(HALT_WITH_INTERRUPTS_ON)).run({ maxCycles: 1_000_000 });
    expect(r).toMatchObject({ kind: 'stuck', reason: 'the guest waits in HLT and no device event is pending' });
  });

  it('jumps time over HLT to the next device event', async () => {
    // An event at a known cycle fires while the guest is halted: the clock skips to it.
    const p = await boot(HALT_WITH_INTERRUPTS_ON);
    const src = p.eventSource('test');
    let firedAt = -1;
    src.at(5_000_000, () => (firedAt = p.clock.now));
    const r = await p.run({ maxCycles: 6_000_000 });
    expect(firedAt).toBe(5_000_000);
    expect(r.kind).toBe('stuck'); // nothing raised an IRQ, so after the event it waits forever
    expect(r.cycles).toBeGreaterThanOrEqual(5_000_000);
  });

  it('refuses a bad image before starting v86', async () => {
    const bad = tinyGuest(exitCode(0));
    bad[8] ^= 1; // break the checksum
    await expect(V86Platform.boot(bad)).rejects.toThrow(MultibootError);
    await expect(V86Platform.boot(bad)).rejects.toThrow(/bad multiboot checksum/);
  });

  it('routes IN/OUT of every width to a claimed device, its clock caught up to the access', async () => {
    // mov dx, 0x340; in al, dx; in ax, dx; in eax, dx; mov eax, 0x12345678; out dx, eax; out dx, ax; out dx, al; exit 0
    const code = [0x66, 0xba, 0x40, 0x03, 0xec, 0x66, 0xed, 0xed, 0xb8, 0x78, 0x56, 0x34, 0x12, 0xef, 0x66, 0xef, 0xee, ...exitCode(0)];
    const p = await boot(code);
    const seen: string[] = [];
    const times: number[] = [];
    p.ports.claim(0x340, 4, {
      name: 'probe',
      portRead: (port: number, width: PortWidth) => {
        times.push(p.clock.now);
        seen.push(`r${width}@${port.toString(16)}`);
        return 0xaabbccdd;
      },
      portWrite: (port: number, value: number, width: PortWidth) => {
        times.push(p.clock.now);
        seen.push(`w${width}@${port.toString(16)}=${value.toString(16)}`);
      },
    });
    expect(() => p.ports.claim(0x343, 2, { name: 'other', portRead: () => 0, portWrite: () => {} })).toThrow(/already claimed by probe/);
    const r = await p.run({ maxCycles: 1_000_000 });
    expect(r.kind).toBe('exit');
    expect(seen).toEqual(['r1@340', 'r2@340', 'r4@340', 'w4@340=12345678', 'w2@340=5678', 'w1@340=78']);
    // Each access sees the clock caught up to v86's instruction count at that point: never
    // behind by more than the instruction in flight and v86's uncounted first one, never ahead.
    const before = [1, 2, 3, 5, 6, 7]; // instructions that precede each access
    times.forEach((t, i) => {
      expect(t).toBeLessThanOrEqual(before[i]!);
      expect(t).toBeGreaterThanOrEqual(before[i]! - 2);
      if (i > 0) expect(t).toBeGreaterThan(times[i - 1]!);
    });
  });

  it("follows v86's RAM when v86 grows its wasm memory, so DMA still lands in guest memory", async () => {
    const p = await boot(SPIN_FOREVER);
    const before = p.memory.bytes;
    p.v86.cpu.wasm_memory.grow(16); // what v86's JIT does when it needs room: old views detach
    expect(before.length).toBe(0);
    p.catchUp();
    expect(p.memory.bytes.length).toBe(p.memory.size);
    let done = false;
    p.dma.write('test', 0x200000, Uint8Array.of(1, 2, 3, 4, 5), () => (done = true));
    p.clock.runUntil(p.clock.now + 1000);
    expect(done).toBe(true);
    expect([...p.v86.ram().subarray(0x200000, 0x200005)]).toEqual([1, 2, 3, 4, 5]);
    p.memory.write32(0x300000, 0xdeadbeef);
    expect(new DataView(p.v86.ram().buffer, p.v86.ram().byteOffset).getUint32(0x300000, true)).toBe(0xdeadbeef);
  });

  it('gives the guest a deterministic time-stamp counter (virtual time, not the host clock)', async () => {
    // 200,000 turns of `loop $`, then rdtsc; mov dx, 0x340; out dx, eax; exit 0.
    const code = [0xb9, 0x40, 0x0d, 0x03, 0x00, 0xe2, 0xfe, 0x0f, 0x31, 0x66, 0xba, 0x40, 0x03, 0xef, ...exitCode(0)];
    const tscs: number[] = [];
    for (let run = 0; run < 2; run++) {
      const p = await boot(code);
      p.ports.claim(0x340, 1, { name: 'tsc', portRead: () => 0, portWrite: (_port, value) => void tscs.push(value) });
      expect((await p.run({ maxCycles: 10_000_000 })).kind).toBe('exit');
      await p.destroy();
      platform = undefined;
    }
    expect(tscs).toHaveLength(2);
    expect(tscs[0]).toBeGreaterThan(0);
    expect(tscs[1]).toBe(tscs[0]);
  });

  it('boots an ELF multiboot image that the validator accepts (v86 loads its program headers)', async () => {
    platform = await V86Platform.boot(elfGuest([...printCode('elf\n'), ...exitCode(7)]));
    let out = '';
    platform.onSerial = (b) => (out += String.fromCharCode(b));
    expect(await platform.run({ maxCycles: 1_000_000 })).toMatchObject({ kind: 'exit', code: 7 });
    expect(out).toBe('elf\n');
  });

  it('paced to the wall clock, emulated time never gets ahead of it', async () => {
    let p: V86Platform | undefined;
    // A fake wall clock that moves 0.25 ms each time it is read: the platform must keep
    // waiting until it has caught up with emulated time before it runs the next slice.
    let wall = 0;
    let first: number | undefined;
    p = platform = await V86Platform.boot(tinyGuest([...spin(3_000_000), ...exitCode(0)]), {
      wallClock: () => {
        wall += 0.25;
        first ??= wall;
        return wall;
      },
    });
    const cpu = p.v86.cpu;
    const mainLoop = cpu.main_loop.bind(cpu);
    const startCycle = p.now;
    let slices = 0;
    let worstLeadMs = -Infinity;
    cpu.main_loop = () => {
      slices++;
      const emulatedMs = (p!.now - startCycle) / (p!.cpuHz / 1000);
      worstLeadMs = Math.max(worstLeadMs, emulatedMs - (wall - first!));
      return mainLoop();
    };
    const r = await p.run({ paceToWallClock: true, maxCycles: 10_000_000 });
    expect(r).toMatchObject({ kind: 'exit', code: 0 });
    expect(slices).toBeGreaterThan(10); // ~3 M instructions: many slices, each paced
    expect(worstLeadMs).toBeLessThanOrEqual(0);
    // It did wait: the fake wall clock was read until it reached the guest's emulated run
    // time, less the last slice (about 0.75 ms), after which the guest exited.
    expect(wall - first!).toBeGreaterThan((r.cycles - startCycle) / (p.cpuHz / 1000) - 1);
  });
});
