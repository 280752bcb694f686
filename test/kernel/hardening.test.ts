// Review findings on the kernel's edges (issue 4 review): hostile memory operands, a second
// entry into the kernel, huge timeouts, the frames pins may cost, boot through pcinit, and
// the cost table's overrides. Each test fails on the kernel without the matching fix.

import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import type { Domain } from '../../guest/kernel/domains.js';
import { MAX_TIMEOUT } from '../../guest/kernel/ipc.js';
import { DEFAULT_KERNEL_COSTS } from '../../guest/kernel/costs.js';
import { initPics, programTimer, timerReload } from '../../emulator/machine/pcinit.js';
import { Machine } from '../../emulator/machine/machine.js';
import { bootKernel, KernelError } from '../../guest/kernel/kernel.js';
import { PTE_RW, PTE_US } from '../../emulator/machine/paging.js';
import { boot, errorOf, runDomain, value } from './helpers.js';

const PAGE = 4096;

describe('memory operations refuse hostile operands (finding 1)', () => {
  /** A domain with pages at 0, 0x1000, 0x2000 and the last page of the 4 GiB, and a victim domain's page elsewhere. */
  function setup() {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const space = kernel.allocSpace(bank);
    const at = [0, 0x1000, 0x2000, 0xfffff000];
    const pages = at.map((va, i) => {
      const p = kernel.allocPage(bank);
      kernel.map(space, va, p, true);
      machine.memory.fill(0x10 + i, p.frame * PAGE, (p.frame + 1) * PAGE);
      return p;
    });
    const victimBank = kernel.createBank(kernel.primeBank, 10);
    const victimSpace = kernel.allocSpace(victimBank);
    const victim = kernel.allocPage(victimBank);
    kernel.map(victimSpace, 0x1000, victim, true);
    machine.memory.fill(0x99, victim.frame * PAGE, (victim.frame + 1) * PAGE);
    const frames = [...pages.map((p) => p.frame), victim.frame];
    const snapshot = () => frames.map((f) => machine.memory.bytes.slice(f * PAGE, (f + 1) * PAGE));
    return { kernel, machine, bank, space, pages, frames, snapshot };
  }

  function run(s: ReturnType<typeof setup>, body: (ctx: DomainContext) => GuestCode<unknown>): void {
    const d = s.kernel.spawn({ name: 'hostile', bank: s.bank, space: s.space, priority: 1, body });
    while (d.state !== 'exited' && d.state !== 'faulted') s.machine.runFor(10_000);
    if (d.state === 'faulted') throw d.thread?.error;
  }

  it('addresses and lengths outside 0..2^32-1 (negative, wrapping, fractional) are refused with BadAccess and touch nothing', () => {
    const s = setup();
    const before = s.snapshot();
    const errors: string[] = [];
    const bytes = new Uint8Array(64).fill(0xee);
    run(s, function* (ctx) {
      const attempts: (() => unknown)[] = [
        () => ctx.write(-31, bytes), () => ctx.write(0xffffffe1, bytes), () => ctx.write(4095.5, bytes), () => ctx.write(2 ** 32, bytes.subarray(0, 0)),
        () => ctx.read(-31, 64), () => ctx.read(0xffffffe1, 64), () => ctx.read(4095.5, 8), () => ctx.read(0x1000, -1), () => ctx.read(0x1000, 1.5), () => ctx.read(0x1000, 2 ** 32),
        () => ctx.copy(0x1fe0, -31, 64), () => ctx.copy(0xffffffe1, 0x1000, 64), () => ctx.copy(0x1000, 0x2000, NaN),
        () => ctx.checksum(4095.5, 8), () => ctx.checksum(0xffffffe1, 64), () => ctx.zero(0xffffffe1, 64), () => ctx.zero(-31, 64), () => ctx.zero(0x1000, '64' as never),
        () => ctx.load32(0xfffffffe), () => ctx.load16(-1), () => ctx.load8(2 ** 32), () => ctx.load8(4096.8),
        () => ctx.store32(0xfffffffe, 0xdeadbeef), () => ctx.store16(0xffffffff, 0xbeef), () => ctx.store8(-1, 1), () => ctx.store8(0x1000, { valueOf: () => 7 } as never),
        () => ctx.write(0x1000, Object.create(Uint8Array.prototype) as Uint8Array), () => ctx.write(0x1000, [1, 2, 3] as never),
      ];
      for (const attempt of attempts) {
        try {
          const g = attempt();
          if (g && typeof (g as GuestCode<unknown>).next === 'function') yield* g as GuestCode<unknown>;
          errors.push('no error');
        } catch (e) {
          errors.push(e instanceof RangeError ? (e as Error).name : `other: ${String(e)}`);
        }
      }
    });
    expect(errors).toEqual(errors.map(() => 'BadAccess'));
    const after = s.snapshot();
    after.forEach((bytes, i) => expect(bytes.every((b, j) => b === before[i]![j]), `frame ${s.frames[i]} changed`).toBe(true));
    s.kernel.assertInvariants();
  });

  it('a range ending exactly at 2^32 is fine and stays in the last page', () => {
    const s = setup();
    const before = s.snapshot();
    run(s, function* (ctx) {
      yield* ctx.write(0xffffffe0, new Uint8Array(32).fill(0xab));
      yield* ctx.store32(0xfffffffc, 0x01020304);
    });
    const after = s.snapshot();
    expect(after[3]!.subarray(PAGE - 32, PAGE - 4).every((b) => b === 0xab)).toBe(true);
    expect([...after[3]!.subarray(PAGE - 4)]).toEqual([4, 3, 2, 1]);
    expect(after[3]!.subarray(0, PAGE - 32).every((b) => b === 0x13)).toBe(true);
    for (const i of [0, 1, 2, 4]) expect(after[i]).toEqual(before[i]);
  });

  it('write data is copied privately, running none of the object\'s code (a forged Uint8Array subclass)', () => {
    const s = setup();
    const before = s.snapshot();
    let ran = 0;
    class Forged extends Uint8Array {}
    Object.defineProperty(Forged, Symbol.species, { get: () => (ran++, Uint8Array) });
    Object.defineProperty(Forged.prototype, 'subarray', { value: () => (ran++, new Uint8Array(PAGE * 2).fill(0x66)) }); // would spill into the next page
    const data = new Forged(32).fill(0x77);
    Object.defineProperty(data, 'length', { get: () => (ran++, PAGE * 2) });
    Object.defineProperty(data, 'constructor', { get: () => (ran++, Forged) });
    run(s, function* (ctx) {
      yield* ctx.write(0x1fe0, data);
    });
    expect(ran).toBe(0);
    const after = s.snapshot();
    expect(after[1]!.subarray(PAGE - 32).every((b) => b === 0x77)).toBe(true);
    expect(after[1]!.subarray(0, PAGE - 32).every((b) => b === 0x11)).toBe(true);
    expect(after[2]).toEqual(before[2]); // the neighbouring frame
    expect(after[4]).toEqual(before[4]); // the other domain's page
  });
});

