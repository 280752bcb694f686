// The receiver's side of the data stream (RFC 9293 §3.10.7.4, "seventh, process the segment
// text", and §3.8.6 on the window): data segments arrive in any order, duplicated or
// overlapping; the queue keeps what falls in the receive window and is not yet held, and
// hands out the contiguous prefix at RCV.NXT as soon as it forms. Delivered bytes occupy
// the buffer until the application consumes them; the window advertised is the free buffer,
// with the receiver's silly window avoidance (§3.8.6.2.2) so it opens only in useful steps
// and its right edge never moves left. Sequence numbers wrap (seq.ts).

import { seqAdd, seqDiff } from './seq.js';

/** RFC 9293 §3.1: the Window field is 16 bits (larger windows need RFC 7323 scaling, not done here). */
export const TCP_MAX_WINDOW = 0xffff;
/** RFC 9293 §3.8.6.2.2: Fr, the fraction of the buffer the window must be able to grow by; 1/2 suggested. */
export const SWS_BUFFER_FRACTION = 1 / 2;

interface Held {
  readonly seq: number;
  readonly data: Uint8Array;
}

export class ReceiveQueue {
  private next: number;
  /** RCV.NXT + RCV.WND as last advertised. */
  private rightEdge: number;
  private delivered = 0;
  private held: Held[] = [];

  /**
   * A queue expecting `rcvNxt` next (IRS + 1), with `capacity` bytes of buffer, whose peer
   * sends segments of at most `mss` bytes (Eff.snd.MSS, for silly window avoidance), and a
   * window field of at most `maxWindow`.
   */
  constructor(rcvNxt: number, private readonly capacity: number, readonly mss: number, private readonly maxWindow = TCP_MAX_WINDOW) {
    this.next = rcvNxt >>> 0;
    this.rightEdge = seqAdd(this.next, Math.min(capacity, maxWindow));
  }

  /** RCV.NXT: the next sequence number expected. */
  get rcvNxt(): number {
    return this.next;
  }

  /** RCV.WND: how much past RCV.NXT the peer may send, by the last advertisement. */
  get window(): number {
    return Math.max(0, seqDiff(this.rightEdge, this.next));
  }

  /** Bytes delivered and not yet consumed. */
  get unconsumed(): number {
    return this.delivered;
  }

  /** Bytes held out of order, past a hole. */
  get heldBytes(): number {
    return this.held.reduce((n, h) => n + h.data.length, 0);
  }

  /** Where `seq` lies from RCV.NXT. */
  private offset(seq: number): number {
    return seqDiff(seq, this.next);
  }

  /**
   * Take the data `data` of a segment starting at sequence number `seq`: the part inside the
   * window that is not already held is copied in. Returns the bytes that are now in order
   * (empty when none), which RCV.NXT has moved past.
   */
  insert(seq: number, data: Uint8Array): Uint8Array {
    const start = this.offset(seq);
    const from = Math.max(0, start);
    const to = Math.min(this.window, start + data.length);
    if (from >= to) return new Uint8Array(0);
    const pieces: Held[] = [];
    let cursor = from;
    for (const h of this.held) {
      const hs = this.offset(h.seq);
      const he = hs + h.data.length;
      if (he <= cursor) continue;
      if (hs >= to) break;
      if (hs > cursor) pieces.push({ seq: seqAdd(this.next, cursor), data: data.slice(cursor - start, hs - start) });
      cursor = Math.max(cursor, he);
      if (cursor >= to) break;
    }
    if (cursor < to) pieces.push({ seq: seqAdd(this.next, cursor), data: data.slice(cursor - start, to - start) });
    this.held = [...this.held, ...pieces].sort((a, b) => this.offset(a.seq) - this.offset(b.seq));
    return this.deliver();
  }

  /** Move the held run starting at RCV.NXT, if any, out to the caller. */
  private deliver(): Uint8Array {
    let n = 0;
    let length = 0;
    for (; n < this.held.length && this.offset(this.held[n]!.seq) === length; n++) length += this.held[n]!.data.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const h of this.held.slice(0, n)) {
      out.set(h.data, at);
      at += h.data.length;
    }
    this.held = this.held.slice(n);
    this.next = seqAdd(this.next, out.length);
    this.delivered += out.length;
    return out;
  }

  /** The application has read `n` of the delivered bytes: their buffer space is free again. */
  consume(n: number): void {
    this.delivered -= Math.min(this.delivered, Math.max(0, Math.floor(n)));
  }

  /**
   * The window to advertise now (RFC 9293 §3.8.6.2.2): the free buffer, but the right edge
   * moves only when it can move by at least min(Fr * buffer, MSS); else the last edge stays.
   * The buffer counts at most `maxWindow`, so a window field smaller than it still opens.
   */
  advertise(): number {
    const buffer = Math.min(this.capacity, this.maxWindow);
    const free = Math.min(this.capacity - this.delivered, this.maxWindow);
    if (free - this.window >= Math.min(SWS_BUFFER_FRACTION * buffer, this.mss)) this.rightEdge = seqAdd(this.next, free);
    return this.window;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ReceiveQueue });
