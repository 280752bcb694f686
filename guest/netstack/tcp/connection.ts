// One TCP connection (RFC 9293 §3.10, event processing), owned by one stack: pure and
// deterministic, driven only by its inputs (open, segment, send, close, tick, each with the
// cycle `now`) and read through its outputs (takeSegments: the header fields and payload of
// each segment to transmit, for segment.ts buildSegment; read: the data delivered in order).
// Built from the pure pieces beside it: seq.ts for every sequence comparison (numbers wrap at
// 2^32; the initial send sequence number is a parameter), receive-queue.ts for reassembly and
// the advertised window, rto.ts for the retransmission timer (go back to SND.UNA on expiry,
// Karn's rule), congestion.ts for slow start, congestion avoidance and NewReno fast
// retransmit / fast recovery. Delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2: at least
// every second full segment, at most `delayedAck` cycles late, at once for data out of order)
// and zero-window probing (§3.8.6.1: the persist timer, one byte past a closed window, backed
// off like the retransmission timer but never giving the connection up) are here too.
//
// Left out, on purpose: urgent data, data carried on a SYN (dropped; the peer retransmits it), the RFC 5961
// challenge-ACK mitigations (an in-window RST aborts, RFC 9293 §3.10.7.4's basic rule; a SYN
// in a synchronized state gets an ACK and is dropped), Nagle's algorithm, window scaling and
// timestamps, and a passive connection returning to LISTEN on a RST (it closes instead).

import { initialCongestion, isDuplicateAck, onDuplicateAck, onNewAck, onRetransmitTimeout, type CongestionState } from './congestion.js';
import { ReceiveQueue, TCP_MAX_WINDOW } from './receive-queue.js';
import { initialRto, rtoOnAck, rtoOnSend, rtoOnTimeout, type RtoParams, type RtoState } from './rto.js';
import { segmentLength, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpHeaderFields, type TcpSegment } from './segment.js';
import { segmentAcceptable, seqAdd, seqDiff, seqGt, seqInRange, seqLe, seqLt } from './seq.js';

/** RFC 9293 §3.7.1: the send MSS when the peer's SYN carries no MSS option. */
export const TCP_DEFAULT_MSS = 536;
/** Retransmission timeouts in a row after which the connection is given up (RFC 9293 §3.8.3's R2, counted in expiries). */
export const DEFAULT_MAX_TIMEOUTS = 12;

export const TCP_STATES = Object.freeze([
  'CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT',
] as const);
export type TcpState = (typeof TCP_STATES)[number];

/** Why a connection ended other than by an orderly close. */
export type TcpAbortReason = 'reset' | 'timeout';

export interface ConnectionParams {
  readonly localPort: number;
  /** The peer's port; a passive connection takes it from the SYN it accepts when this is absent. */
  readonly remotePort?: number;
  /** ISS, the initial send sequence number (RFC 9293 §3.4.1: the caller chooses it). */
  readonly iss: number;
  /** The MSS this side advertises, and the most it sends in one segment. */
  readonly mss: number;
  /** Bytes of send buffer: what send() accepts beyond it waits (back-pressure). */
  readonly sendBuffer: number;
  /** Bytes of receive buffer (receive-queue.ts). */
  readonly receiveBuffer: number;
  readonly rto: RtoParams;
  /** 2 * MSL, the TIME-WAIT duration, in cycles (RFC 9293 §3.4.2). */
  readonly timeWait: number;
  readonly maxTimeouts?: number;
  /** Longest an ACK for in-order data may wait, in cycles (RFC 1122 §4.2.3.2: under 0.5 s); absent: acknowledge every segment at once. */
  readonly delayedAck?: number;
}

/** A segment to transmit: the header fields and payload for buildSegment. */
export interface OutSegment {
  readonly fields: TcpHeaderFields;
  readonly payload: Uint8Array;
}

export interface ConnectionStats {
  readonly segmentsSent: number;
  /** Retransmission timer expiries. */
  readonly timeouts: number;
  /** Segments retransmitted by fast retransmit or a partial ACK in fast recovery. */
  readonly fastRetransmits: number;
  /** Segments sent again after a timeout went back to SND.UNA. */
  readonly retransmittedSegments: number;
}

/**
 * RFC 9293 §3.10.7.1: the reply to segment `seg` arriving for no connection (or a CLOSED
 * one): a RST, unless `seg` is itself one. `localPort` and `remotePort` are `seg`'s
 * destination and source.
 */
