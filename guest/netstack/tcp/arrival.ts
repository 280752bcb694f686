// A segment arrives (RFC 9293 §3.10.7), by state: CLOSED answers with a RST, LISTEN takes a
// SYN, SYN-SENT takes the SYN-ACK, and every synchronized state checks the sequence number,
// RST, SYN, the ACK (with duplicate ACKs for fast retransmit, RFC 5681), the text (delayed
// ACKs, RFC 1122 §4.2.3.2) and the FIN, in the RFC's order. Over the connection's Tcb.

import { initialCongestion, isDuplicateAck, onDuplicateAck, onNewAck } from './congestion.js';
import { fastRetransmit, pump } from './output.js';
import { ReceiveQueue } from './receive-queue.js';
import { rtoOnAck } from './rto.js';
import { segmentLength, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './segment.js';
import { segmentAcceptable, seqAdd, seqDiff, seqGt, seqInRange, seqLe, seqLt } from './seq.js';
import { abort, dataEnd, enterTimeWait, rcvNxt, receiving, stopTimers, TCP_DEFAULT_MSS, type OutSegment, type Tcb } from './tcb.js';

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

/** Segment `seg`, addressed to this connection, arrives at cycle `now` (RFC 9293 §3.10.7). */
export function segment(t: Tcb, seg: TcpSegment, now: number): void {
  switch (t.state) {
    case 'CLOSED': {
      const rst = resetFor(seg);
      if (rst) t.outbox.push(rst);
      return;
    }
    case 'LISTEN':
      onListen(t, seg, now);
      return;
    case 'SYN-SENT':
      onSynSent(t, seg, now);
      return;
    default:
      onSynchronized(t, seg, now);
  }
}

/** RFC 9293 §3.10.7.2. */
function onListen(t: Tcb, seg: TcpSegment, now: number): void {
  if (seg.flags & TCP_RST) return;
  if (seg.flags & TCP_ACK) {
    t.outbox.push(resetFor(seg)!);
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  if (t.p.remotePort === undefined) t.remotePort = seg.srcPort;
  acceptSyn(t, seg);
  t.state = 'SYN-RECEIVED';
  pump(t, now);
}

/** RFC 9293 §3.10.7.3. */
function onSynSent(t: Tcb, seg: TcpSegment, now: number): void {
  const hasAck = (seg.flags & TCP_ACK) !== 0;
  if (hasAck && !seqInRange(seg.ack, t.iss, t.sndMax)) {
    if (!(seg.flags & TCP_RST)) t.outbox.push(resetFor(seg)!);
    return;
  }
  if (seg.flags & TCP_RST) {
    if (hasAck) abort(t, 'reset');
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  acceptSyn(t, seg);
  if (hasAck) {
    ackAdvance(t, seg.ack, now);
    updateWindow(t, seg);
    t.state = 'ESTABLISHED';
    t.ackNow = true;
  } else {
    // Simultaneous open: our SYN goes again, now with an ACK.
    t.state = 'SYN-RECEIVED';
    t.sndNxt = t.iss;
  }
  pump(t, now);
}

/** RFC 9293 §3.10.7.4, for SYN-RECEIVED and every later state. */
function onSynchronized(t: Tcb, seg: TcpSegment, now: number): void {
  const rq = t.rq!;
  const rst = (seg.flags & TCP_RST) !== 0;
  // First, the sequence number.
  if (!segmentAcceptable(seg.seq, segmentLength(seg), rcvNxt(t), rq.window)) {
    if (!rst) {
      t.ackNow = true;
      if (t.state === 'TIME-WAIT' && seg.flags & TCP_FIN) t.timeWaitDeadline = now + t.p.timeWait;
      pump(t, now);
    }
    return;
  }
  // Second, RST: acceptable means in the window, and aborts.
  if (rst) {
    abort(t, 'reset');
    return;
  }
  // Fourth, a SYN in the window: acknowledge and drop.
  if (seg.flags & TCP_SYN) {
    t.ackNow = true;
    pump(t, now);
    return;
  }
  // Fifth, the ACK.
  if (!(seg.flags & TCP_ACK)) return;
  if (t.state === 'SYN-RECEIVED') {
    if (!seqInRange(seg.ack, t.sndUna, t.sndMax)) {
      t.outbox.push(resetFor(seg)!);
      return;
    }
    t.state = t.finQueued ? 'FIN-WAIT-1' : 'ESTABLISHED';
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
  }
  if (seqGt(seg.ack, t.sndMax)) {
    t.ackNow = true; // acknowledges something not yet sent
    pump(t, now);
    return;
  }
  // An ACK with a zero window reports the window (the answer to a zero-window probe), not a loss.
  if (t.cc && seg.window > 0 && isDuplicateAck(seg, t.sndUna, t.sndMax, t.sndWnd)) {
    const step = onDuplicateAck(t.cc, t.sndUna, t.sndMax);
    t.cc = step.state;
    if (step.retransmit) fastRetransmit(t, now);
  } else if (seqGt(seg.ack, t.sndUna)) {
    ackAdvance(t, seg.ack, now);
  }
  if (seqLt(t.sndWl1, seg.seq) || (t.sndWl1 === seg.seq && seqLe(t.sndWl2, seg.ack))) updateWindow(t, seg);
  const finAcked = t.finQueued && t.sndUna === seqAdd(dataEnd(t), 1);
  if (finAcked) {
    if (t.state === 'FIN-WAIT-1') t.state = 'FIN-WAIT-2';
    else if (t.state === 'CLOSING') enterTimeWait(t, now);
    else if (t.state === 'LAST-ACK') {
      t.state = 'CLOSED';
      stopTimers(t);
      return;
    }
  }
  // Seventh, the text.
  if (seg.payload.length > 0 && receiving(t)) {
    const inOrder = seg.seq === rq.rcvNxt && rq.heldBytes === 0;
    const data = rq.insert(seg.seq, seg.payload);
    if (data.length > 0) {
      t.delivered.push(data);
      t.deliveredBytes += data.length;
    }
    // RFC 5681 §4.2: out-of-order data, or data filling a hole, is acknowledged at once.
    if (inOrder && data.length === seg.payload.length && t.p.delayedAck !== undefined && ++t.unackedSegments < 2) t.ackDeadline ??= now + t.p.delayedAck;
    else t.ackNow = true;
  }
  // Eighth, FIN: taken when all data before it is in, even if it arrived past a hole.
  if (seg.flags & TCP_FIN) {
    t.peerFinSeq = seqAdd(seg.seq, seg.payload.length);
    t.ackNow = true;
  }
  if (t.peerFinSeq !== undefined && !t.finReceived && rq.rcvNxt === t.peerFinSeq) takeFin(t, now);
  else if (t.finReceived && seg.flags & TCP_FIN && t.state === 'TIME-WAIT') t.timeWaitDeadline = now + t.p.timeWait;
  pump(t, now);
}

function takeFin(t: Tcb, now: number): void {
  t.finReceived = true;
  t.ackNow = true;
  switch (t.state) {
    case 'SYN-RECEIVED':
    case 'ESTABLISHED':
      t.state = 'CLOSE-WAIT';
      break;
    case 'FIN-WAIT-1':
      t.state = 'CLOSING';
      break;
    case 'FIN-WAIT-2':
      enterTimeWait(t, now);
      break;
    default:
      break;
  }
}

/** The peer's SYN: IRS, its MSS, the receive queue and congestion state. */
function acceptSyn(t: Tcb, seg: TcpSegment): void {
  t.sndMss = Math.min(seg.mss ?? TCP_DEFAULT_MSS, t.p.mss);
  t.rq = new ReceiveQueue(seqAdd(seg.seq, 1), t.p.receiveBuffer, t.p.mss);
  t.cc = initialCongestion(t.sndMss, t.iss);
  t.sndWnd = seg.window;
  t.sndWl1 = seg.seq;
  t.sndWl2 = seg.ack;
}

function updateWindow(t: Tcb, seg: TcpSegment): void {
  t.sndWnd = seg.window;
  t.sndWl1 = seg.seq;
  t.sndWl2 = seg.ack;
}

/** An acceptable ACK of everything before `ack` (SND.UNA < ack <= sndMax). */
function ackAdvance(t: Tcb, ack: number, now: number): void {
  const step = t.cc ? onNewAck(t.cc, t.sndUna, ack, t.sndMax) : undefined;
  if (step) t.cc = step.state;
  t.rto = rtoOnAck(t.rto, ack, now, t.p.rto);
  // Drop acknowledged data from the buffer (the SYN and FIN occupy no buffer).
  const dropped = Math.max(0, Math.min(t.bufLen, seqDiff(ack, t.bufSeq)));
  if (dropped > 0) {
    t.buf.copyWithin(0, dropped, t.bufLen);
    t.bufLen -= dropped;
    t.bufSeq = seqAdd(t.bufSeq, dropped);
  }
  t.sndUna = ack;
  if (seqLt(t.sndNxt, ack)) t.sndNxt = ack;
  t.timeoutsInARow = 0;
  // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it.
  t.rtxDeadline = t.sndUna === t.sndMax ? undefined : now + t.rto.rto;
  if (step?.retransmit) fastRetransmit(t, now);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ resetFor, segment });
