// Acceptance 5 (issue 4): a client exhausting its own bank, by every kind of allocation and
// while the two clients run interleaved under the timer, cannot make another client's
// allocation fail. Limits are not reservations, so the guarantee holds where the composition
// root does not promise more frames than exist (the siblings' limits fit in their parent's).

import { describe, expect, it } from 'vitest';
import type { DomainContext, Op } from '../../guest/kernel/api/context.js';
import { boot, errorOf } from './helpers.js';

describe('bank isolation', () => {
  it('a client that exhausts its bank in every way leaves its neighbour\'s allocations intact', () => {
    const { kernel, machine } = boot();
    const clients = kernel.createBank(kernel.primeBank, 300);
    const hogBank = kernel.createBank(clients, 120);
    const goodBank = kernel.createBank(clients, 120);
    const hogErrors = new Map<string, number>();
    const goodResults: string[] = [];
    let hogDone = false;
    const hog = function* (ctx: DomainContext) {
      // Sub-banks with absurd limits, spaces, endpoints, pages, delegated regions, domains: until nothing more fits.
      let dst = 2;
      const kinds: Op[] = ['allocBank', 'allocSpace', 'allocEndpoint', 'allocNotification', 'allocPage'];
      for (let round = 0; round < 200; round++) {
        for (const op of kinds) {
          const r = yield* ctx.invoke(0, op, { dst, limit: 1e9 } as never);
          if (!r.ok) hogErrors.set(`${op}:${r.error}`, (hogErrors.get(`${op}:${r.error}`) ?? 0) + 1);
          dst = dst >= 60 ? 2 : dst + 1;
          // allocate from a sub-bank too: its own limit is huge, the hog's is what binds
          if (op === 'allocBank' && r.ok) yield* ctx.invoke(dst - 1, 'allocPage', { dst: 61 });
        }
        const d = yield* ctx.invoke(0, 'allocDomain', { dst: 62, space: 1, *body() { for (;;) yield; } });
        if (!d.ok) hogErrors.set(`allocDomain:${d.error}`, (hogErrors.get(`allocDomain:${d.error}`) ?? 0) + 1);
      }
      hogDone = true;
    };
    const hogDomain = kernel.spawn({ name: 'hog', bank: hogBank, priority: 1, caps: [kernel.cap(hogBank)], body: hog });
    hogDomain.slots[1] = kernel.cap(hogDomain.space);
    kernel.spawn({ name: 'good', bank: goodBank, priority: 1, caps: [kernel.cap(goodBank)], *body(ctx) {
      // The neighbour allocates its whole bank (less its own domain and space) slowly, interleaved with the hog.
      for (let i = 0; i < 118; i++) {
        yield* ctx.compute(1_000);
        yield;
        goodResults.push(errorOf(yield* ctx.invoke(0, 'allocPage', { dst: 2 + (i % 60) })));
      }
    }});
    // The hog's spinning domains take their round-robin share of the CPU; run until both are through.
    while ((!hogDone || goodResults.length < 118) && machine.now < 300_000_000) machine.runFor(1_000_000);
    expect(hogDone).toBe(true);
    expect(hogBank.usage).toBe(120);
    expect([...hogErrors.keys()].every((k) => k.endsWith(':limit'))).toBe(true);
    expect(hogErrors.size).toBe(6);
    expect(goodResults).toEqual(new Array(118).fill('ok'));
    expect(goodBank.usage).toBe(120);
    kernel.assertInvariants();
  });

  it('pins count against the pinned page\'s bank chain, not the neighbour\'s', () => {
    const { kernel } = boot();
    const a = kernel.createBank(kernel.primeBank, 20, 4);
    const b = kernel.createBank(kernel.primeBank, 20, 4);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const pa = Array.from({ length: 6 }, () => kernel.allocPage(a));
    const pb = Array.from({ length: 4 }, () => kernel.allocPage(b));
    expect(pa.map((p) => errorOf(kernel.pin(dp, p, 'from-device')))).toEqual(['ok', 'ok', 'ok', 'ok', 'limit', 'limit']);
    expect(pb.map((p) => errorOf(kernel.pin(dp, p, 'from-device')))).toEqual(['ok', 'ok', 'ok', 'ok']);
    kernel.assertInvariants();
  });
});
