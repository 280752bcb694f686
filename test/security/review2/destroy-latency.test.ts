// Second red-team review (issue 9, item 8 "Liveness"; threat-model §5: "The kernel itself stays
// non-preemptible: one system call runs to its end, and its length is bounded by the objects
// it touches (a bank's destruction by what the bank holds, which the bank's limit bounds)").
//
// The bound is there, but it is not one quantum. A stack's bank holds CLIENT_BANK_FRAMES (120)
// frames; the stack fills a sub-bank with ~110 pages (cheap: free frames are already zero)
// and destroys it in one `destroy`. The kernel zeroes every frame it frees inside that one
// system call (frames.ts release -> zeroFrame), ~3,000 cycles a frame: ~350,000 cycles, 2.6
// quanta, with no preemption point. Then it does it again. A higher-priority domain (the
// driver runs at 10, the stacks at 5) whose timeout falls due during the destroy wakes
// 2.6 quanta late; an equal-priority neighbour waits 3.6 quanta. "No sequence of calls by one
// domain delays a domain of equal or higher priority by more than one timer quantum" (§3).
//
// Same measurement as test/security/preemption.test.ts: the neighbour sleeps 100,000 cycles
// again and again and notes how late each wake is.

import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { R_DESTROY, R_FREE, R_QUERY } from '../../../guest/kernel/caps.js';
import { CLIENT_BANK_FRAMES } from '../../../emulator/cli/scenario/net.js';
import { boot } from '../../kernel/helpers.js';

const TIMEOUT = 100_000;
const QUANTUM = Math.ceil((1193 / 1_193_182) * 133_000_000);
const BANK = 0;
const SUB = 2;
const PAGE = 3;

/** What a stack can do with its bank (allocate, destroy, free, query): fill a sub-bank with pages, destroy it, again. */
function* hostile(ctx: DomainContext, rounds: { n: number; longest: number }): GuestCode {
  for (;;) {
    const q = yield* ctx.invoke(BANK, 'query', {});
    if (!q.ok) throw new Error('query');
    const room = q.value.limit - q.value.usage - q.value.reserved - 1; // one frame for the sub-bank itself
    if (!(yield* ctx.invoke(BANK, 'allocBank', { dst: SUB, limit: room })).ok) throw new Error('allocBank');
    while ((yield* ctx.invoke(SUB, 'allocPage', { dst: PAGE })).ok);
    const t0 = ctx.now();
    yield* ctx.invoke(SUB, 'destroy', {});
    rounds.longest = Math.max(rounds.longest, ctx.now() - t0);
    rounds.n++;
  }
}

function* sleeper(ctx: DomainContext, late: number[]): GuestCode {
  for (;;) {
    const t0 = ctx.now();
    const r = yield* ctx.invoke(0, 'wait', { timeout: TIMEOUT });
    if (!r.ok) throw new Error('wait');
    late.push(ctx.now() - t0 - TIMEOUT);
  }
}

function run(neighbourPriority: number): { late: number[]; rounds: { n: number; longest: number } } {
  const { machine, kernel } = boot({ memoryBytes: 16 << 20 }, {});
  const bank = kernel.createBank(kernel.primeBank, CLIENT_BANK_FRAMES);
  const rounds = { n: 0, longest: 0 };
  kernel.spawn({ name: 'hostile', bank, priority: 5, caps: [kernel.cap(bank, R_DESTROY | R_FREE | R_QUERY)], body: (ctx) => hostile(ctx, rounds) });
  const nbank = kernel.createBank(kernel.primeBank, 10);
  const late: number[] = [];
  kernel.spawn({ name: 'neighbour', bank: nbank, priority: neighbourPriority, caps: [kernel.cap(kernel.allocNotification(nbank))], body: (ctx) => sleeper(ctx, late) });
  machine.runFor(40 * QUANTUM);
  return { late, rounds };
}

describe('review2: a stack destroying a full sub-bank in one system call', () => {
  it(`a higher-priority domain (the driver's place) wakes within one quantum (${QUANTUM}) of its deadline`, () => {
    const r = run(10);
    expect(r.rounds.n).toBeGreaterThan(5);
    expect(r.late.length).toBeGreaterThan(5);
    expect(Math.max(...r.late), `one destroy took ${r.rounds.longest} cycles`).toBeLessThan(QUANTUM);
  });

  it('an equal-priority neighbour gets the CPU within about one quantum of its deadline', () => {
    const r = run(5);
    expect(r.late.length).toBeGreaterThan(5);
    expect(Math.max(...r.late), `one destroy took ${r.rounds.longest} cycles`).toBeLessThan(QUANTUM + 1_000);
  });
});
