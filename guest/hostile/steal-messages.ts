// Attack: steal the driver's messages (threat model row 1). The stack receives, over and over,
// on its capability to the driver's endpoint, hoping to take what is meant for the driver: the
// interrupt forwarder's IRQ messages, its neighbours' OPENs and KICKs. With the send-only
// capability the composition gives it every receive is refused (`no-rights`) and it tries
// again a little later, forever; with a full-rights capability it would take them and never
// answer.

import { STACK_SLOTS } from '../apps/raw-stack.js';
import { nap, roundCycles, type AttackBody } from './common.js';

export const stealMessages: AttackBody = (cfg) =>
  function* (ctx) {
    for (;;) {
      const r = yield* ctx.invoke(STACK_SLOTS.driver, 'recv', { timeout: ctx.constants.maxTimeout });
      // Refused: try again a round later. Stolen (or timed out): straight back into the queue for the next one, never answering.
      if (!r.ok && r.error !== 'timeout') yield* nap(ctx, roundCycles(cfg));
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ stealMessages });