export function resetFor(seg: TcpSegment): OutSegment | undefined {
  if (seg.flags & TCP_RST) return undefined;
  const ports = { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0 };
  if (seg.flags & TCP_ACK) return { fields: { ...ports, seq: seg.ack, ack: 0, flags: TCP_RST }, payload: new Uint8Array(0) };
  return { fields: { ...ports, seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: TCP_RST | TCP_ACK }, payload: new Uint8Array(0) };
}

/** States in which send() takes data. */
const SENDABLE: readonly TcpState[] = Object.freeze(['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'] as const);

export class Connection {
  private st: TcpState = 'CLOSED';
  private abortReason: TcpAbortReason | undefined;
  private remotePort: number;
  private readonly iss: number;
  // Send side (RFC 9293 §3.3.1). sndMax is one past the highest sequence number ever sent:
  // after a timeout SND.NXT goes back to SND.UNA, and ACKs up to sndMax stay acceptable.
  private sndUna: number;
  private sndNxt: number;
  private sndMax: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private sndMss = TCP_DEFAULT_MSS;
  /** Unacknowledged and unsent data, the byte at buf[0] having sequence number bufSeq. */
  private readonly buf: Uint8Array;
  private bufLen = 0;
  private bufSeq: number;
  /** close() was called: a FIN follows the buffered data, at dataEnd. */
  private finQueued = false;
  // Receive side.
  private rq: ReceiveQueue | undefined;
  private finReceived = false;
  /** The sequence number of the peer's FIN, once seen (it may arrive past a hole). */
  private peerFinSeq: number | undefined;
  private delivered: Uint8Array[] = [];
  // Timers and control.
  private rtoState: RtoState;
  private cc: CongestionState | undefined;
  private rtxDeadline: number | undefined;
  private timeWaitDeadline: number | undefined;
  private timeoutsInARow = 0;
  private ackNow = false;
  /** Delayed ACK: in-order segments not yet acknowledged, and when their ACK is due. */
  private unackedSegments = 0;
  private ackDeadline: number | undefined;
  /** Persist timer: when the next zero-window probe goes, and probes sent in a row. */
  private persistDeadline: number | undefined;
  private probesInARow = 0;
  private deliveredBytes = 0;
  private outbox: OutSegment[] = [];
  private counts = { segmentsSent: 0, timeouts: 0, fastRetransmits: 0, retransmittedSegments: 0 };

  constructor(private readonly p: ConnectionParams) {
    this.iss = p.iss >>> 0;
    this.sndUna = this.sndNxt = this.sndMax = this.iss;
    this.bufSeq = seqAdd(this.iss, 1);
    this.remotePort = p.remotePort ?? 0;
    this.buf = new Uint8Array(p.sendBuffer);
    this.rtoState = initialRto(p.rto);
  }

  get state(): TcpState {
    return this.st;
  }

  /** Why the connection was aborted, when it was. */
  get aborted(): TcpAbortReason | undefined {
    return this.abortReason;
  }

  get stats(): ConnectionStats {
    return { ...this.counts };
  }

  /** The earliest cycle at which tick() has something to do, or undefined. */
  get deadline(): number | undefined {
    let d: number | undefined;
    for (const t of [this.rtxDeadline, this.timeWaitDeadline, this.ackDeadline, this.persistDeadline]) if (t !== undefined && (d === undefined || t < d)) d = t;
    return d;
  }

  /** How many bytes send() would accept now. */
  get sendRoom(): number {
    return this.finQueued || !SENDABLE.includes(this.st) ? 0 : this.buf.length - this.bufLen;
  }

  /** Bytes delivered in order and not yet read. */
  get readable(): number {
    return this.deliveredBytes;
  }

  /** The peer has closed its side: once readable is 0, no more data will come. */
  get peerClosed(): boolean {
    return this.finReceived;
  }

  /** Bytes send() has accepted that the peer has not yet acknowledged. */
  get unacknowledged(): number {
    return this.bufLen;
  }

  /** Active open (send a SYN) or passive open (LISTEN), from CLOSED only. */
  open(mode: 'active' | 'passive', now: number): void {
    if (this.st !== 'CLOSED' || this.abortReason) throw new Error(`open in state ${this.st}`);
    if (mode === 'passive') {
      this.st = 'LISTEN';
      return;
    }
    if (this.p.remotePort === undefined) throw new Error('an active open needs the remote port');
    this.st = 'SYN-SENT';
    this.pump(now);
  }

