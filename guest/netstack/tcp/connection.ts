// One TCP connection (RFC 9293 §3.10, event processing), owned by one stack: pure and
// deterministic, driven only by its inputs (open, segment, send, close, tick, each with the
// cycle `now`) and read through its outputs (takeSegments: the header fields and payload of
// each segment to transmit, for segment.ts buildSegment; read: the data delivered in order).
// This file is the API: the state is one transmission control block (tcb.ts), and the events
// are arrival.ts (a segment arrives), output.ts (what to send) and timers.ts (the clock).
// They are built from the pure pieces beside them: seq.ts for every sequence comparison
// (numbers wrap at 2^32; the initial send sequence number is a parameter), receive-queue.ts
// for reassembly and the advertised window, rto.ts for the retransmission timer (go back to
// SND.UNA on expiry, Karn's rule), congestion.ts for slow start, congestion avoidance and
// NewReno fast retransmit / fast recovery. Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122
// §4.2.3.2: at least every second full segment, at most `delayedAck` cycles late, at once for
// data out of order) and zero-window probing (§3.8.6.1: the persist timer, one byte past a
// closed window, backed off like the retransmission timer but never giving the connection
// up) are there too.
//
// Left out, on purpose: urgent data, data carried on a SYN (dropped; the peer retransmits
// it), the RFC 5961 challenge-ACK mitigations (an in-window RST aborts, RFC 9293 §3.10.7.4's
// basic rule; a SYN in a synchronized state gets an ACK and is dropped), Nagle's algorithm,
// window scaling and timestamps, and a passive connection returning to LISTEN on a RST (it
// closes instead).

import { resetFor, segment } from './arrival.js';
import { pump } from './output.js';
import { TCP_RST, type TcpSegment } from './segment.js';
import { abort, newTcb, receiving, type ConnectionParams, type OutSegment, type TcpAbortReason, type TcpState, type Tcb } from './tcb.js';
import { deadline, tick } from './timers.js';

export { resetFor } from './arrival.js';
export { DEFAULT_MAX_TIMEOUTS, TCP_DEFAULT_MSS, TCP_STATES, type ConnectionParams, type OutSegment, type TcpAbortReason, type TcpState } from './tcb.js';

export interface ConnectionStats {
  readonly segmentsSent: number;
  /** Retransmission timer expiries. */
  readonly timeouts: number;
  /** Segments retransmitted by fast retransmit or a partial ACK in fast recovery. */
  readonly fastRetransmits: number;
  /** Segments sent again after a timeout went back to SND.UNA. */
  readonly retransmittedSegments: number;
}

