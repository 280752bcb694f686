// Issue 9, attack 7: no preemption between API calls. A hostile domain, using only its
// context, calls it in a tight loop (single loads, compute, invokes that do not block, or
// operations it steps by hand) for millions of calls. Every such call is a preemption point,
// so a higher-priority neighbour sleeping in a 100,000-cycle `wait` or `recv` wakes on time,
// an equal-priority one gets the CPU within one timer quantum, and `runUntil` returns. With
// the defence switched off (a test-only kernel switch) the same neighbour is late by orders
// of magnitude.

import { describe, expect, it } from 'vitest';
import { DEFAULT_COSTS } from '../../emulator/machine/costs.js';
import type { Machine } from '../../emulator/machine/machine.js';
import type { DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { DEFAULT_KERNEL_COSTS } from '../../guest/kernel/costs.js';
import type { KernelConfig } from '../../guest/kernel/kernel.js';
import { boot } from '../kernel/helpers.js';

/** The neighbour's timeout, in cycles. */
const TIMEOUT = 100_000;
/** One timer quantum: the PIT's 1000 Hz tick at the 133 MHz CPU (1193 PIT clocks of 1.193182 MHz). */
const QUANTUM = Math.ceil((1193 / 1_193_182) * 133_000_000);
const c = DEFAULT_COSTS;
const kc = DEFAULT_KERNEL_COSTS;
/** The dearest call the hostile makes, in progress when the deadline passes: an invoke (INT, decode, one capability lookup, IRET). A load is at most 2 walk levels and a line fill (44), compute(1) one cycle. */
const ONE_CALL = c.interruptEntry + kc.syscallDecode + kc.capLookup + c.interruptReturn;
/** A timer tick that falls into the same window: INT, the EOI port write, IRET. */
const TICK = c.interruptEntry + c.portIo + c.interruptReturn;
/** The wake path: the neighbour's own system call up to where its deadline is armed, then the switch (registers, CR3). */
const WAKE = c.interruptEntry + kc.syscallDecode + kc.capLookup + kc.contextSwitch + c.writeCr3;
/**
 * How late past its deadline the higher-priority neighbour may wake, whatever the hostile
 * does: the timeout fires at the clock catch-up that ends the hostile's call in progress, the
 * preemption point after that call is taken (the kernel asked for a switch when it woke the
 * neighbour), a tick may be handled first, and the neighbour is switched to. Under 500 cycles
 * with the default cost tables (under 4 µs at 133 MHz).
 */
const SLACK = ONE_CALL + c.preemptionPoint + TICK + WAKE;
/** Calls the hostile makes in each run: millions (an invoke costs over 100 cycles, a load or compute(1) about one). */
const CALLS: Record<string, number> = { load32: 2_000_000, compute: 2_000_000, identify: 1_000_000 };

const PAGE_VA = 0x40_0000;
const HOSTILE_CAP = 0; // the hostile's one capability: its page (anything would do for identify)
const NEIGHBOUR_NOTIFICATION = 0;
const NEIGHBOUR_ENDPOINT = 1;

/** What the hostile did: calls completed, and preemptions it tried to swallow. */
interface Tally {
  calls: number;
  swallowed: number;
}

/** A hostile body making at most `limit` calls (Infinity: for ever). */
type Attack = (ctx: DomainContext, t: Tally, limit: number) => GuestCode;

const ATTACKS: Record<string, Attack> = {
  *load32(ctx, t, limit) {
    while (t.calls < limit) {
      yield* ctx.load32(PAGE_VA);
      t.calls++;
    }
  },
  *compute(ctx, t, limit) {
    while (t.calls < limit) {
      yield* ctx.compute(1);
      t.calls++;
    }
  },
  *identify(ctx, t, limit) {
    while (t.calls < limit) {
      const r = yield* ctx.invoke(HOSTILE_CAP, 'identify', {});
      if (!r.ok) throw new Error(`identify: ${r.error}`);
      t.calls++;
    }
  },
};

/** The neighbour: sleeps for TIMEOUT cycles again and again (wait and recv in turn), noting how late each wake is. */
function* neighbour(ctx: DomainContext, late: number[]): GuestCode {
  for (let round = 0; ; round++) {
    const t0 = ctx.now();
    if (round % 2 === 0) {
      const r = yield* ctx.invoke(NEIGHBOUR_NOTIFICATION, 'wait', { timeout: TIMEOUT });
      if (!r.ok || r.value !== 0) throw new Error(`wait: ${r.ok ? r.value : r.error}`);
    } else {
      const r = yield* ctx.invoke(NEIGHBOUR_ENDPOINT, 'recv', { timeout: TIMEOUT });
      if (r.ok || r.error !== 'timeout') throw new Error(`recv: ${r.ok ? 'a message' : r.error}`);
    }
    late.push(ctx.now() - t0 - TIMEOUT);
  }
}

interface Run {
  machine: Machine;
  tally: Tally;
  /** How late past its deadline each of the neighbour's wakes was. */
  late: number[];
}

/** A hostile at priority 1 (created first) and the sleeping neighbour at `neighbourPriority`. */
function compose(hostile: (ctx: DomainContext, t: Tally) => GuestCode, neighbourPriority: number, config: KernelConfig = {}): Run {
  const { machine, kernel } = boot({}, config);
  const tally: Tally = { calls: 0, swallowed: 0 };
  const late: number[] = [];
  const bank = kernel.createBank(kernel.primeBank, 40);
  const space = kernel.allocSpace(bank);
  const page = kernel.allocPage(bank);
  kernel.map(space, PAGE_VA, page, true);
  kernel.spawn({ name: 'hostile', bank, space, priority: 1, caps: [kernel.cap(page)], body: (ctx) => hostile(ctx, tally) });
  const caps = [kernel.cap(kernel.allocNotification(bank)), kernel.cap(kernel.allocEndpoint(bank))];
  kernel.spawn({ name: 'neighbour', bank, priority: neighbourPriority, caps, body: (ctx) => neighbour(ctx, late) });
  return { machine, tally, late };
}

/** Run until the hostile has made `calls` calls, in steps of `step` cycles; checks each runUntil returns at its cycle. */
function runCalls(r: Run, calls: number, step = 1_000_000): void {
  while (r.tally.calls < calls) {
    const until = r.machine.now + step;
    r.machine.runUntil(until);
    // The host gets control back at the first API call ending at or after `until`.
    expect(r.machine.now - until).toBeGreaterThanOrEqual(0);
    expect(r.machine.now - until).toBeLessThan(SLACK);
  }
}

describe('attack 7: a domain calling its context in a tight loop cannot keep the CPU', () => {
  for (const [name, attack] of Object.entries(ATTACKS)) {
    const calls = CALLS[name]!;

    it(`${name}: a higher-priority neighbour wakes from its 100,000-cycle timeout within ${SLACK} cycles, every time`, () => {
      const r = compose((ctx, t) => attack(ctx, t, Infinity), 2);
      runCalls(r, calls);
      expect(r.tally.calls).toBeGreaterThanOrEqual(calls);
      expect(r.late.length).toBeGreaterThan(8);
      expect(Math.max(...r.late)).toBeLessThan(SLACK);
      expect(Math.min(...r.late)).toBeGreaterThanOrEqual(0);
    });

    it(`${name}: an equal-priority neighbour gets the CPU within one quantum (${QUANTUM.toLocaleString('en-US')} cycles) of its deadline`, () => {
      const r = compose((ctx, t) => attack(ctx, t, Infinity), 1);
      runCalls(r, calls);
      expect(r.late.length).toBeGreaterThan(4);
      expect(Math.max(...r.late)).toBeLessThan(QUANTUM + SLACK);
      // Equal priorities share the CPU by quanta: the wake does not preempt, the next tick does.
      expect(Math.min(...r.late)).toBeGreaterThan(SLACK);
    });

    it(`${name}: with the preemption points switched off, the neighbour's wake is late by orders of magnitude`, () => {
      const bounded = name === 'identify' ? 20_000 : 3_000_000; // the hostile then ends, or the host would hang
      const r = compose((ctx, t) => attack(ctx, t, bounded), 2, { unsafe: { noPreemptionPoints: true } });
      while (r.late.length === 0 && r.machine.now < 100_000_000) r.machine.runFor(1_000_000);
      expect(r.tally.calls).toBe(bounded);
      expect(r.late[0]).toBeGreaterThan(1000 * SLACK);
    });
  }

  it('control: with the defence on, the same bounded hostile is cut short at the neighbour\'s deadline', () => {
    const r = compose((ctx, t) => ATTACKS.load32!(ctx, t, 3_000_000), 2);
    while (r.late.length === 0) r.machine.runFor(1_000_000);
    expect(r.late[0]).toBeLessThan(SLACK);
    expect(r.tally.calls).toBeLessThan(3_000_000);
  });
});

describe('a domain that steps its operations by hand to keep the yield gets SwallowedPreemption', () => {
  /**
   * Steps `op()` by hand as long as the context lets it, then yields to the CPU, as it must.
   * At most `limit` operations in a row, so that without the defence the test fails on the
   * neighbour's lateness instead of hanging.
   */
  function handStepper(op: (ctx: DomainContext) => GuestCode<unknown>, resume: boolean, limit: number) {
    return function* (ctx: DomainContext, t: Tally): GuestCode {
      for (;;) {
        try {
          for (let i = 0; i < limit; i++) {
            const g = op(ctx);
            g.next(); // runs the operation to its preemption point, if one is taken
            if (resume) while (!g.next().done); // ... and past it, without the CPU
            t.calls++;
          }
        } catch (e) {
          if ((e as Error).name !== 'SwallowedPreemption') throw e;
          t.swallowed++;
        }
        yield; // give the CPU back: the only way on
      }
    };
  }

  const cases: [string, (ctx: DomainContext) => GuestCode<unknown>, boolean, number][] = [
    ['a load, abandoned at its preemption point', (ctx) => ctx.load32(PAGE_VA), false, 1_000_000],
    ['a load, resumed past its preemption point', (ctx) => ctx.load32(PAGE_VA), true, 1_000_000],
    ['an invoke, resumed past its preemption point', (ctx) => ctx.invoke(HOSTILE_CAP, 'identify', {}), true, 20_000],
    ['a 2 KiB copy, resumed line after line', (ctx) => ctx.copy(PAGE_VA, PAGE_VA + 2048, 2048), true, 5_000],
  ];
  for (const [what, op, resume, limit] of cases) {
    it(`${what}: the higher-priority neighbour still wakes on time`, () => {
      const r = compose(handStepper(op, resume, limit), 2);
      r.machine.runUntil(700_000); // a thrown error per swallowed point makes this the dearest attack on the host
      expect(r.late.length).toBeGreaterThanOrEqual(6);
      expect(Math.max(...r.late)).toBeLessThan(SLACK);
      expect(r.tally.swallowed).toBeGreaterThan(0);
    });
  }
});
