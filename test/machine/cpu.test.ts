// The CPU: translated accesses with faults delivered to a handler, stale TLB visible to
// guest code, bus errors, bulk operations line by line, threads, interrupts at preemption
// points, and timer interrupts at the programmed rate end to end through the 8259 and 8254.

import { describe, expect, it } from 'vitest';
import { DEFAULT_COSTS } from '../../emulator/machine/costs.js';
import { PageFault, type CpuAccess } from '../../emulator/machine/cpu.js';
import { Machine } from '../../emulator/machine/machine.js';
import { CR0_PG, CR0_WP, PF_P, PF_U, PF_W } from '../../emulator/machine/paging.js';
import { endOfInterrupt, initPics, programTimer } from '../../emulator/machine/pcinit.js';
import { BLOCK, type GuestCode } from '../../emulator/machine/thread.js';
import { PageTables, RW, US } from '../support/pagetables.js';

function pagedMachine() {
  const m = new Machine({ memoryBytes: 4 << 20 });
  const pt = new PageTables(m.memory, 0x100);
  m.cpu.writeCr0(CR0_PG | CR0_WP);
  m.cpu.writeCr3(pt.cr3);
  return { m, pt };
}

function run(m: Machine, name: string, mode: 'user' | 'supervisor', body: () => GuestCode) {
  const t = m.cpu.spawn(name, mode, m.mmu.cr3, body());
  m.runUntil(m.now + 10_000_000);
  return t;
}

/** A supervisor thread that computes and loads forever, yielding at each preemption point that is due; returns its count of loads so far. */
function spinLoads(m: Machine): () => number {
  let loads = 0;
  m.cpu.spawn('spin', 'supervisor', 0, (function* () {
    for (;;) {
      m.cpu.compute(3);
      m.cpu.load32(0x1000);
      loads++;
      if (m.cpu.preemptionDue()) yield;
    }
  })());
  return () => loads;
}

describe('CPU memory access', () => {
  it('user code reads and writes through its mappings; a fault reaches the handler with code and CR2', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    pt.map(0x2000, 0x201000, US);
    const faults: [number, number][] = [];
    m.cpu.onPageFault = (f) => (faults.push([f.linear, f.errorCode]), false);
    let caught: unknown;
    const t = run(m, 'u', 'user', function* () {
      m.cpu.store32(0x1004, 0xdeadbeef);
      expect(m.cpu.load32(0x1004)).toBe(0xdeadbeef);
      expect(m.cpu.load8(0x2000)).toBe(0);
      try {
        m.cpu.store8(0x2010, 1);
      } catch (e) {
        caught = e;
      }
      m.cpu.load32(0x9000); // unmapped, uncaught: ends the thread
    });
    expect(m.memory.read32(0x200004)).toBe(0xdeadbeef);
    expect(caught).toBeInstanceOf(PageFault);
    expect(faults).toEqual([[0x2010, PF_P | PF_W | PF_U], [0x9000, PF_U]]);
    expect(t.state).toBe('faulted');
    expect((t.error as PageFault).linear).toBe(0x9000);
    expect(m.mmu.cr2).toBe(0x9000);
  });

  it('a handler that maps the page makes the access retry and succeed', () => {
    const { m, pt } = pagedMachine();
    m.cpu.onPageFault = (f) => (pt.map(f.linear & ~0xfff, 0x300000, RW | US), true);
    m.memory.write32(0x300040, 1234);
    let v = 0;
    run(m, 'u', 'user', function* () {
      v = m.cpu.load32(0x5040);
    });
    expect(v).toBe(1234);
  });

  it('guest code keeps using a revoked mapping through a stale TLB entry until INVLPG', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    const log: string[] = [];
    m.cpu.onPageFault = () => false;
    run(m, 'u', 'user', function* () {
      m.cpu.store32(0x1000, 1);
      pt.setPte(0x1000, 0); // revoked in memory, TLB not flushed
      m.cpu.store32(0x1000, 2);
      log.push(`stale write landed: ${m.memory.read32(0x200000)}`);
      m.cpu.invlpg(0x1000);
      try {
        m.cpu.load32(0x1000);
      } catch (e) {
        log.push(`after invlpg: ${(e as PageFault).errorCode}`);
      }
    });
    expect(log).toEqual(['stale write landed: 2', `after invlpg: ${PF_U}`]);
  });

  it('an access outside RAM reads all ones and drops the write, without ending the run', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    let v = 0;
    run(m, 'k', 'supervisor', function* () {
      m.cpu.storePhys(0x7fff0000, 4, 5);
      v = m.cpu.loadPhys(0x7fff0000, 4);
    });
    expect(v).toBe(0xffffffff);
  });

  it('an unaligned access across a page boundary is split and each page translated', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    pt.map(0x2000, 0x280000, RW | US);
    run(m, 'u', 'user', function* () {
      m.cpu.store32(0x1ffe, 0x11223344);
    });
    expect(m.memory.read16(0x200ffe)).toBe(0x3344);
    expect(m.memory.read16(0x280000)).toBe(0x1122);
  });

  it('bulk copy moves the bytes, yields once per line and charges per line', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    pt.map(0x2000, 0x201000, RW | US);
    m.memory.set(Uint8Array.from({ length: 256 }, (_, i) => i), 0x200000);
    let yields = 0;
    const accesses: CpuAccess[] = [];
    m.cpu.observers.add((a) => accesses.push(a));
    run(m, 'u', 'user', function* () {
      for (const y of m.cpu.copy(0x2000, 0x1000, 256)) {
        yields++;
        yield y;
      }
    });
    expect(m.memory.bytes.subarray(0x201000, 0x201100)).toEqual(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect(yields).toBe(8);
    expect(accesses.filter((a) => a.write).map((a) => a.phys)).toEqual(Array.from({ length: 8 }, (_, i) => 0x201000 + 32 * i));
  });

  it('checksum computes the RFC 1071 sum', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    // RFC 1071 §3 example bytes: 00 01 f2 03 f4 f5 f6 f7 -> sum 0xddf2.
    m.memory.set([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7], 0x200000);
    let sum = 0;
    run(m, 'u', 'user', function* () {
      sum = yield* m.cpu.checksum(0x1000, 8);
    });
    expect(sum).toBe(0xddf2);
  });
});

