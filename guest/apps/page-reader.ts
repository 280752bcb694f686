// A stack that, once its session is open, allocates one page from its own bank, maps it
// read-write at `va`, writes it, and then reads it `reads` times with a little compute
// between the loads: the running domain with a hot TLB entry for a page it owns, which the
// explorer's unmap-vs-stale-tlb scenario revokes under it. It notes in its probe how its reads
// ended (`writeAttempts`: 'all reads done', or the fault that stopped them).

import { STACK_SLOTS, type StackOptions } from './raw-stack.js';

export function readOwnPage(va: number, reads: number): NonNullable<StackOptions['body']> {
  return function* (ctx, _s, probe) {
    const slot = STACK_SLOTS.free[0];
    if (!(yield* ctx.invoke(STACK_SLOTS.bank, 'allocPage', { dst: slot })).ok) return void probe.writeAttempts.push('no page');
    if (!(yield* ctx.invoke(STACK_SLOTS.space, 'map', { va, page: slot, rights: ['read', 'write'] })).ok) return void probe.writeAttempts.push('no mapping');
    try {
      yield* ctx.store32(va, 0x600d_f00d);
      for (let i = 0; i < reads; i++) {
        yield* ctx.load32(va);
        yield* ctx.compute(8);
      }
      probe.writeAttempts.push('all reads done');
    } catch (e) {
      if (!ctx.isFault(e)) throw e;
      probe.writeAttempts.push(`fault ${e.errorCode}`);
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ readOwnPage });
