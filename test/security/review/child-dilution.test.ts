// Red-team review (issue 9, item 8 "Liveness"): "No sequence of calls by one domain delays a
// domain of equal or higher priority by more than one timer quantum." A hostile domain makes
// that false with ordinary allocDomain calls: it creates children at its own priority (the
// kernel only refuses a *higher* one), each looping on compute. The scheduler round-robins
// over domains, not over principals (banks), so an equal-priority neighbour now waits for
// every child's quantum before it runs again: N children, N+1 quanta. One frame per child
// (paid by the hostile's own bank) is all it costs.
//
// Same measurement as test/security/preemption.test.ts: the neighbour sleeps 100,000 cycles
// again and again and notes how late each wake is.
// Fixed: a domain creates domains only below its own priority (syscalls.ts); kept as a regression test.

import { describe, expect, it } from 'vitest';
import { DEFAULT_COSTS } from '../../../emulator/machine/costs.js';
import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { DEFAULT_KERNEL_COSTS } from '../../../guest/kernel/costs.js';
import { R_DESTROY, R_FREE, R_QUERY } from '../../../guest/kernel/caps.js';
import { boot } from '../../kernel/helpers.js';

const TIMEOUT = 100_000;
const QUANTUM = Math.ceil((1193 / 1_193_182) * 133_000_000);
const c = DEFAULT_COSTS;
const kc = DEFAULT_KERNEL_COSTS;
const SLACK = c.interruptEntry + kc.syscallDecode + kc.capLookup + c.interruptReturn + c.preemptionPoint + c.interruptEntry + c.portIo + c.interruptReturn + c.interruptEntry + kc.syscallDecode + kc.capLookup + kc.contextSwitch + c.writeCr3;
const CHILDREN = 8;

/** The hostile, holding what a stack holds (its bank without limits, its space): spawns children at its own priority that compute forever, then computes itself. */
function* hostile(ctx: DomainContext, bankSlot: number, spaceSlot: number, spawned: { n: number }): GuestCode {
  const spin = function* (c: DomainContext): GuestCode {
    for (;;) yield* c.compute(1_000_000);
  };
  for (let i = 0; i < CHILDREN; i++) {
    const r = yield* ctx.invoke(bankSlot, 'allocDomain', { dst: 10 + i, space: spaceSlot, body: spin });
    if (r.ok) spawned.n++;
  }
  yield* spin(ctx);
}

function* neighbour(ctx: DomainContext, late: number[]): GuestCode {
  for (;;) {
    const t0 = ctx.now();
    const r = yield* ctx.invoke(0, 'wait', { timeout: TIMEOUT });
    if (!r.ok) throw new Error('wait');
    late.push(ctx.now() - t0 - TIMEOUT);
  }
}

describe('review: equal-priority children of a hostile domain', () => {
  it(`an equal-priority neighbour still gets the CPU within one quantum (${QUANTUM}) of its deadline`, () => {
    const { machine, kernel } = boot({}, {});
    const bank = kernel.createBank(kernel.primeBank, 40);
    const space = kernel.allocSpace(bank);
    const spawned = { n: 0 };
    kernel.spawn({ name: 'hostile', bank, space, priority: 1, caps: [kernel.cap(bank, R_DESTROY | R_FREE | R_QUERY), kernel.cap(space)], body: (ctx) => hostile(ctx, 0, 1, spawned) });
    const nbank = kernel.createBank(kernel.primeBank, 10);
    const late: number[] = [];
    kernel.spawn({ name: 'neighbour', bank: nbank, priority: 1, caps: [kernel.cap(kernel.allocNotification(nbank))], body: (ctx) => neighbour(ctx, late) });
    machine.runFor(40 * QUANTUM);
    expect(spawned.n).toBe(CHILDREN);
    expect(late.length).toBeGreaterThan(2);
    // The promise (threat-model §3 Liveness; preemption.test.ts asserts the same bound for one hostile domain).
    expect(Math.max(...late)).toBeLessThan(QUANTUM + SLACK);
  });

});
