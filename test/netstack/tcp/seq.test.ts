// Sequence-number arithmetic (guest/netstack/tcp/seq.ts): comparisons and windows across the
// 2^32 wrap, RFC 9293 §3.4's acceptability table, and properties against a BigInt model.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentAcceptable, seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqInWindow, seqLe, seqLt } from '../../../guest/netstack/tcp/seq.js';

const TOP = 0xffff_ffff;

describe('sequence arithmetic', () => {
  it('adds and subtracts modulo 2^32', () => {
    expect(seqAdd(TOP, 1)).toBe(0);
    expect(seqAdd(TOP - 9, 20)).toBe(10);
    expect(seqAdd(5, -10)).toBe(TOP - 4);
    expect(seqDiff(10, TOP - 9)).toBe(20);
    expect(seqDiff(TOP - 9, 10)).toBe(-20);
    expect(seqDiff(7, 7)).toBe(0);
  });

  it('orders numbers across the wrap', () => {
    expect(seqLt(TOP, 0)).toBe(true);
    expect(seqGt(0, TOP)).toBe(true);
    expect(seqLt(TOP - 100, 100)).toBe(true);
    expect(seqLe(5, 5) && seqGe(5, 5)).toBe(true);
    expect(seqLt(5, 5) || seqGt(5, 5)).toBe(false);
    expect(seqLt(100, TOP - 100)).toBe(false);
    expect(seqGe(100, TOP - 100)).toBe(true);
  });

  it('tests windows across the wrap', () => {
    expect(seqInWindow(TOP, TOP - 1, 4)).toBe(true);
    expect(seqInWindow(1, TOP - 1, 4)).toBe(true);
    expect(seqInWindow(2, TOP - 1, 4)).toBe(false);
    expect(seqInWindow(TOP - 2, TOP - 1, 4)).toBe(false);
    expect(seqInWindow(5, 5, 0)).toBe(false);
    expect(seqInRange(0, TOP, 0)).toBe(true);
    expect(seqInRange(TOP, TOP, 0)).toBe(false);
    expect(seqInRange(1, TOP, 0)).toBe(false);
  });

  it('applies RFC 9293 §3.4 segment acceptability, near the wrap', () => {
    const nxt = TOP - 1;
    expect(segmentAcceptable(nxt, 0, nxt, 0)).toBe(true); // empty segment, zero window: only RCV.NXT
    expect(segmentAcceptable(seqAdd(nxt, 1), 0, nxt, 0)).toBe(false);
    expect(segmentAcceptable(seqAdd(nxt, 3), 0, nxt, 4)).toBe(true);
    expect(segmentAcceptable(seqAdd(nxt, 4), 0, nxt, 4)).toBe(false);
    expect(segmentAcceptable(nxt, 1, nxt, 0)).toBe(false); // data never fits a zero window
    expect(segmentAcceptable(seqAdd(nxt, -5), 6, nxt, 4)).toBe(true); // ends in the window
    expect(segmentAcceptable(seqAdd(nxt, -5), 5, nxt, 4)).toBe(false); // an old duplicate
    expect(segmentAcceptable(seqAdd(nxt, 3), 100, nxt, 4)).toBe(true); // starts in the window
    expect(segmentAcceptable(seqAdd(nxt, 4), 100, nxt, 4)).toBe(false);
  });

  it('agrees with exact modular arithmetic for distances below 2^31', () => {
    const seq = fc.integer({ min: 0, max: TOP });
    const dist = fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(seq, dist, (a, d) => {
        const b = Number((BigInt(a) + BigInt(d)) & 0xffff_ffffn);
        expect(seqAdd(a, d)).toBe(b);
        expect(seqDiff(b, a)).toBe(d);
        expect(seqLt(a, b)).toBe(d > 0);
        expect(seqGt(a, b)).toBe(d < 0);
        expect(seqLe(a, b) && seqGe(a, b)).toBe(d === 0);
      }),
    );
  });

  it('puts x in [start, start + len) exactly when its offset from start is below len', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TOP }), fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: -(2 ** 20), max: 2 ** 21 }), (start, len, off) => {
        expect(seqInWindow(seqAdd(start, off), start, len)).toBe(off >= 0 && off < len);
      }),
    );
  });
});
