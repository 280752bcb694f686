// The transmission control block (RFC 9293 §3.3.1): everything one connection remembers, as
// one plain record, and the small facts read off it. The connection's operations are the
// functions of arrival.ts (a segment arrives), output.ts (what to send) and timers.ts (the
// clock), each over a Tcb; connection.ts is the API around them.

import type { CongestionState } from './congestion.js';
import type { ReceiveQueue } from './receive-queue.js';
import { initialRto, type RtoParams, type RtoState } from './rto.js';
import type { TcpHeaderFields } from './segment.js';
import { seqAdd, seqGt } from './seq.js';

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

export interface Tcb {
  readonly p: ConnectionParams;
  state: TcpState;
  abortReason: TcpAbortReason | undefined;
  remotePort: number;
  readonly iss: number;
  // Send side. sndMax is one past the highest sequence number ever sent: after a timeout
  // SND.NXT goes back to SND.UNA, and ACKs up to sndMax stay acceptable.
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd: number;
  sndWl1: number;
  sndWl2: number;
  sndMss: number;
  /** Unacknowledged and unsent data, the byte at buf[0] having sequence number bufSeq. */
  readonly buf: Uint8Array;
  bufLen: number;
  bufSeq: number;
  /** close() was called: a FIN follows the buffered data, at dataEnd. */
  finQueued: boolean;
  // Receive side.
  rq: ReceiveQueue | undefined;
  finReceived: boolean;
  /** The sequence number of the peer's FIN, once seen (it may arrive past a hole). */
  peerFinSeq: number | undefined;
  /** Data delivered in order and not yet read, and its length. */
  delivered: Uint8Array[];
  deliveredBytes: number;
  // Timers and control.
  rto: RtoState;
  cc: CongestionState | undefined;
  rtxDeadline: number | undefined;
  timeWaitDeadline: number | undefined;
  timeoutsInARow: number;
  /** An ACK is owed now. */
  ackNow: boolean;
  /** Delayed ACK: in-order segments not yet acknowledged, and when their ACK is due. */
  unackedSegments: number;
  ackDeadline: number | undefined;
  /** Persist timer: when the next zero-window probe goes, and probes sent in a row. */
  persistDeadline: number | undefined;
  probesInARow: number;
  /** Segments to transmit, oldest first. */
  outbox: OutSegment[];
  readonly counts: { segmentsSent: number; timeouts: number; fastRetransmits: number; retransmittedSegments: number };
}

export function newTcb(p: ConnectionParams): Tcb {
  const iss = p.iss >>> 0;
  return {
    p, state: 'CLOSED', abortReason: undefined, remotePort: p.remotePort ?? 0, iss,
    sndUna: iss, sndNxt: iss, sndMax: iss, sndWnd: 0, sndWl1: 0, sndWl2: 0, sndMss: TCP_DEFAULT_MSS,
    buf: new Uint8Array(p.sendBuffer), bufLen: 0, bufSeq: seqAdd(iss, 1), finQueued: false,
    rq: undefined, finReceived: false, peerFinSeq: undefined, delivered: [], deliveredBytes: 0,
    rto: initialRto(p.rto), cc: undefined, rtxDeadline: undefined, timeWaitDeadline: undefined, timeoutsInARow: 0,
    ackNow: false, unackedSegments: 0, ackDeadline: undefined, persistDeadline: undefined, probesInARow: 0,
    outbox: [], counts: { segmentsSent: 0, timeouts: 0, fastRetransmits: 0, retransmittedSegments: 0 },
  };
}

/** RCV.NXT, the peer's FIN counted. */
export const rcvNxt = (t: Tcb): number => seqAdd(t.rq!.rcvNxt, t.finReceived ? 1 : 0);

/** States in which arriving data is taken (RFC 9293 §3.10.7.4, seventh). */
export const receiving = (t: Tcb): boolean => t.state === 'ESTABLISHED' || t.state === 'FIN-WAIT-1' || t.state === 'FIN-WAIT-2';

/** One past the last byte of buffered data: where the FIN goes. */
export const dataEnd = (t: Tcb): number => seqAdd(t.bufSeq, t.bufLen);

export const synAcked = (t: Tcb): boolean => seqGt(t.sndUna, t.iss);

/** Nothing more to send or acknowledge: the retransmission, persist and delayed-ACK timers stop. */
export function stopTimers(t: Tcb): void {
  t.rtxDeadline = t.persistDeadline = t.ackDeadline = undefined;
}

export function abort(t: Tcb, reason: TcpAbortReason): void {
  t.state = 'CLOSED';
  t.abortReason = reason;
  stopTimers(t);
  t.timeWaitDeadline = undefined;
  t.bufLen = 0;
}

export function enterTimeWait(t: Tcb, now: number): void {
  t.state = 'TIME-WAIT';
  stopTimers(t);
  t.timeWaitDeadline = now + t.p.timeWait;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newTcb, rcvNxt, receiving, dataEnd, synAcked, stopTimers, abort, enterTimeWait });
