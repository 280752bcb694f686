// What a connection sends (RFC 9293 §3.8, §3.10): the segments the windows allow, the SYN,
// the FIN after the data, a bare ACK when one is owed and nothing carried it, fast
// retransmits, and the zero-window probes of the persist timer (§3.8.6.1). Every function
// takes the connection's Tcb (tcb.ts) and appends to its outbox.

import { rtoOnSend } from './rto.js';
import { TCP_ACK, TCP_FIN, TCP_SYN } from './segment.js';
import { seqAdd, seqDiff, seqGt, seqLt } from './seq.js';
import { TCP_MAX_WINDOW } from './receive-queue.js';
import { dataEnd, rcvNxt, synAcked, type Tcb } from './tcb.js';

/**
 * Emit the segment starting at `seq` with at most `room` bytes of data: the SYN when `seq`
 * is ISS, else data from the buffer, with the FIN when it reaches the end of the data.
 * Returns the sequence numbers it occupies.
 */
function emitAt(t: Tcb, seq: number, room: number, now: number): number {
  const synchronized = t.rq !== undefined;
  let flags = synchronized ? TCP_ACK : 0;
  let payload = new Uint8Array(0);
  let mss: number | undefined;
  if (seq === t.iss && !synAcked(t)) {
    flags |= TCP_SYN;
    mss = t.p.mss;
  } else {
    const off = seqDiff(seq, t.bufSeq);
    const n = Math.max(0, Math.min(room, t.bufLen - off, t.sndMss));
    payload = t.buf.slice(off, off + n);
    if (t.finQueued && seqAdd(seq, n) === dataEnd(t)) flags |= TCP_FIN;
  }
  const length = payload.length + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
  const end = seqAdd(seq, length);
  const retransmission = seqLt(seq, t.sndMax);
  if (retransmission) t.counts.retransmittedSegments++;
  t.counts.segmentsSent++;
  t.rto = rtoOnSend(t.rto, end, now, retransmission);
  if (seqGt(end, t.sndMax)) t.sndMax = end;
  if (t.rtxDeadline === undefined && length > 0) t.rtxDeadline = now + t.rto.rto;
  const window = t.rq ? t.rq.advertise() : Math.min(t.p.receiveBuffer, TCP_MAX_WINDOW);
  const ack = synchronized ? rcvNxt(t) : 0;
  t.outbox.push({ fields: { srcPort: t.p.localPort, dstPort: t.remotePort, seq, ack, flags, window, mss }, payload });
  acknowledged(t);
  return length;
}

/** Send what the windows allow, then a bare ACK if one is owed and nothing carried it. */
export function pump(t: Tcb, now: number): void {
  const canSendData = ['ESTABLISHED', 'CLOSE-WAIT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK'].includes(t.state);
  for (;;) {
    if ((t.state === 'SYN-SENT' || t.state === 'SYN-RECEIVED') && t.sndNxt === t.iss) {
      t.sndNxt = seqAdd(t.sndNxt, emitAt(t, t.iss, 0, now));
      continue;
    }
    if (!canSendData || !synAcked(t)) break;
    const pending = seqDiff(dataEnd(t), t.sndNxt);
    // The peer's window runs from the ACK it came with (SND.WL2); cwnd bounds what is in flight.
    const flight = seqDiff(t.sndNxt, t.sndUna);
    const windowRoom = seqDiff(seqAdd(t.sndWl2, t.sndWnd), t.sndNxt);
    const room = Math.min(windowRoom, (t.cc ? t.cc.cwnd : t.sndMss) - flight);
    const finDue = t.finQueued && pending === 0;
    if ((pending > 0 && room > 0) || finDue) {
      t.sndNxt = seqAdd(t.sndNxt, emitAt(t, t.sndNxt, Math.max(0, room), now));
      continue;
    }
    schedulePersist(t, now, pending, windowRoom);
    break;
  }
  if (t.ackNow && t.rq && t.state !== 'CLOSED') {
    const seq = t.sndNxt;
    const window = t.rq.advertise();
    t.outbox.push({ fields: { srcPort: t.p.localPort, dstPort: t.remotePort, seq, ack: rcvNxt(t), flags: TCP_ACK, window }, payload: new Uint8Array(0) });
    t.counts.segmentsSent++;
    acknowledged(t);
  }
}

/** A segment carrying the current ACK went out: nothing is owed any more. */
function acknowledged(t: Tcb): void {
  t.ackNow = false;
  t.unackedSegments = 0;
  t.ackDeadline = undefined;
}

/**
 * RFC 9293 §3.8.6.1: data waits, the peer's window is closed and nothing is in flight to
 * bring a window update: start the persist timer (stopped once the window opens).
 */
function schedulePersist(t: Tcb, now: number, pending: number, windowRoom: number): void {
  const waiting = pending > 0 && windowRoom <= 0 && t.sndNxt === t.sndUna && t.rtxDeadline === undefined;
  if (!waiting) {
    t.persistDeadline = undefined;
    t.probesInARow = 0;
  } else t.persistDeadline ??= now + Math.min(t.rto.rto * 2 ** t.probesInARow, t.p.rto.max);
}

/** The persist timer expired: one byte past the closed window, which the peer answers with an ACK carrying its window. */
export function probe(t: Tcb, now: number): void {
  t.persistDeadline = undefined;
  if (seqDiff(dataEnd(t), t.sndNxt) <= 0 || !synAcked(t)) return;
  const rtx = t.rtxDeadline;
  emitAt(t, t.sndNxt, 1, now);
  t.rtxDeadline = rtx; // a probe the peer refuses is not a loss: the persist timer goes on, the connection is not given up
  t.probesInARow++;
  t.persistDeadline = now + Math.min(t.rto.rto * 2 ** t.probesInARow, t.p.rto.max);
}

export function fastRetransmit(t: Tcb, now: number): void {
  if (t.sndUna === t.sndMax) return;
  t.counts.fastRetransmits++;
  emitAt(t, t.sndUna, t.sndMss, now);
  t.rtxDeadline = now + t.rto.rto;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ pump, probe, fastRetransmit });