  /** Queue `data` for sending; returns how many of its bytes fit in the send buffer (the rest the caller offers again). */
  send(data: Uint8Array, now: number): number {
    if (this.finQueued || !SENDABLE.includes(this.st)) return 0;
    const n = Math.min(data.length, this.buf.length - this.bufLen);
    this.buf.set(data.subarray(0, n), this.bufLen);
    this.bufLen += n;
    this.pump(now);
    return n;
  }

  /** Up to `max` bytes of the data delivered in order and not yet read; reading frees their receive buffer. */
  read(max = Infinity): Uint8Array {
    const total = Math.min(this.deliveredBytes, Math.max(0, Math.floor(max)));
    const out = new Uint8Array(total);
    let at = 0;
    while (at < total) {
      const d = this.delivered[0]!;
      const n = Math.min(d.length, total - at);
      out.set(d.subarray(0, n), at);
      at += n;
      if (n === d.length) this.delivered.shift();
      else this.delivered[0] = d.subarray(n);
    }
    this.deliveredBytes -= total;
    if (this.rq && total > 0) {
      const before = this.rq.window;
      this.rq.consume(total);
      // A window update when the window opens (by the silly-window rule of receive-queue.ts).
      if (this.rq.advertise() > before && this.receiving()) this.ackNow = true;
    }
    return out;
  }

