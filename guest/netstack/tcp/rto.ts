// The retransmission timeout (RFC 6298): the smoothed round-trip time SRTT, its variation
// RTTVAR and the timeout RTO computed from them, one RTT measurement at a time, with Karn's
// rule (no sample from a retransmitted segment) and exponential backoff on each expiry.
// Time is CPU cycles here, so the RFC's seconds become parameters in cycles; rfc6298Params
// gives the RFC's values for a clock rate. Pure: each step returns a new state.

import { seqGe } from './seq.js';

/** RFC 6298 §2: the gains alpha = 1/8 and beta = 1/4, and K = 4. */
export const RTT_ALPHA = 1 / 8;
export const RTT_BETA = 1 / 4;
export const RTO_K = 4;
/** RFC 6298 §2.1: RTO is 1 second before any measurement. */
export const RTO_INITIAL_SECONDS = 1;
/** RFC 6298 §2.4: an RTO below 1 second SHOULD be rounded up to 1 second. */
export const RTO_MIN_SECONDS = 1;
/** RFC 6298 §2.5: a maximum may be placed on RTO provided it is at least 60 seconds. */
export const RTO_MAX_SECONDS = 60;

export interface RtoParams {
  /** RTO before the first measurement, in cycles. */
  readonly initial: number;
  /** The smallest RTO, in cycles. */
  readonly min: number;
  /** The largest RTO, after any backoff, in cycles. */
  readonly max: number;
  /** G, the clock granularity, in cycles: the least RTO - SRTT. */
  readonly granularity: number;
}

/** RFC 6298's values for a clock of `cyclesPerSecond`, with clock granularity `granularity` cycles. */
export function rfc6298Params(cyclesPerSecond: number, granularity = 1): RtoParams {
  return { initial: RTO_INITIAL_SECONDS * cyclesPerSecond, min: RTO_MIN_SECONDS * cyclesPerSecond, max: RTO_MAX_SECONDS * cyclesPerSecond, granularity };
}

/** A measurement in progress: the segment ending before `endSeq`, sent at cycle `sentAt`. */
export interface RttTiming {
  readonly endSeq: number;
  readonly sentAt: number;
}

export interface RtoState {
  /** SRTT and RTTVAR in cycles; undefined before the first measurement. */
  readonly srtt: number | undefined;
  readonly rttvar: number | undefined;
  /** The current timeout in cycles, backoff included. */
  readonly rto: number;
  /** Expiries since the last measurement. */
  readonly backoffs: number;
  readonly timing: RttTiming | undefined;
}

export function initialRto(p: RtoParams): RtoState {
  return { srtt: undefined, rttvar: undefined, rto: clampRto(p.initial, p), backoffs: 0, timing: undefined };
}

function clampRto(rto: number, p: RtoParams): number {
  return Math.min(p.max, Math.max(p.min, Math.ceil(rto)));
}

/** RFC 6298 §2.2 (first measurement) and §2.3 (later ones): fold RTT sample `r` cycles in. */
export function rttSample(s: RtoState, r: number, p: RtoParams): RtoState {
  const rttvar = s.srtt === undefined || s.rttvar === undefined ? r / 2 : (1 - RTT_BETA) * s.rttvar + RTT_BETA * Math.abs(s.srtt - r);
  const srtt = s.srtt === undefined ? r : (1 - RTT_ALPHA) * s.srtt + RTT_ALPHA * r;
  return { srtt, rttvar, rto: clampRto(srtt + Math.max(p.granularity, RTO_K * rttvar), p), backoffs: 0, timing: undefined };
}

/**
 * A segment ending before `endSeq` is sent at cycle `now`. A first transmission starts a
 * measurement when none is in progress; a retransmission ends the one in progress
 * (RFC 6298 §3, Karn's rule: its ACK could be for either transmission).
 */
export function rtoOnSend(s: RtoState, endSeq: number, now: number, retransmission: boolean): RtoState {
  if (retransmission) return s.timing ? { ...s, timing: undefined } : s;
  return s.timing ? s : { ...s, timing: { endSeq, sentAt: now } };
}

/** An ACK of everything before `ack` arrives at cycle `now`: a sample when it covers the timed segment. */
export function rtoOnAck(s: RtoState, ack: number, now: number, p: RtoParams): RtoState {
  if (!s.timing || !seqGe(ack, s.timing.endSeq)) return s;
  const r = now - s.timing.sentAt;
  return r >= 0 ? rttSample(s, r, p) : { ...s, timing: undefined };
}

/**
 * The timer expired (RFC 6298 §5.5): back off, RTO doubled up to the maximum, and end the
 * measurement in progress (what is sent next is a retransmission). The backed-off RTO stays
 * until a new sample (Karn's algorithm).
 */
export function rtoOnTimeout(s: RtoState, p: RtoParams): RtoState {
  return { ...s, rto: Math.min(p.max, s.rto * 2), backoffs: s.backoffs + 1, timing: undefined };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ rfc6298Params, initialRto, rttSample, rtoOnSend, rtoOnAck, rtoOnTimeout });