describe('one system call at a time (finding 2)', () => {
  function setup() {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 60);
    const ep1 = kernel.allocEndpoint(bank);
    const ep2 = kernel.allocEndpoint(bank);
    return { kernel, machine, bank, ep1, ep2 };
  }

  it('recv on ep1 (hand-stepped), recv on ep2, exit: a later call on ep1 reaches another receiver, never the dead domain', () => {
    const { kernel, machine, bank, ep1, ep2 } = setup();
    const got: unknown[] = [];
    const sneaky = kernel.spawn({ name: 'sneaky', bank, priority: 2, caps: [kernel.cap(ep1), kernel.cap(ep2)], *body(ctx) {
      const first = ctx.invoke(0, 'recv', {});
      first.next(); // enters the kernel and waits in ep1's queue, but the body runs on
      try {
        ctx.invoke(1, 'recv', {}).next();
        got.push('second entry allowed');
      } catch (e) {
        got.push((e as Error).name);
      }
    }});
    machine.runFor(100_000);
    expect(sneaky.state).toBe('exited');
    expect(ep1.receivers).toEqual([]);
    expect(ep2.receivers).toEqual([]);
    kernel.spawn({ name: 'caller', bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
      const r = yield* ctx.invoke(0, 'call', { label: 5, words: [1] });
      got.push(r.ok ? `reply ${r.value.words[0]}` : r.error);
    }});
    machine.runFor(100_000);
    kernel.spawn({ name: 'server', bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
      const m = value(yield* ctx.invoke(0, 'recv', {}));
      yield* ctx.reply({ label: 0, words: [m.words[0]! + 41] });
    }});
    machine.runFor(200_000);
    expect(got).toEqual(['KernelReentry', 'reply 42']);
    kernel.assertInvariants();
  });

  it('the kernel never runs a getter of the arguments (which could re-enter it): the call is refused and nothing is left queued', () => {
    const { kernel, bank, ep1, ep2 } = setup();
    const n = kernel.allocNotification(bank);
    const got: unknown[] = [];
    const d = runDomain(kernel, bank, [kernel.cap(n), kernel.cap(ep2)], function* (ctx) {
      const args = {
        get bits() {
          try {
            ctx.invoke(1, 'recv', {}).next();
            got.push('nested entry allowed');
          } catch (e) {
            got.push((e as Error).name);
          }
          return 5;
        },
      };
      got.push(errorOf(yield* ctx.invoke(0, 'signal', args)));
      got.push(value(yield* ctx.invoke(0, 'poll', {})));
    });
    expect(got).toEqual(['bad-arg', 0]); // the getter never ran: no nested entry was even tried
    expect(ep2.receivers).toEqual([]);
    expect(ep1.receivers).toEqual([]);
    expect(d.state).toBe('exited');
    kernel.assertInvariants();
  });

  it('a stopped domain is scrubbed from every queue, and every call still waiting for its reply fails', () => {
    const { kernel, machine, bank, ep1, ep2 } = setup();
    const got: string[] = [];
    // The server takes two calls without replying (the second overwrites its reply capability), then dies.
    const server = kernel.spawn({ name: 'server', bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
      value(yield* ctx.invoke(0, 'recv', {}));
      value(yield* ctx.invoke(0, 'recv', {}));
      yield* ctx.invoke(0, 'recv', {}); // waits here until it is stopped
    }});
    for (const name of ['a', 'b']) {
      kernel.spawn({ name, bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
        got.push(`${name}: ${errorOf(yield* ctx.invoke(0, 'call', { label: 1 }))}`);
      }});
    }
    machine.runFor(200_000);
    expect(server.state).toBe('waiting');
    // A stale entry, as a double wait would have left it: the sender must skip it, stopDomain must remove it.
    ep2.receivers.push(server, server);
    expect(kernel.free(bank, server).ok).toBe(true);
    machine.runFor(100_000);
    expect(got.sort()).toEqual(['a: invalid-cap', 'b: invalid-cap']);
    expect(ep1.receivers).toEqual([]);
    expect(ep2.receivers).toEqual([]);
    kernel.assertInvariants();
  });

  it('a sender skips a queued receiver that is not waiting in recv on that endpoint', () => {
    const { kernel, machine, bank, ep1 } = setup();
    const got: unknown[] = [];
    const idle = kernel.spawn({ name: 'idle', bank, priority: 0, caps: [], *body() {
      for (;;) yield;
    }});
    ep1.receivers.push(idle as Domain); // not waiting at all
    kernel.spawn({ name: 'sender', bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
      got.push(errorOf(yield* ctx.invoke(0, 'send', { label: 3 })));
    }});
    machine.runFor(100_000);
    expect(got).toEqual([]); // it waits for a real receiver
    expect(ep1.senders.length).toBe(1);
    kernel.spawn({ name: 'receiver', bank, priority: 1, caps: [kernel.cap(ep1)], *body(ctx) {
      got.push(value(yield* ctx.invoke(0, 'recv', {})).label);
    }});
    machine.runFor(100_000);
    expect(got.sort()).toEqual([3, 'ok']);
  });
});

