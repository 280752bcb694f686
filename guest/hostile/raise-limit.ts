// Attack: raise its own bank's limit and hoard frames (threat model row 4). The stack asks
// for a limit of a million frames and pins on the bank the composition gave it, then
// allocates pages until refused and keeps them, and tries again every round. Its bank
// capability lacks the `limits` right, so the raise is refused and it takes only the frames
// its own limit allows: its neighbours' allocations within their limits still succeed.

import { STACK_SLOTS } from '../apps/raw-stack.js';
import { nap, roundCycles, SCRATCH_SLOT, type AttackBody } from './common.js';

/** The limit it asks for: far past the machine's 4,096 frames. */
const WANTED_LIMIT = 1_000_000;
/** Rounds between two attempts: 1 ms. */
const ROUNDS_BETWEEN = 10;

export const raiseLimit: AttackBody = (cfg) =>
  function* (ctx) {
    yield* nap(ctx, 1); // its notification to nap on, before the bank is full
    for (;;) {
      yield* ctx.invoke(STACK_SLOTS.bank, 'setLimit', { limit: WANTED_LIMIT });
      yield* ctx.invoke(STACK_SLOTS.bank, 'setPinLimit', { limit: WANTED_LIMIT });
      // The page stays allocated (and charged) when the next one overwrites its capability in the slot.
      while ((yield* ctx.invoke(STACK_SLOTS.bank, 'allocPage', { dst: SCRATCH_SLOT })).ok);
      yield* nap(ctx, ROUNDS_BETWEEN * roundCycles(cfg));
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ raiseLimit });
