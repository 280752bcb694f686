// When the loop that runs a stack (the stack domain, domain.ts, or the peer host) must run it
// again with no traffic: the earliest of the stack's own timers and its applications'. The
// one definition of "the earliest deadline", which the connection, the TCP table and the
// stack use too.

import type { App } from './sockets.js';

/** The earliest of some deadlines (undefined ones are none). */
export function earliest(ds: Iterable<number | undefined>): number | undefined {
  let d: number | undefined;
  for (const t of ds) if (t !== undefined && (d === undefined || t < d)) d = t;
  return d;
}

/** The next cycle at which `stack` or one of `apps` has something to do without traffic. */
export function nextDue(stack: { nextDeadline(): number | undefined }, apps: readonly App[]): number | undefined {
  return earliest([stack.nextDeadline(), ...apps.map((a) => a.deadline?.())]);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ earliest, nextDue });