describe('wait timeouts are capped (finding 3)', () => {
  it(`a timeout above 2^40 is bad-arg and leaves the domain consistent; 2^40 itself is armed`, () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const ep = kernel.allocEndpoint(bank);
    const n = kernel.allocNotification(bank);
    const got: unknown[] = [];
    const d = kernel.spawn({ name: 'sleeper', bank, priority: 1, caps: [kernel.cap(ep), kernel.cap(n)], *body(ctx) {
      got.push(ctx.constants.maxTimeout);
      got.push(errorOf(yield* ctx.invoke(0, 'recv', { timeout: Number.MAX_SAFE_INTEGER })));
      got.push(errorOf(yield* ctx.invoke(1, 'wait', { timeout: 2 ** 52 })));
      got.push(errorOf(yield* ctx.invoke(0, 'recv', { timeout: MAX_TIMEOUT + 1 })));
      got.push(ep.receivers.length, n.waiter === undefined);
      got.push(errorOf(yield* ctx.invoke(0, 'recv', { timeout: 5_000 })));
      got.push(value(yield* ctx.invoke(0, 'recv', { timeout: MAX_TIMEOUT })).label);
    }});
    kernel.spawn({ name: 'sender', bank, priority: 1, caps: [kernel.cap(ep)], *body(ctx) {
      yield* ctx.compute(100_000);
      yield;
      value(yield* ctx.invoke(0, 'send', { label: 9 }));
    }});
    machine.runFor(2_000_000);
    expect(got).toEqual([2 ** 40, 'bad-arg', 'bad-arg', 'bad-arg', 0, true, 'timeout', 9]);
    expect(d.state).toBe('exited');
    expect(d.timer).toBeUndefined();
    kernel.assertInvariants();
  });
});

