// The stack's end of a session (DESIGN.md §5): open it by handing the driver an opaque
// sub-bank and a delegated region, then post receive buffers, take deliveries, and submit
// frames through the rings. Used by the stack domains and by the driver tests; the stack
// trusts the driver (DESIGN.md §1) but still reads its indexes through the checking rings.

import type { DomainContext, GuestCode, Slot } from '../kernel/api/context.js';
import { CONTROL_PAGE, INFO_IP, PAGE_BYTES, rxPage, txPage, type Geometry } from './layout.js';
import { LABEL_KICK, LABEL_OPEN, OPEN_STATUS, type OpenStatus } from './protocol.js';
import { stackRings, type StackRings } from './sides.js';

/** Slots the stack gives openSession: its bank, its space, the driver's endpoint, and four free slots. */
export interface ClientSlots {
  readonly bank: Slot;
  readonly space: Slot;
  readonly driver: Slot;
  /** Free slots for the sub-bank, its opaque copy, the region and the notification. */
  readonly free: readonly [Slot, Slot, Slot, Slot];
}

export interface OpenRequest {
  readonly geometry: Geometry;
  /** Where the session's 4 MiB region goes in the stack's space (4 MiB aligned). */
  readonly regionVa: number;
  /** Frames for the session's sub-bank (rings, buffers, page tables) and its pin limit. */
  readonly frames: number;
  readonly pins: number;
}

export class ClientSession {
  readonly rings: StackRings;
  /** Buffers delivered by the driver and not yet posted back. */
  private readonly held = new Set<number>();

  constructor(
    private readonly ctx: DomainContext,
    readonly slots: ClientSlots,
    readonly geometry: Geometry,
    readonly regionVa: number,
    readonly id: number,
    readonly ip: number,
    /** Slot of the sub-bank (full rights: the stack may destroy it) and of the notification. */
    readonly bankSlot: Slot,
    readonly notification: Slot,
  ) {
    this.rings = stackRings(ctx, regionVa + CONTROL_PAGE * PAGE_BYTES, geometry.ringSize);
  }

  rxVa(buffer: number): number {
    return this.regionVa + rxPage(this.geometry, buffer) * PAGE_BYTES;
  }

  txVa(offset: number): number {
    return this.regionVa + txPage(0) * PAGE_BYTES + offset;
  }

  /** Post receive buffers to the driver (as many as the ring takes); returns how many. */
  *post(buffers: Iterable<number>): GuestCode<number> {
    let n = 0;
    for (const b of buffers) {
      const space = yield* this.rings.fill.space();
      if (space === 'index-jump' || space === 0) break;
      yield* this.rings.fill.put([b, 0, 0, 0]);
      this.held.delete(b);
      n++;
    }
    return n;
  }

  /** Take the deliveries that are ready: [buffer, length, how] each. */
  *deliveries(): GuestCode<[number, number, number][]> {
    const out: [number, number, number][] = [];
    if ((yield* this.rings.deliver.poll()) === 'index-jump') return out;
    for (let e = yield* this.rings.deliver.take(); e; e = yield* this.rings.deliver.take()) {
      out.push([e[0], e[1], e[2]]);
      this.held.add(e[0]);
    }
    return out;
  }

  /** Copy `frame` to `offset` of the transmit area and submit it with `cookie`; false if the ring is full. */
  *submit(frame: Uint8Array, offset: number, cookie: number): GuestCode<boolean> {
    const space = yield* this.rings.txSubmit.space();
    if (space === 'index-jump' || space === 0) return false;
    yield* this.ctx.write(this.txVa(offset), frame);
    yield* this.rings.txSubmit.put([offset, frame.length, cookie, 0]);
    return true;
  }

  /** Completed transmissions: [cookie, status] each. */
  *completions(): GuestCode<[number, number][]> {
    const out: [number, number][] = [];
    if ((yield* this.rings.txDone.poll()) === 'index-jump') return out;
    for (let e = yield* this.rings.txDone.take(); e; e = yield* this.rings.txDone.take()) out.push([e[0], e[1]]);
    return out;
  }

  /** Ring the driver's doorbell. */
  *kick(): GuestCode<boolean> {
    return (yield* this.ctx.invoke(this.slots.driver, 'send', { label: LABEL_KICK })).ok;
  }

  /** Wait for the driver's notification; returns its bits (0 if the session is gone). */
  *wait(): GuestCode<number> {
    const r = yield* this.ctx.invoke(this.notification, 'wait', {});
    return r.ok ? r.value : 0;
  }
}

/** Open a session with the driver; returns it, or why not. */
export function* openSession(ctx: DomainContext, slots: ClientSlots, req: OpenRequest): GuestCode<ClientSession | OpenStatus | string> {
  const [sub, opaque, region, notification] = slots.free;
  const g = req.geometry;
  let r = yield* ctx.invoke(slots.bank, 'allocBank', { dst: sub, limit: req.frames, pinLimit: req.pins });
  if (!r.ok) return `allocBank: ${r.error}`;
  // The opaque copy: the driver may allocate from it, but not destroy, free, change or inspect.
  r = yield* ctx.invoke(sub, 'copy', { dst: opaque, rights: [] });
  if (!r.ok) return `copy: ${r.error}`;
  // The region's page table is paid from the sub-bank, so destroying it takes everything.
  r = yield* ctx.invoke(slots.space, 'delegate', { va: req.regionVa, bank: sub, dst: region });
  if (!r.ok) return `delegate: ${r.error}`;
  const reply = yield* ctx.invoke(slots.driver, 'call', { label: LABEL_OPEN, words: [g.ringSize, g.txPages, g.rxBuffers, req.regionVa], caps: [opaque, region], capSlots: [notification] });
  yield* ctx.invoke(opaque, 'drop', {});
  if (!reply.ok) return `call: ${reply.error}`;
  const [status, id, ip] = reply.value.words;
  if (status !== 0) return OPEN_STATUS[status ?? 0] ?? 'setup-failed';
  const s = new ClientSession(ctx, slots, g, req.regionVa, id!, ip!, sub, notification);
  if ((yield* ctx.load32(req.regionVa + INFO_IP)) >>> 0 !== ip) return 'setup-failed';
  return s;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ClientSession, openSession });