/** States in which send() takes data. */
const SENDABLE: readonly TcpState[] = Object.freeze(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'] as const);

export class Connection {
  private readonly t: Tcb;

  constructor(p: ConnectionParams) {
    this.t = newTcb(p);
  }

  get state(): TcpState {
    return this.t.state;
  }

  /** Why the connection was aborted, when it was. */
  get aborted(): TcpAbortReason | undefined {
    return this.t.abortReason;
  }

  get stats(): ConnectionStats {
    return { ...this.t.counts };
  }

  /** The earliest cycle at which tick() has something to do, or undefined. */
  get deadline(): number | undefined {
    return deadline(this.t);
  }

  /** How many bytes send() would accept now. */
  get sendRoom(): number {
    const t = this.t;
    return t.finQueued || !SENDABLE.includes(t.state) ? 0 : t.buf.length - t.bufLen;
  }

  /** Bytes delivered in order and not yet read. */
  get readable(): number {
    return this.t.deliveredBytes;
  }

  /** The peer has closed its side: once readable is 0, no more data will come. */
  get peerClosed(): boolean {
    return this.t.finReceived;
  }

  /** Bytes send() has accepted that the peer has not yet acknowledged. */
  get unacknowledged(): number {
    return this.t.bufLen;
  }

  /** Active open (send a SYN) or passive open (LISTEN), from CLOSED only. */
  open(mode: 'active' | 'passive', now: number): void {
    const t = this.t;
    if (t.state !== 'CLOSED' || t.abortReason) throw new Error(`open in state ${t.state}`);
    if (mode === 'passive') {
      t.state = 'LISTEN';
      return;
    }
    if (t.p.remotePort === undefined) throw new Error('an active open needs the remote port');
    t.state = 'SYN-SENT';
    pump(t, now);
  }

  /** Queue `data` for sending; returns how many of its bytes fit in the send buffer (the rest the caller offers again). */
  send(data: Uint8Array, now: number): number {
    const t = this.t;
    if (t.finQueued || !SENDABLE.includes(t.state)) return 0;
    const n = Math.min(data.length, t.buf.length - t.bufLen);
    t.buf.set(data.subarray(0, n), t.bufLen);
    t.bufLen += n;
    pump(t, now);
    return n;
  }

  /**
   * Up to `max` bytes of the data delivered in order and not yet read; reading frees their
   * receive buffer. A window that opens from less than a segment is announced at once (`now`):
   * the sender is stalled on it and would otherwise wait for its persist timer, since nothing
   * else may come from it. A wider window's update rides on the next ACK, as before.
   */
  read(max: number, now: number): Uint8Array {
    const t = this.t;
    const total = Math.min(t.deliveredBytes, Math.max(0, Math.floor(max)));
    const out = new Uint8Array(total);
    let at = 0;
    while (at < total) {
      const d = t.delivered[0]!;
      const n = Math.min(d.length, total - at);
      out.set(d.subarray(0, n), at);
      at += n;
      if (n === d.length) t.delivered.shift();
      else t.delivered[0] = d.subarray(n);
    }
    t.deliveredBytes -= total;
    if (t.rq && total > 0) {
      const before = t.rq.window;
      t.rq.consume(total);
      // A window update when the window opens (by the silly-window rule of receive-queue.ts).
      if (t.rq.advertise() > before && receiving(t)) {
        t.ackNow = true;
        if (before < t.rq.mss) pump(t, now);
      }
    }
    return out;
  }

  /** The segments to transmit, oldest first; each is handed out once. */
  takeSegments(): readonly OutSegment[] {
    const out = this.t.outbox;
    this.t.outbox = [];
    return out;
  }

  /** Close the sending side (RFC 9293 §3.10.4): a FIN follows the data already accepted. */
  close(now: number): void {
    const t = this.t;
    switch (t.state) {
      case 'LISTEN':
      case 'SYN-SENT':
        t.state = 'CLOSED';
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        t.finQueued = true;
        if (t.state === 'ESTABLISHED') t.state = 'FIN-WAIT-1';
        break;
      case 'CLOSE-WAIT':
        t.finQueued = true;
        t.state = 'LAST-ACK';
        break;
      default:
        return;
    }
    pump(t, now);
  }

  /** ABORT (RFC 9293 §3.10.5): a RST to the peer when synchronized, and CLOSED at once. */
  reset(): void {
    const t = this.t;
    if (t.rq && !['CLOSED', 'LISTEN', 'SYN-SENT'].includes(t.state)) {
      t.outbox.push({ fields: { srcPort: t.p.localPort, dstPort: t.remotePort, seq: t.sndNxt, ack: 0, flags: TCP_RST, window: 0 }, payload: new Uint8Array(0) });
    }
    abort(t, 'reset');
  }

  /** The clock reached `now`: TIME-WAIT, the delayed ACK, the persist and the retransmission timers expire. */
  tick(now: number): void {
    tick(this.t, now);
  }

  /** Segment `seg`, addressed to this connection, arrives at cycle `now` (RFC 9293 §3.10.7). */
  segment(seg: TcpSegment, now: number): void {
    segment(this.t, seg, now);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ resetFor, Connection });
