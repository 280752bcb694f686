// Attack: take the CPU and never give it back (threat model row 7). The stack computes
// forever, never waiting: no receive, no sleep. Every context call that charges cycles is a
// preemption point, so the timer takes the CPU away at the end of its turn and its
// neighbours at its priority get theirs, the driver above it at once.

import type { AttackBody } from './common.js';

/** Work units per call: 1,000 cycles, so each turn is a few hundred calls. */
const UNITS = 1_000;

export const spin: AttackBody = () =>
  function* (ctx) {
    for (;;) yield* ctx.compute(UNITS);
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ spin });
