// Sender congestion control (RFC 5681) with NewReno fast recovery (RFC 6582): the congestion
// window cwnd and slow-start threshold ssthresh, grown by slow start and congestion
// avoidance as ACKs arrive, cut by fast retransmit on the third duplicate ACK and by a
// retransmission timeout. Partial ACKs in recovery are handled per RFC 6582 §3.2 (step 5,
// retransmit and deflate; the timer reset on the first one), and a third duplicate ACK that
// does not cover `recover` starts no new recovery (step 2). Limited Transmit (RFC 3042) is
// not done. Pure: each event returns a new state and what the sender must do now. Sequence
// numbers are compared modulo 2^32 (seq.ts); sizes are in bytes.

import { TCP_ACK, TCP_FIN, TCP_SYN, type TcpSegment } from './segment.js';
import { seqAdd, seqDiff, seqGt } from './seq.js';

/** RFC 5681 §3.2: fast retransmit on the third duplicate ACK. */
export const DUPACK_THRESHOLD = 3;
/** RFC 5681 §3.1: the SMSS bounds of the initial window's 4-, 3- and 2-segment cases (as in RFC 3390 §1). */
const IW_FOUR_SEGMENTS_MAX_SMSS = 1095;
const IW_THREE_SEGMENTS_MAX_SMSS = 2190;

export interface CongestionState {
  /** SMSS, the sender's maximum segment size. */
  readonly smss: number;
  readonly cwnd: number;
  readonly ssthresh: number;
  /** Duplicate ACKs in a row. */
  readonly dupAcks: number;
  /** In fast recovery (RFC 6582 §3.2). */
  readonly recovering: boolean;
  /** RFC 6582's `recover`: the highest sequence number sent when recovery or the last timeout began. */
  readonly recover: number;
  /** A partial ACK has arrived in this recovery (the first one resets the timer). */
  readonly partialAcked: boolean;
  /** The retransmission timer has expired since data was last acknowledged: ssthresh holds on another expiry (RFC 5681 §3.1). */
  readonly timedOut: boolean;
}

/** What the sender must do after an event. */
export interface CongestionStep {
  readonly state: CongestionState;
  /** Retransmit the first unacknowledged segment now. */
  readonly retransmit: boolean;
  /** Restart the retransmission timer (RFC 6582 §3.2 step 5, first partial ACK). */
  readonly resetTimer: boolean;
}

/**
 * RFC 5681 §3.1: IW is 4, 3 or 2 segments as SMSS grows. RFC 3390's byte bound,
 * min(4 SMSS, max(2 SMSS, 4380)), gives as many whole segments for SMSS up to 1460 and above
 * 2190, and fewer in between; RFC 5681, the later, is followed.
 */
export function initialWindow(smss: number): number {
  if (smss > IW_THREE_SEGMENTS_MAX_SMSS) return 2 * smss;
  if (smss > IW_FOUR_SEGMENTS_MAX_SMSS) return 3 * smss;
  return 4 * smss;
}

/**
 * The state at the start of a connection whose initial send sequence number is `iss`
 * (RFC 6582 §3.2 step 1: recover = ISS). ssthresh starts "arbitrarily high" (RFC 5681 §3.1):
 * the caller may pass the peer's advertised window instead.
 */
export function initialCongestion(smss: number, iss: number, ssthresh = Number.POSITIVE_INFINITY): CongestionState {
  return { smss, cwnd: initialWindow(smss), ssthresh, dupAcks: 0, recovering: false, recover: iss, partialAcked: false, timedOut: false };
}

/** RFC 5681 §3.1 equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
function reducedSsthresh(s: CongestionState, flightSize: number): number {
  return Math.max(Math.floor(flightSize / 2), 2 * s.smss);
}

const step = (state: CongestionState, retransmit = false, resetTimer = false): CongestionStep => ({ state, retransmit, resetTimer });

/**
 * An ACK that acknowledges new data: everything before `ack`, where `sndUna` was the oldest
 * unacknowledged sequence number and `sndMax` is one past the highest sent.
 */
