// A session as the driver keeps it (DESIGN.md §5): the client's identity and address, its
// session bank (a sub-bank of the client's opaque bank, which the driver allocated and so may
// destroy) and the capabilities it allocated from it, the rings (read through the driver's own
// mirror of the session's region), and where every receive buffer is:
//   stack   the stack holds it (delivered, or never posted)
//   posted  the stack posted it and the driver holds it, unpinned (ready for a copy or an exchange)
//   armed   handed to the card (pinned in bus-master mode)
// A session that faults or whose capabilities went void is dead: the driver stops using it,
// destroys its session bank (everything of the session goes, the mirror region with it) and
// gives its slots and mirror index back; whatever is still pinned is released as the card
// finishes.

import { CONTROL_PAGE, PAGE_BYTES, rxPage, txPage, type Geometry } from '../session/layout.js';
import type { SharedMemory } from '../session/memory.js';
import { driverRings, type DriverRings } from '../session/sides.js';
import { newCounters, type Counters } from './counters.js';

export type BufferState = 'stack' | 'posted' | 'armed';

export interface SessionSlots {
  readonly bank: number;
  readonly mirror: number;
  readonly region: number;
  readonly notification: number;
  readonly control: number;
  readonly tx: readonly number[];
  readonly rx: readonly number[];
}

export const slotCount = (g: Geometry) => 5 + g.txPages + g.rxBuffers;

/**
 * The session bank's frame limit: the mirror's page table, the notification, the control
 * page, the transmit pages and the receive buffers, plus one frame reserved for each page
 * the driver may have pinned at once (`pinLimit`: kernel pin.ts charges a pinned page's
 * replacement frame to its bank). The driver never needs more of the client's bank.
 */
export const sessionBankFrames = (g: Geometry, pinLimit: number) => 3 + g.txPages + g.rxBuffers + pinLimit;

export function sessionSlots(g: Geometry, s: readonly number[]): SessionSlots {
  return { bank: s[0]!, mirror: s[1]!, region: s[2]!, notification: s[3]!, control: s[4]!, tx: s.slice(5, 5 + g.txPages), rx: s.slice(5 + g.txPages, 5 + g.txPages + g.rxBuffers) };
}

export class Session {
  readonly counters: Counters = newCounters();
  readonly rings: DriverRings;
  readonly buffers: BufferState[];
  /** Posted buffers in the order the stack posted them. */
  readonly posted: number[] = [];
  /** Bytes the last frame delivered in each buffer left in it (zeroed when the page changes hands). */
  readonly lastLength: number[];
  dead = false;
  /** Pages of this session the driver has pinned right now. */
  pins = 0;
  /** Frames submitted and not yet completed. */
  txInFlight = 0;

  constructor(
    mem: SharedMemory,
    readonly id: number,
    readonly badge: number,
    readonly ip: number,
    readonly geometry: Geometry,
    /** Where the stack sees the region, and where the driver mirrors it. */
    readonly stackVa: number,
    readonly mirrorVa: number,
    readonly mirrorIndex: number,
    readonly slots: SessionSlots,
    readonly allSlots: readonly number[],
  ) {
    this.rings = driverRings(mem, mirrorVa + CONTROL_PAGE * PAGE_BYTES, geometry.ringSize);
    this.buffers = new Array<BufferState>(geometry.rxBuffers).fill('stack');
    this.lastLength = new Array<number>(geometry.rxBuffers).fill(0);
  }

  /** Driver-side address of receive buffer i, of the transmit area at `offset`. */
  rxVa(i: number): number {
    return this.mirrorVa + rxPage(this.geometry, i) * PAGE_BYTES;
  }
  txVa(offset: number): number {
    return this.mirrorVa + txPage(0) * PAGE_BYTES + offset;
  }
  /** Stack-side address of a page of the region. */
  stackPageVa(page: number): number {
    return this.stackVa + page * PAGE_BYTES;
  }
  mirrorPageVa(page: number): number {
    return this.mirrorVa + page * PAGE_BYTES;
  }

  /** Take the oldest posted buffer for the driver's use. */
  takePosted(): number | undefined {
    return this.posted.shift();
  }

  holds(i: number): boolean {
    return this.buffers[i] !== 'stack';
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ slotCount, sessionBankFrames, sessionSlots, Session });
