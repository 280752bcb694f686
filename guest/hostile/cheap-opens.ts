// Attack: cheap OPENs that fail midway (threat model row 5). Over and over the stack opens a
// session as an honest stack would, but with a sub-bank whose limit is its usage + 1, so the
// driver's setup fails after its first allocation; then it destroys the sub-bank and starts
// again. The driver undoes every failed setup (its session bank destroyed, its slots and
// mirror index given back), so its state is as before each attempt and a client that opens
// later still gets a session.

import { STACK_SLOTS } from '../apps/raw-stack.js';
import { LABEL_OPEN } from '../session/protocol.js';
import { nap, roundCycles, type AttackBody } from './common.js';

const [SUB, OPAQUE, REGION, NOTIFICATION] = STACK_SLOTS.free;
/** Frames the driver may allocate before the setup fails: one. */
const SLACK = 1;

export const cheapOpens: AttackBody = (cfg) =>
  function* (ctx) {
    const g = cfg.geometry;
    for (;;) {
      const sub = yield* ctx.invoke(STACK_SLOTS.bank, 'allocBank', { dst: SUB, limit: cfg.frames, pinLimit: cfg.pins });
      if (!sub.ok) {
        yield* nap(ctx, roundCycles(cfg));
        continue;
      }
      yield* ctx.invoke(SUB, 'copy', { dst: OPAQUE, rights: [] });
      yield* ctx.invoke(STACK_SLOTS.space, 'delegate', { va: cfg.regionVa, bank: SUB, dst: REGION });
      const q = yield* ctx.invoke(SUB, 'query', {});
      if (q.ok) yield* ctx.invoke(SUB, 'setLimit', { limit: q.value.usage + q.value.reserved + SLACK });
      yield* ctx.invoke(STACK_SLOTS.driver, 'call', { label: LABEL_OPEN, words: [g.ringSize, g.txPages, g.rxBuffers, cfg.regionVa], caps: [OPAQUE, REGION], capSlots: [NOTIFICATION] });
      // Everything the attempt made goes with the sub-bank; the next attempt starts clean.
      yield* ctx.invoke(SUB, 'destroy', {});
      for (const slot of [SUB, OPAQUE, REGION, NOTIFICATION]) yield* ctx.invoke(slot, 'drop', {});
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ cheapOpens });