  /** The segments to transmit, oldest first; each is handed out once. */
  takeSegments(): readonly OutSegment[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** Close the sending side (RFC 9293 §3.10.4): a FIN follows the data already accepted. */
  close(now: number): void {
    switch (this.st) {
      case 'LISTEN':
      case 'SYN-SENT':
        this.st = 'CLOSED';
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.finQueued = true;
        if (this.st === 'ESTABLISHED') this.st = 'FIN-WAIT-1';
        break;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.st = 'LAST-ACK';
        break;
      default:
        return;
    }
    this.pump(now);
  }

  /** ABORT (RFC 9293 §3.10.5): a RST to the peer when synchronized, and CLOSED at once. */
  reset(): void {
    if (this.rq && !['CLOSED', 'LISTEN', 'SYN-SENT'].includes(this.st)) {
      this.outbox.push({ fields: { srcPort: this.p.localPort, dstPort: this.remotePort, seq: this.sndNxt, ack: 0, flags: TCP_RST, window: 0 }, payload: new Uint8Array(0) });
    }
    this.abort('reset');
  }

  /** The clock reached `now`: TIME-WAIT, the delayed ACK, the persist and the retransmission timers expire. */
  tick(now: number): void {
    if (this.timeWaitDeadline !== undefined && now >= this.timeWaitDeadline) {
      this.timeWaitDeadline = undefined;
      this.st = 'CLOSED';
      return;
    }
    if (this.ackDeadline !== undefined && now >= this.ackDeadline) {
      this.ackDeadline = undefined;
      this.ackNow = true;
      this.pump(now);
    }
    if (this.persistDeadline !== undefined && now >= this.persistDeadline) this.probe(now);
    if (this.rtxDeadline === undefined || now < this.rtxDeadline) return;
    this.rtxDeadline = undefined;
    this.counts.timeouts++;
    if (++this.timeoutsInARow > (this.p.maxTimeouts ?? DEFAULT_MAX_TIMEOUTS)) {
      this.abort('timeout');
      return;
    }
    // RFC 6298 §5.4-5.6: back off and retransmit from SND.UNA; RFC 5681 §3.1: cwnd to one segment.
    this.rtoState = rtoOnTimeout(this.rtoState, this.p.rto);
    if (this.cc) this.cc = onRetransmitTimeout(this.cc, this.sndUna, this.sndMax);
    this.sndNxt = this.sndUna;
    this.pump(now);
  }

  /** Segment `seg`, addressed to this connection, arrives at cycle `now` (RFC 9293 §3.10.7). */
  segment(seg: TcpSegment, now: number): void {
    switch (this.st) {
      case 'CLOSED': {
        const rst = resetFor(seg);
        if (rst) this.outbox.push(rst);
        return;
      }
      case 'LISTEN':
        this.onListen(seg, now);
        return;
      case 'SYN-SENT':
        this.onSynSent(seg, now);
        return;
      default:
        this.onSynchronized(seg, now);
    }
  }

  // --- arrival, by state -----------------------------------------------------------------

  /** RFC 9293 §3.10.7.2. */
  private onListen(seg: TcpSegment, now: number): void {
    if (seg.flags & TCP_RST) return;
    if (seg.flags & TCP_ACK) {
      this.outbox.push(resetFor(seg)!);
      return;
    }
    if (!(seg.flags & TCP_SYN)) return;
    if (this.p.remotePort === undefined) this.remotePort = seg.srcPort;
    this.acceptSyn(seg);
    this.st = 'SYN-RECEIVED';
    this.pump(now);
  }

  /** RFC 9293 §3.10.7.3. */
  private onSynSent(seg: TcpSegment, now: number): void {
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    if (hasAck && !seqInRange(seg.ack, this.iss, this.sndMax)) {
      if (!(seg.flags & TCP_RST)) this.outbox.push(resetFor(seg)!);
      return;
    }
    if (seg.flags & TCP_RST) {
      if (hasAck) this.abort('reset');
      return;
    }
    if (!(seg.flags & TCP_SYN)) return;
    this.acceptSyn(seg);
    if (hasAck) {
      this.ackAdvance(seg.ack, now);
      this.updateWindow(seg);
      this.st = 'ESTABLISHED';
      this.ackNow = true;
    } else {
      // Simultaneous open: our SYN goes again, now with an ACK.
      this.st = 'SYN-RECEIVED';
      this.sndNxt = this.iss;
    }
    this.pump(now);
  }

  /** RFC 9293 §3.10.7.4, for SYN-RECEIVED and every later state. */
  private onSynchronized(seg: TcpSegment, now: number): void {
    const rq = this.rq!;
    const rst = (seg.flags & TCP_RST) !== 0;
    // First, the sequence number.
    if (!segmentAcceptable(seg.seq, segmentLength(seg), this.rcvNxt(), rq.window)) {
      if (!rst) {
        this.ackNow = true;
        if (this.st === 'TIME-WAIT' && seg.flags & TCP_FIN) this.timeWaitDeadline = now + this.p.timeWait;
        this.pump(now);
      }
      return;
    }
    // Second, RST: acceptable means in the window, and aborts.
    if (rst) {
      this.abort('reset');
      return;
    }
    // Fourth, a SYN in the window: acknowledge and drop.
    if (seg.flags & TCP_SYN) {
      this.ackNow = true;
      this.pump(now);
      return;
    }
    // Fifth, the ACK.
    if (!(seg.flags & TCP_ACK)) return;
    if (this.st === 'SYN-RECEIVED') {
      if (!seqInRange(seg.ack, this.sndUna, this.sndMax)) {
        this.outbox.push(resetFor(seg)!);
        return;
      }
      this.st = this.finQueued ? 'FIN-WAIT-1' : 'ESTABLISHED';
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
    }
    if (seqGt(seg.ack, this.sndMax)) {
      this.ackNow = true; // acknowledges something not yet sent
      this.pump(now);
      return;
    }
    // An ACK with a zero window reports the window (the answer to a zero-window probe), not a loss.
    if (this.cc && seg.window > 0 && isDuplicateAck(seg, this.sndUna, this.sndMax, this.sndWnd)) {
      const step = onDuplicateAck(this.cc, this.sndUna, this.sndMax);
      this.cc = step.state;
      if (step.retransmit) this.fastRetransmit(now);
    } else if (seqGt(seg.ack, this.sndUna)) {
      this.ackAdvance(seg.ack, now);
    }
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))) this.updateWindow(seg);
    const finAcked = this.finQueued && this.sndUna === seqAdd(this.dataEnd(), 1);
    if (finAcked) {
      if (this.st === 'FIN-WAIT-1') this.st = 'FIN-WAIT-2';
      else if (this.st === 'CLOSING') this.enterTimeWait(now);
      else if (this.st === 'LAST-ACK') {
        this.st = 'CLOSED';
        this.stopTimers();
        return;
      }
    }
    // Seventh, the text.
    if (seg.payload.length > 0 && this.receiving()) {
      const inOrder = seg.seq === rq.rcvNxt && rq.heldBytes === 0;
      const data = rq.insert(seg.seq, seg.payload);
      if (data.length > 0) {
        this.delivered.push(data);
        this.deliveredBytes += data.length;
      }
      // RFC 5681 §4.2: out-of-order data, or data filling a hole, is acknowledged at once.
      if (inOrder && data.length === seg.payload.length && this.p.delayedAck !== undefined && ++this.unackedSegments < 2) this.ackDeadline ??= now + this.p.delayedAck;
      else this.ackNow = true;
    }
    // Eighth, FIN: taken when all data before it is in, even if it arrived past a hole.
    if (seg.flags & TCP_FIN) {
      this.peerFinSeq = seqAdd(seg.seq, seg.payload.length);
      this.ackNow = true;
    }
    if (this.peerFinSeq !== undefined && !this.finReceived && rq.rcvNxt === this.peerFinSeq) this.takeFin(now);
    else if (this.finReceived && seg.flags & TCP_FIN && this.st === 'TIME-WAIT') this.timeWaitDeadline = now + this.p.timeWait;
    this.pump(now);
  }

  private takeFin(now: number): void {
    this.finReceived = true;
    this.ackNow = true;
    switch (this.st) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.st = 'CLOSE-WAIT';
        break;
      case 'FIN-WAIT-1':
        this.st = 'CLOSING';
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait(now);
        break;
      default:
        break;
    }
  }

  // --- helpers -----------------------------------------------------------------------------

  /** The peer's SYN: IRS, its MSS, the receive queue and congestion state. */
  private acceptSyn(seg: TcpSegment): void {
    this.sndMss = Math.min(seg.mss ?? TCP_DEFAULT_MSS, this.p.mss);
    this.rq = new ReceiveQueue(seqAdd(seg.seq, 1), this.p.receiveBuffer, this.p.mss);
    this.cc = initialCongestion(this.sndMss, this.iss);
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
  }

  private updateWindow(seg: TcpSegment): void {
    this.sndWnd = seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
  }

  /** An acceptable ACK of everything before `ack` (SND.UNA < ack <= sndMax). */
  private ackAdvance(ack: number, now: number): void {
    const step = this.cc ? onNewAck(this.cc, this.sndUna, ack, this.sndMax) : undefined;
    if (step) this.cc = step.state;
    this.rtoState = rtoOnAck(this.rtoState, ack, now, this.p.rto);
    // Drop acknowledged data from the buffer (the SYN and FIN occupy no buffer).
    const dropped = Math.max(0, Math.min(this.bufLen, seqDiff(ack, this.bufSeq)));
    if (dropped > 0) {
      this.buf.copyWithin(0, dropped, this.bufLen);
      this.bufLen -= dropped;
      this.bufSeq = seqAdd(this.bufSeq, dropped);
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.timeoutsInARow = 0;
    // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it.
    this.rtxDeadline = this.sndUna === this.sndMax ? undefined : now + this.rtoState.rto;
    if (step?.retransmit) this.fastRetransmit(now);
  }

  private fastRetransmit(now: number): void {
    if (this.sndUna === this.sndMax) return;
    this.counts.fastRetransmits++;
    this.emitAt(this.sndUna, this.sndMss, now);
    this.rtxDeadline = now + this.rtoState.rto;
  }

  private enterTimeWait(now: number): void {
    this.st = 'TIME-WAIT';
    this.stopTimers();
    this.timeWaitDeadline = now + this.p.timeWait;
  }

  private abort(reason: TcpAbortReason): void {
    this.st = 'CLOSED';
    this.abortReason = reason;
    this.stopTimers();
    this.timeWaitDeadline = undefined;
    this.bufLen = 0;
  }

  /** Nothing more to send or acknowledge: the retransmission, persist and delayed-ACK timers stop. */
  private stopTimers(): void {
    this.rtxDeadline = this.persistDeadline = this.ackDeadline = undefined;
  }

  /** RCV.NXT, the peer's FIN counted. */
  private rcvNxt(): number {
    return seqAdd(this.rq!.rcvNxt, this.finReceived ? 1 : 0);
  }

  /** States in which arriving data is taken (RFC 9293 §3.10.7.4, seventh). */
  private receiving(): boolean {
    return this.st === 'ESTABLISHED' || this.st === 'FIN-WAIT-1' || this.st === 'FIN-WAIT-2';
  }

  /** One past the last byte of buffered data: where the FIN goes. */
  private dataEnd(): number {
    return seqAdd(this.bufSeq, this.bufLen);
  }

  private synAcked(): boolean {
    return seqGt(this.sndUna, this.iss);
  }

  /**
   * Emit the segment starting at `seq` with at most `room` bytes of data: the SYN when `seq`
   * is ISS, else data from the buffer, with the FIN when it reaches the end of the data.
   * Returns the sequence numbers it occupies.
   */
  private emitAt(seq: number, room: number, now: number): number {
    const synchronized = this.rq !== undefined;
    let flags = synchronized ? TCP_ACK : 0;
    let payload = new Uint8Array(0);
    let mss: number | undefined;
    if (seq === this.iss && !this.synAcked()) {
      flags |= TCP_SYN;
      mss = this.p.mss;
    } else {
      const off = seqDiff(seq, this.bufSeq);
      const n = Math.max(0, Math.min(room, this.bufLen - off, this.sndMss));
      payload = this.buf.slice(off, off + n);
      if (this.finQueued && seqAdd(seq, n) === this.dataEnd()) flags |= TCP_FIN;
    }
    const length = payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const end = seqAdd(seq, length);
    const retransmission = seqLt(seq, this.sndMax);
    if (retransmission) this.counts.retransmittedSegments++;
    this.counts.segmentsSent++;
    this.rtoState = rtoOnSend(this.rtoState, end, now, retransmission);
    if (seqGt(end, this.sndMax)) this.sndMax = end;
    if (this.rtxDeadline === undefined && length > 0) this.rtxDeadline = now + this.rtoState.rto;
    const window = this.rq ? this.rq.advertise() : Math.min(this.p.receiveBuffer, TCP_MAX_WINDOW);
    const ack = synchronized ? this.rcvNxt() : 0;
    this.outbox.push({ fields: { srcPort: this.p.localPort, dstPort: this.remotePort, seq, ack, flags, window, mss }, payload });
    this.acknowledged();
    return length;
  }

  /** Send what the windows allow, then a bare ACK if one is owed and nothing carried it. */
  private pump(now: number): void {
    const canSendData = ['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK'].includes(this.st);
    for (;;) {
      if ((this.st === 'SYN-SENT' || this.st === 'SYN-RECEIVED') && this.sndNxt === this.iss) {
        this.sndNxt = seqAdd(this.sndNxt, this.emitAt(this.iss, 0, now));
        continue;
      }
      if (!canSendData || !this.synAcked()) break;
      const pending = seqDiff(this.dataEnd(), this.sndNxt);
      // The peer's window runs from the ACK it came with (SND.WL2); cwnd bounds what is in flight.
      const flight = seqDiff(this.sndNxt, this.sndUna);
      const windowRoom = seqDiff(seqAdd(this.sndWl2, this.sndWnd), this.sndNxt);
      const room = Math.min(windowRoom, (this.cc ? this.cc.cwnd : this.sndMss) - flight);
      const finDue = this.finQueued && pending === 0;
      if ((pending > 0 && room > 0) || finDue) {
        this.sndNxt = seqAdd(this.sndNxt, this.emitAt(this.sndNxt, Math.max(0, room), now));
        continue;
      }
      this.schedulePersist(now, pending, windowRoom);
      break;
    }
    if (this.ackNow && this.rq && this.st !== 'CLOSED') {
      const seq = this.sndNxt;
      const window = this.rq.advertise();
      this.outbox.push({ fields: { srcPort: this.p.localPort, dstPort: this.remotePort, seq, ack: this.rcvNxt(), flags: TCP_ACK, window }, payload: new Uint8Array(0) });
      this.counts.segmentsSent++;
      this.acknowledged();
    }
  }

  /** A segment carrying the current ACK went out: nothing is owed any more. */
  private acknowledged(): void {
    this.ackNow = false;
    this.unackedSegments = 0;
    this.ackDeadline = undefined;
  }

  /**
   * RFC 9293 §3.8.6.1: data waits, the peer's window is closed and nothing is in flight to
   * bring a window update: start the persist timer (stopped once the window opens).
   */
  private schedulePersist(now: number, pending: number, windowRoom: number): void {
    const waiting = pending > 0 && windowRoom <= 0 && this.sndNxt === this.sndUna && this.rtxDeadline === undefined;
    if (!waiting) {
      this.persistDeadline = undefined;
      this.probesInARow = 0;
    } else this.persistDeadline ??= now + Math.min(this.rtoState.rto * 2 ** this.probesInARow, this.p.rto.max);
  }

  /** The persist timer expired: one byte past the closed window, which the peer answers with an ACK carrying its window. */
  private probe(now: number): void {
    this.persistDeadline = undefined;
    if (seqDiff(this.dataEnd(), this.sndNxt) <= 0 || !this.synAcked()) return;
    const rtx = this.rtxDeadline;
    this.emitAt(this.sndNxt, 1, now);
    this.rtxDeadline = rtx; // a probe the peer refuses is not a loss: the persist timer goes on, the connection is not given up
    this.probesInARow++;
    this.persistDeadline = now + Math.min(this.rtoState.rto * 2 ** this.probesInARow, this.p.rto.max);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ resetFor, Connection });
