// TCP sequence-number arithmetic (RFC 9293 §3.4): sequence numbers live in a space of 2^32
// and wrap, so every comparison is made on the signed 32-bit difference, never on the raw
// numbers. Two numbers exactly 2^31 apart have no defined order; no window may be that big.

/** RFC 9293 §3.4: "the sequence number space ranges from 0 to 2^32 - 1". */
export const SEQ_SPACE = 2 ** 32;

/** `a + n` in sequence space (`n` may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance from `b` to `a`, `a - b`, in [-2^31, 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** Whether `start <= x < start + length` in sequence space (`length` in [0, 2^32)). */
export function seqInWindow(x: number, start: number, length: number): boolean {
  return ((x - start) >>> 0) < length;
}

/** Whether `low < x <= high`: RFC 9293 §3.4's test for an acceptable ACK, SND.UNA < SEG.ACK =< SND.NXT. */
export function seqInRange(x: number, low: number, high: number): boolean {
  return seqGt(x, low) && seqLe(x, high);
}

/**
 * RFC 9293 §3.4's acceptability test for an arriving segment occupying `segLength` sequence
 * numbers (data plus SYN and FIN) from `segSeq`, against the receive window RCV.NXT, RCV.WND:
 * a zero-length segment must fall in the window (or be exactly RCV.NXT when the window is
 * zero); a segment with data must start or end in the window, and is never acceptable in a
 * zero window.
 */
export function segmentAcceptable(segSeq: number, segLength: number, rcvNxt: number, rcvWnd: number): boolean {
  if (segLength === 0) return rcvWnd === 0 ? segSeq === rcvNxt : seqInWindow(segSeq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return false;
  return seqInWindow(segSeq, rcvNxt, rcvWnd) || seqInWindow(seqAdd(segSeq, segLength - 1), rcvNxt, rcvWnd);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ seqAdd, seqDiff, seqLt, seqLe, seqGt, seqGe, seqInWindow, seqInRange, segmentAcceptable });
