// Red-team review (issue 9, item 8 "Liveness"): a hostile stack starves its equal-priority
// neighbour completely with nothing but an endless loop of KICK sends to the driver's endpoint,
// which every stack holds (send-only, badged). In the arena composition the neighbour's thread
// never runs at all: it never even opens its session.
//
// Why (guest/kernel/sched.ts pick): each send wakes the driver (priority 10), which preempts
// the hostile at once and runs a service pass (~1,300 cycles). (1) When the driver blocks again,
// round robin at priority 5 restarts from the *driver's* index in k.domains, so the first
// runnable stack after it, the hostile (stack 0, created first), is picked again, every time.
// (2) A timer tick that arrives while the driver runs (almost always: it runs most of the
// time) sets tickPending, and the driver's own pick clears it, so the hostile's quantum never
// ends. Nothing here is a preemption-point problem: every call is a point, and it is taken.
// Fixed by per-level round-robin turns (guest/kernel/sched.ts); kept as a regression test.

import { describe, expect, it } from 'vitest';
import { STACK_SLOTS } from '../../../guest/apps/raw-stack.js';
import { LABEL_KICK } from '../../../guest/session/protocol.js';
import { arena, ARENA_CYCLES } from '../arena.js';

describe('review: a stack that only kicks the driver', () => {
  it('does not starve its equal-priority neighbour (threat-model §3 Liveness)', () => {
    let kicks = 0;
    const a = arena({
      *hostile(ctx) {
        for (;;) {
          yield* ctx.invoke(STACK_SLOTS.driver, 'send', { label: LABEL_KICK });
          kicks++;
        }
      },
    });
    a.run(ARENA_CYCLES * 4);
    expect(kicks).toBeGreaterThan(1000);
    // The neighbour (same priority as the hostile) must have had the CPU at all.
    expect(a.net.clients[1]!.domain!.thread!.cycles).toBeGreaterThan(0);
    expect(a.harm()).toEqual([]);
  });
});