describe('the frames pins may cost are charged (finding 5)', () => {
  it('a pin reserves a frame against the bank\'s limit; a bank at its limit cannot pin a new frame', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 10, 5);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const pages = Array.from({ length: 9 }, () => kernel.allocPage(bank));
    const a = value(kernel.pin(dp, pages[0]!, 'from-device'));
    expect([bank.usage, bank.reserved]).toEqual([9, 1]);
    const again = value(kernel.pin(dp, pages[0]!, 'to-device')); // same frame: nothing more to reserve
    expect(kernel.pin(dp, pages[1]!, 'to-device')).toEqual({ ok: false, error: 'limit' });
    expect(() => kernel.allocPage(bank)).toThrow(/limit/);
    expect([bank.usage, bank.reserved, bank.pins]).toEqual([9, 1, 2]);
    kernel.assertInvariants();
    value(kernel.unpin(dp, a.token));
    value(kernel.unpin(dp, again.token));
    expect([bank.usage, bank.reserved, bank.pins]).toEqual([9, 0, 0]);
    kernel.allocPage(bank);
    kernel.assertInvariants();
  });

  it('revoking pinned pages never needs memory: it works with the free list empty, and the quarantined frames stay charged', () => {
    const { kernel, machine } = boot({ memoryBytes: 2 << 20 }, { reservedBytes: 1 << 20 });
    const client = kernel.createBank(kernel.primeBank, 20, 4);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const pages = Array.from({ length: 4 }, () => kernel.allocPage(client));
    const pins = pages.map((p) => value(kernel.pin(dp, p, 'from-device')));
    // Another client takes every frame it can.
    const hog = kernel.createBank(kernel.primeBank, 10_000);
    for (;;) {
      try {
        kernel.allocPage(hog);
      } catch (e) {
        expect(String(e)).toMatch(/no-memory|limit/); // the prime bank's limit is all of memory
        break;
      }
    }
    expect(kernel.state.frames.available).toBe(0);
    const old = pages.map((p) => p.frame);
    for (const p of pages) expect(kernel.revoke(p)).toEqual({ ok: true, value: undefined });
    expect(old.map((f) => kernel.state.frames.state[f])).toEqual(old.map(() => 'quarantined'));
    expect(pages.every((p, i) => p.frame !== old[i])).toBe(true);
    // The client holds 4 pages and 4 quarantined frames: all charged, within its limit.
    expect([client.usage, client.reserved]).toEqual([4, 4]);
    expect(client.usage + client.reserved).toBeLessThanOrEqual(client.limit);
    kernel.assertInvariants();
    // The unpins free the quarantined frames and drop their charge.
    pins.forEach((p) => value(kernel.unpin(dp, p.token)));
    expect([client.usage, client.reserved]).toEqual([4, 0]);
    expect(kernel.state.frames.available).toBe(4);
    machine.runFor(1000);
    kernel.assertInvariants();
  });
});