export function onNewAck(s: CongestionState, sndUna: number, ack: number, sndMax: number): CongestionStep {
  const acked = seqDiff(ack, sndUna);
  if (acked <= 0) return step(s);
  const fresh = { ...s, dupAcks: 0, timedOut: false };
  if (s.recovering) {
    if (seqGt(ack, s.recover)) {
      // RFC 6582 §3.2 step 3, a full ACK: leave recovery with cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), option (1).
      const flightSize = Math.max(0, seqDiff(sndMax, ack));
      return step({ ...fresh, recovering: false, partialAcked: false, cwnd: Math.min(s.ssthresh, Math.max(flightSize, s.smss) + s.smss) });
    }
    // Step 5, a partial ACK: retransmit the next hole, deflate cwnd by what was acked, add back SMSS if that was at least SMSS.
    const cwnd = Math.max(s.smss, s.cwnd - acked + (acked >= s.smss ? s.smss : 0));
    return step({ ...fresh, cwnd, partialAcked: true }, true, !s.partialAcked);
  }
  if (s.cwnd < s.ssthresh) return step({ ...fresh, cwnd: s.cwnd + Math.min(acked, s.smss) }); // slow start, equation (2)
  return step({ ...fresh, cwnd: s.cwnd + Math.max(1, Math.floor((s.smss * s.smss) / s.cwnd)) }); // congestion avoidance, equation (3)
}

/**
 * Whether segment `seg` is a duplicate ACK by RFC 5681 §2's definition: data is outstanding
 * (SND.UNA before `sndMax`, one past the highest sent), it carries no data, neither SYN nor
 * FIN, acknowledges SND.UNA again, and advertises `lastWindow`, the window of the last ACK.
 */
export function isDuplicateAck(seg: Pick<TcpSegment, 'flags' | 'ack' | 'window' | 'payload'>, sndUna: number, sndMax: number, lastWindow: number): boolean {
  return (
    seqGt(sndMax, sndUna) && seg.payload.length === 0 && (seg.flags & (TCP_ACK | TCP_SYN | TCP_FIN)) === TCP_ACK && seg.ack === sndUna && seg.window === lastWindow
  );
}

/**
 * A duplicate ACK (RFC 5681 §2: acks `sndUna` again, no data, no SYN or FIN, the same
 * window, data outstanding); `sndMax` is one past the highest sequence number sent.
 */
export function onDuplicateAck(s: CongestionState, sndUna: number, sndMax: number): CongestionStep {
  const dupAcks = s.dupAcks + 1;
  if (s.recovering) return step({ ...s, dupAcks, cwnd: s.cwnd + s.smss }); // RFC 5681 §3.2 step 4: inflate
  if (dupAcks !== DUPACK_THRESHOLD || !seqGt(sndUna, s.recover)) return step({ ...s, dupAcks }); // RFC 6582 §3.2 step 2: not past recover
  // RFC 5681 §3.2 steps 2 and 3: ssthresh by equation (4), retransmit, cwnd = ssthresh + 3 SMSS; recover = highest sent.
  const ssthresh = reducedSsthresh(s, seqDiff(sndMax, sndUna));
  return step({ ...s, dupAcks, ssthresh, cwnd: ssthresh + DUPACK_THRESHOLD * s.smss, recovering: true, recover: seqAdd(sndMax, -1), partialAcked: false }, true);
}

/**
 * The retransmission timer expired (RFC 5681 §3.1, RFC 6582 §3.2 step 4): cwnd to the loss
 * window of one SMSS, ssthresh by equation (4) unless the timer already expired for this
 * data, leave recovery, and recover = the highest sequence number sent.
 */
export function onRetransmitTimeout(s: CongestionState, sndUna: number, sndMax: number): CongestionState {
  const ssthresh = s.timedOut ? s.ssthresh : reducedSsthresh(s, seqDiff(sndMax, sndUna));
  return { ...s, ssthresh, cwnd: s.smss, dupAcks: 0, recovering: false, partialAcked: false, recover: seqAdd(sndMax, -1), timedOut: true };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ initialWindow, initialCongestion, onNewAck, isDuplicateAck, onDuplicateAck, onRetransmitTimeout });