describe('CPU bulk operations with hostile operands', () => {
  it('a negative linear address wraps at 2^32 and never spills into the next physical frame', () => {
    const { m, pt } = pagedMachine();
    pt.map(0xfffff000, 0x200000, RW | US);
    m.memory.fill(0x77, 0x201000, 0x202000); // the frame after the mapped one
    m.cpu.onPageFault = () => false;
    let err: unknown;
    run(m, 'u', 'user', function* () {
      try {
        yield* m.cpu.write(-31, new Uint8Array(63).fill(0xaa));
      } catch (e) {
        err = e;
      }
    });
    // -31 is 0xFFFFFFE1: 31 bytes land at the top of the mapped page, then linear 0 is unmapped.
    expect(m.memory.bytes.subarray(0x200fe1, 0x201000).every((b) => b === 0xaa)).toBe(true);
    expect(err).toBeInstanceOf(PageFault);
    expect((err as PageFault).linear).toBe(0);
    expect(m.memory.bytes.subarray(0x201000, 0x202000).every((b) => b === 0x77)).toBe(true);
  });

  it('write data is copied first: a forged Uint8Array cannot write more than its own bytes', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    class Evil extends Uint8Array {
      override subarray(): Uint8Array<ArrayBuffer> {
        return new Uint8Array(1 << 18).fill(0xee);
      }
      override get length(): number {
        return 1 << 18;
      }
    }
    run(m, 'u', 'user', function* () {
      yield* m.cpu.write(0x1000, new Evil(8).fill(0x11));
    });
    expect(Array.from(m.memory.bytes.subarray(0x200000, 0x200010))).toEqual([...new Array(8).fill(0x11), ...new Array(8).fill(0)]);
  });

  it('refuses non-integer addresses and lengths, and data that is not a Uint8Array, with a clear error', () => {
    const { m, pt } = pagedMachine();
    pt.map(0x1000, 0x200000, RW | US);
    const errors: string[] = [];
    run(m, 'u', 'user', function* () {
      for (const op of [
        () => m.cpu.read(4095.5, 4),
        () => m.cpu.zero(0x1000, -1),
        () => m.cpu.checksum(0x1000, NaN),
        () => m.cpu.write(0x1000, [1, 2, 3] as unknown as Uint8Array),
        () => m.cpu.write(0x1000, Object.create(Uint8Array.prototype) as Uint8Array),
      ]) {
        try {
          yield* op();
        } catch (e) {
          errors.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    });
    expect(errors).toEqual([
      'OperandError: bad address 4095.5: need an integer',
      'OperandError: bad length -1: need an integer from 0 to 2^32',
      'OperandError: bad length NaN: need an integer from 0 to 2^32',
      'OperandError: write data must be a Uint8Array',
      'OperandError: write data must be a Uint8Array',
    ]);
    expect(m.memory.bytes.subarray(0x200000, 0x201000).every((b) => b === 0)).toBe(true);
  });
});

describe('CPU threads and interrupts', () => {
  it('round-robins runnable threads at preemption requests; a blocked thread waits for wake', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const order: string[] = [];
    const cpu = m.cpu;
    const b = cpu.spawn('b', 'supervisor', 0, (function* (): GuestCode {
      order.push('b1');
      const v = yield BLOCK;
      order.push(`b2:${v}`);
    })());
    cpu.spawn('a', 'supervisor', 0, (function* () {
      order.push('a1');
      cpu.preempt();
      yield;
      order.push('a2');
      cpu.wake(b, 42);
      cpu.preempt();
      yield;
      order.push('a3');
    })());
    m.runUntil(1_000_000);
    expect(order).toEqual(['b1', 'a1', 'a2', 'b2:42', 'a3']);
  });

  it('timer interrupts arrive at the programmed rate; masked they are not delivered', () => {
    const m = new Machine();
    const cpu = m.cpu;
    const out = (p: number, v: number) => cpu.out(p, v, 1);
    const at: number[] = [];
    cpu.onInterrupt = (vector) => {
      at.push(cpu.cycle);
      expect(vector).toBe(0x20);
      endOfInterrupt(out, 0);
    };
    cpu.spawn('spin', 'supervisor', 0, (function* () {
      initPics(out, 0x20, 0x28, [0]);
      programTimer(out, 11932); // ≈ 100 Hz
      cpu.interruptsEnabled = true;
      for (;;) {
        cpu.compute(100);
        yield;
      }
    })());
    m.runUntil(133_000_000 / 10 + 133_000); // 101 ms: the first edge comes one period after programming
    expect(at.length).toBe(10);
    const gaps = at.slice(1).map((c, i) => c - at[i]!);
    // 11932 ticks of 1.193182 MHz at 133 MHz = 1,330,020.5 cycles; preemption points every ~100 cycles.
    for (const g of gaps) expect(Math.abs(g - 1330020.5)).toBeLessThan(150);
    // Mask IRQ 0: no more interrupts.
    cpu.threads[0]!.state = 'done';
    cpu.spawn('mask', 'supervisor', 0, (function* () {
      out(0x21, 0xff);
      for (let i = 0; i < 40_000; i++) {
        cpu.compute(100);
        yield;
      }
    })());
    const before = at.length;
    m.runUntil(m.now + 133_000_000 / 10);
    expect(at.length).toBe(before);
  });

  it('every preemption point is charged, so a bare `for (;;) yield` cannot stop the clock', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    let yields = 0;
    m.cpu.spawn('spin', 'supervisor', 0, (function* () {
      for (;;) {
        yields++;
        yield;
      }
    })());
    expect(m.runUntil(1000)).toBe('until');
    expect(yields).toBe(Math.ceil(1000 / DEFAULT_COSTS.preemptionPoint));
  });

  it('preemptionDue: code that yields only when told stops for a pending interrupt, a requested switch, and run()\'s limit', () => {
    const m = new Machine();
    const cpu = m.cpu;
    const out = (p: number, v: number) => cpu.out(p, v, 1);
    const interruptsAt: number[] = [];
    cpu.onInterrupt = () => {
      interruptsAt.push(cpu.cycle);
      endOfInterrupt(out, 0);
    };
    let loads = 0;
    let yields = 0;
    const spin = cpu.spawn('spin', 'supervisor', 0, (function* () {
      initPics(out, 0x20, 0x28, [0]);
      programTimer(out, 1193); // ≈ 1000 Hz: one tick every ~132,980 cycles
      cpu.interruptsEnabled = true;
      for (;;) {
        cpu.load32(0x1000);
        loads++;
        if (loads === 1000) cpu.preempt();
        if (cpu.preemptionDue()) {
          yields++;
          yield;
        }
      }
    })());
    m.runUntil(1_000_000);
    // One yield for the request, one per tick, and one at the limit: nothing else stops it.
    expect(interruptsAt.length).toBe(7);
    expect(yields).toBe(1 + 7 + 1);
    // Each tick is taken right after the load during which it came due: at the PIT's period to a cycle or two.
    expect(interruptsAt.slice(1).every((c, i) => Math.abs(c - interruptsAt[i]! - 132_980) <= 2)).toBe(true);
    // run() returns at the first point at or after its limit.
    expect(m.now - 1_000_000).toBeGreaterThanOrEqual(0);
    expect(m.now - 1_000_000).toBeLessThanOrEqual(1);
    expect(spin.state).toBe('ready');
  });

  it('the stop at run()\'s limit is the host\'s, not the machine\'s: it costs no cycles, so runs in any steps are the same run', () => {
    const loadsAt = (steps: number[]) => {
      const m = new Machine();
      const loads = spinLoads(m);
      for (const until of steps) m.runUntil(until);
      return { loads: loads(), cycle: m.now };
    };
    const once = loadsAt([500_000]);
    expect(loadsAt([1, 7_001, 123_457, 123_458, 400_000, 500_000])).toEqual(once);
    expect(loadsAt(Array.from({ length: 500 }, (_, i) => (i + 1) * 1000))).toEqual(once);
  });

  it('stopSoon() from an event ends run() at the next place it can stop, and the run goes on the same', () => {
    const STOP_AT = 123_456;
    const loadsAt = (stop: boolean) => {
      const m = new Machine();
      const loads = spinLoads(m);
      if (stop) m.eventSource('stopper').at(STOP_AT, () => m.cpu.stopSoon());
      else m.eventSource('stopper').at(STOP_AT, () => undefined);
      m.runUntil(500_000);
      const stoppedAt = m.now;
      m.runUntil(500_000);
      return { loads: loads(), cycle: m.now, stoppedAt };
    };
    const once = loadsAt(false);
    const stopped = loadsAt(true);
    expect(stopped.stoppedAt).toBeGreaterThanOrEqual(STOP_AT);
    expect(stopped.stoppedAt).toBeLessThan(STOP_AT + 10);
    expect({ ...stopped, stoppedAt: 0 }).toEqual({ ...once, stoppedAt: 0 });
    // Outside run() it stops nothing.
    const m = new Machine();
    m.cpu.stopSoon();
    expect(m.runUntil(1000)).toBe('idle');
  });

  it('a preemption point must reach the run loop: a thread stepping a bulk operation by hand gets SwallowedPreemption', () => {
    const m = new Machine({ memoryBytes: 1 << 20 });
    const cpu = m.cpu;
    const got: string[] = [];
    cpu.spawn('stepper', 'supervisor', 0, (function* () {
      yield* cpu.read(0x1000, 64); // through the run loop: fine
      got.push('yielded');
      const g = cpu.read(0x1000, 64);
      g.next(); // the first line, then its preemption point, kept
      try {
        g.next();
      } catch (e) {
        got.push(`resumed: ${(e as Error).name}`);
      }
      try {
        cpu.passPoint(); // what the domain context checks before its next operation
      } catch (e) {
        got.push(`next operation: ${(e as Error).name}`);
      }
      yield; // giving the CPU back clears it
      cpu.passPoint();
      got.push('after yielding');
    })());
    m.runUntil(100_000);
    expect(got).toEqual(['yielded', 'resumed: SwallowedPreemption', 'next operation: SwallowedPreemption', 'after yielding']);
  });

  it('without EOI the 8259 holds further timer interrupts back', () => {
    const m = new Machine();
    const cpu = m.cpu;
    const out = (p: number, v: number) => cpu.out(p, v, 1);
    let n = 0;
    cpu.onInterrupt = () => n++;
    cpu.spawn('spin', 'supervisor', 0, (function* () {
      initPics(out, 0x20, 0x28, [0]);
      programTimer(out, 1193);
      cpu.interruptsEnabled = true;
      for (;;) {
        cpu.compute(100);
        yield;
      }
    })());
    m.runUntil(133_000_000 / 100);
    expect(n).toBe(1);
  });

  it('a halted CPU sleeps until the next event and wakes for an interrupt', () => {
    const m = new Machine();
    const cpu = m.cpu;
    const out = (p: number, v: number) => m.ports.write(p, v, 1);
    initPics(out, 0x20, 0x28, [0]);
    programTimer(out, 11932);
    cpu.interruptsEnabled = true;
    const at: number[] = [];
    cpu.onInterrupt = () => (at.push(cpu.cycle), endOfInterrupt(out, 0));
    m.runUntil(133_000_000 / 20 + 133_000);
    expect(at.length).toBe(5);
    // Halted, the CPU takes each interrupt within a few cycles of the edge: gaps are the period.
    for (let i = 1; i < at.length; i++) expect(Math.abs(at[i]! - at[i - 1]! - 1330020.5)).toBeLessThanOrEqual(1);
    expect(cpu.idleCycles).toBeGreaterThan(0.99 * (133_000_000 / 20));
  });
});