describe('boot programs the PICs and the PIT with pcinit\'s sequences (finding 7)', () => {
  it('writes exactly what initPics and programTimer write, charged as port I/O', () => {
    const machine = new Machine({ memoryBytes: 4 << 20 });
    const writes: [number, number][] = [];
    const write = machine.ports.write.bind(machine.ports);
    machine.ports.write = (port: number, v: number, width: 1 | 2 | 4) => {
      writes.push([port, v]);
      write(port, v, width);
    };
    bootKernel(machine, { tickHz: 250 });
    const want: [number, number][] = [];
    initPics((p, v) => want.push([p, v]), 0x20, 0x28, [0, 2]);
    programTimer((p, v) => want.push([p, v]), timerReload(250));
    expect(writes).toEqual(want);
  });

  it('a tick rate outside the range is a clear boot error', () => {
    expect(() => bootKernel(new Machine({ memoryBytes: 4 << 20 }), { tickHz: 5 })).toThrow(KernelError);
    expect(() => bootKernel(new Machine({ memoryBytes: 4 << 20 }), { tickHz: NaN })).toThrow(/tickHz/);
  });
});

describe('the kernel cost table can be overridden at boot (finding 8)', () => {
  /** Cycles of one pin (IOMMU on: one entry written) and one context switch's bookkeeping. */
  function measure(costs?: Record<string, number>) {
    const { kernel, machine } = boot({ iommu: true }, costs ? { costs } : {});
    const bank = kernel.createBank(kernel.primeBank, 10);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const page = kernel.allocPage(bank);
    const t0 = machine.now;
    value(kernel.pin(dp, page, 'to-device'));
    return { pin: machine.now - t0, unit: machine.config.costs.computeUnit };
  }

  it('overridden figures change the charged cycles by exactly their difference', () => {
    const base = measure();
    const dearer = measure({ iommuEntryWrite: DEFAULT_KERNEL_COSTS.iommuEntryWrite + 100, pinStep: DEFAULT_KERNEL_COSTS.pinStep + 50 });
    expect(dearer.pin - base.pin).toBe(Math.ceil((DEFAULT_KERNEL_COSTS.iommuEntryWrite + 100) * base.unit) - Math.ceil(DEFAULT_KERNEL_COSTS.iommuEntryWrite * base.unit)
      + Math.ceil((DEFAULT_KERNEL_COSTS.pinStep + 50) * base.unit) - Math.ceil(DEFAULT_KERNEL_COSTS.pinStep * base.unit));
  });

  it('an unknown name or a bad figure is a clear boot error', () => {
    expect(() => boot({}, { costs: { bogus: 1 } as never })).toThrow(/unknown kernel cost 'bogus'/);
    expect(() => boot({}, { costs: { pinStep: -1 } })).toThrow(/pinStep must be a finite number/);
    expect(() => boot({}, { costs: { pinStep: NaN } })).toThrow(KernelError);
  });
});

describe('stale TLB rights are reported (finding 4)', () => {
  it('a writable or user TLB entry over a PTE that no longer grants it is a rights violation', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 20);
    const space = kernel.allocSpace(bank);
    const page = kernel.allocPage(bank);
    kernel.map(space, 0x1000, page, true);
    kernel.spawn({ name: 'writer', bank, space, priority: 1, *body(ctx) {
      yield* ctx.store32(0x1000, 1); // caches a writable user translation
      for (;;) yield;
    }});
    machine.runFor(50_000);
    expect(machine.mmu.tlb.holds(0x1000)).toBe(true);
    expect(kernel.checkInvariants({ zeroScan: false })).toEqual([]);
    // A kernel bug: the PTE (and its record) lose rights, but no INVLPG follows.
    const table = space.tables.get(0)!;
    const m = table.mappings.get(1)! as { writable: boolean };
    const pte = table.frame * PAGE + 4;
    m.writable = false;
    machine.memory.write32(pte, machine.memory.read32(pte) & ~PTE_RW);
    expect(kernel.checkInvariants({ zeroScan: false })).toEqual(['5 rights: TLB entry va 0x1000 is writable over a read-only PTE']);
    machine.memory.write32(pte, machine.memory.read32(pte) & ~PTE_US);
    expect(kernel.checkInvariants({ zeroScan: false })).toContain('5 rights: TLB entry va 0x1000 is user-accessible over a supervisor PTE');
    machine.mmu.tlb.invalidatePage(0x1000);
    machine.memory.write32(pte, machine.memory.read32(pte) | PTE_US);
    expect(kernel.checkInvariants({ zeroScan: false })).toEqual([]);
  });
});
