// Red-team review (issue 9, attack 8 revisited): the kernel still runs domain code inside a
// system call. `rightsFromNames` (guest/kernel/caps.ts) indexes RIGHT_BITS with each element
// of the rights list *before* checking that it is a string, so an object element is converted
// to a property key: its `toString` (or Symbol.toPrimitive) runs in the middle of the kernel
// operation, in supervisor mode. Reached from `copy` (any capability) and `map`.
// The probe proves where it runs: cpu mode is not observable to a domain, but a nested invoke
// from inside throws KernelReentry, which only happens while the domain is inside the kernel.
// Fixed: rightsFromNames checks the type before indexing (caps.ts); kept as a regression test.

import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../../guest/apps/raw-stack.js';
import { arena, ARENA_CYCLES } from '../arena.js';

interface Outcome {
  ran: string[];
  result?: string;
}

function attack(out: Outcome) {
  return function* (ctx: DomainContext): GuestCode {
    const evil = {
      toString() {
        try {
          ctx.invoke(STACK_SLOTS.bank, 'query', {}).next();
          out.ran.push('toString: nested invoke entered');
        } catch (e) {
          out.ran.push(`toString ran; nested invoke: ${(e as Error).name}`);
        }
        return 'read';
      },
    };
    const r = yield* ctx.invoke(STACK_SLOTS.driver, 'copy', { dst: STACK_SLOTS.free[3], rights: [evil] } as never);
    out.result = r.ok ? 'ok' : r.error;
  };
}

describe('review: a rights list element with toString', () => {
  it('never runs domain code inside the kernel (threat-model §4: "none of its code runs")', () => {
    const out: Outcome = { ran: [] };
    const a = arena({ hostile: (ctx) => attack(out)(ctx) });
    a.run(ARENA_CYCLES / 4);
    expect(out.result).toBe('bad-arg');
    expect(out.ran).toEqual([]);
  });
});
