// The out-of-order receive queue (guest/netstack/tcp/receive-queue.ts): ordering, trimming of
// duplicates, overlaps and out-of-window data, sequence numbers wrapping past 2^32, the window
// and its silly window avoidance; properties: any arrival order with duplicates and overlaps
// reassembles exactly the original stream, and the right edge never moves left.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReceiveQueue } from '../../../guest/netstack/tcp/receive-queue.js';
import { seqAdd, seqGe } from '../../../guest/netstack/tcp/seq.js';

const bytes = (from: number, to: number) => Uint8Array.from({ length: to - from }, (_, i) => (from + i) & 0xff);
const list = (b: Uint8Array) => Array.from(b);

describe('ordering', () => {
  it('delivers in-order data at once and holds data past a hole until the hole fills', () => {
    const q = new ReceiveQueue(1000, 10_000, 1000);
    expect(list(q.insert(1000, bytes(0, 10)))).toEqual(list(bytes(0, 10)));
    expect(q.rcvNxt).toBe(1010);
    expect(q.insert(1030, bytes(30, 40)).length).toBe(0);
    expect(q.insert(1020, bytes(20, 30)).length).toBe(0);
    expect(q.heldBytes).toBe(20);
    expect(list(q.insert(1010, bytes(10, 20)))).toEqual(list(bytes(10, 40)));
    expect(q).toMatchObject({ rcvNxt: 1040, heldBytes: 0, unconsumed: 40 });
  });

  it('across the 2^32 wrap', () => {
    const start = 0xffff_fff0;
    const q = new ReceiveQueue(start, 10_000, 1000);
    expect(q.insert(seqAdd(start, 20), bytes(20, 40)).length).toBe(0); // sequence numbers 4..23
    expect(q.insert(seqAdd(start, 10), bytes(10, 20)).length).toBe(0); // 0xfffffffa..3
    expect(list(q.insert(start, bytes(0, 10)))).toEqual(list(bytes(0, 40)));
    expect(q.rcvNxt).toBe(24);
  });

  it('copies what it holds: the caller may reuse its buffer', () => {
    const q = new ReceiveQueue(0, 100, 10);
    const frame = bytes(5, 10);
    q.insert(5, frame);
    frame.fill(0xee);
    expect(list(q.insert(0, bytes(0, 5)))).toEqual(list(bytes(0, 10)));
  });
});

describe('trimming', () => {
  it('drops duplicates and old data, and keeps only the new part of an overlap', () => {
    const q = new ReceiveQueue(100, 10_000, 1000);
    q.insert(100, bytes(0, 10));
    expect(q.insert(100, bytes(0, 10)).length).toBe(0); // a full duplicate of delivered data
    expect(q.insert(95, bytes(0, 5)).length).toBe(0); // before RCV.NXT
    expect(list(q.insert(105, bytes(5, 15)))).toEqual(list(bytes(10, 15))); // half old
    q.insert(120, bytes(20, 30));
    q.insert(125, bytes(25, 35)); // overlaps the held segment's end
    q.insert(118, bytes(18, 32)); // covers it and more on both sides
    expect(q.heldBytes).toBe(35 - 18);
    expect(list(q.insert(115, bytes(15, 18)))).toEqual(list(bytes(15, 35)));
  });

  it('keeps the first copy it held when a later one disagrees', () => {
    const q = new ReceiveQueue(0, 100, 10);
    q.insert(5, bytes(5, 10));
    q.insert(5, new Uint8Array(5).fill(0xee));
    expect(list(q.insert(0, bytes(0, 5)))).toEqual(list(bytes(0, 10)));
  });

  it('trims to the receive window and drops what lies past it', () => {
    const q = new ReceiveQueue(0xffff_ff00, 100, 50);
    expect(q.window).toBe(100);
    expect(q.insert(seqAdd(0xffff_ff00, 100), bytes(0, 10)).length).toBe(0);
    expect(q.heldBytes).toBe(0);
    expect(q.insert(seqAdd(0xffff_ff00, 90), bytes(90, 120)).length).toBe(0);
    expect(q.heldBytes).toBe(10);
    expect(q.insert(0xffff_ff00, bytes(0, 200)).length).toBe(100);
    expect(q).toMatchObject({ window: 0, rcvNxt: 0xffff_ff64, unconsumed: 100 });
    expect(q.insert(0xffff_ff64, bytes(0, 1)).length).toBe(0); // a zero window takes nothing
  });
});

describe('the advertised window', () => {
  it('shrinks as data is delivered and opens when the application consumes it', () => {
    const q = new ReceiveQueue(0, 4000, 1000);
    q.insert(0, bytes(0, 3000));
    expect(q.advertise()).toBe(1000);
    q.insert(3500, bytes(0, 200)); // held data lies inside the window and does not shrink it
    expect(q.advertise()).toBe(1000);
    q.consume(3000);
    expect(q.advertise()).toBe(4000);
  });

  it('avoids silly windows: opens only by min(buffer / 2, MSS) or more', () => {
    const q = new ReceiveQueue(0, 4000, 1000);
    q.insert(0, bytes(0, 4000));
    expect(q.advertise()).toBe(0);
    q.consume(999);
    expect(q.advertise()).toBe(0);
    q.consume(1);
    expect(q.advertise()).toBe(1000);
    const small = new ReceiveQueue(0, 600, 1460); // the buffer's half is the smaller bound
    small.insert(0, bytes(0, 600));
    small.consume(299);
    expect(small.advertise()).toBe(0);
    small.consume(1);
    expect(small.advertise()).toBe(300);
  });

  it('never advertises more than the window field holds, and still opens under it', () => {
    const q = new ReceiveQueue(0, 1 << 20, 1460);
    expect(q.advertise()).toBe(0xffff);
    const narrow = new ReceiveQueue(0, 1000, 1000, 100);
    narrow.insert(0, bytes(0, 100));
    narrow.consume(100);
    expect(narrow.advertise()).toBe(100);
  });
});

describe('properties', () => {
  /** A stream and segments covering it: the cuts of a partition, plus overlapping extra pieces. */
  const arrivals = fc.integer({ min: 1, max: 3000 }).chain((length) =>
    fc.record({
      start: fc.integer({ min: 0, max: 0xffff_ffff }),
      stream: fc.uint8Array({ minLength: length, maxLength: length }),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 40 }),
      extras: fc.array(fc.tuple(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 1, max: 400 })), { maxLength: 30 }),
      order: fc.array(fc.nat(), { maxLength: 200 }),
    }),
  );

  type Case = { start: number; stream: Uint8Array; cuts: number[]; extras: [number, number][]; order: number[] };
  const segmentsOf = ({ stream, cuts, extras }: Case): [number, number][] => {
    const edges = [0, ...cuts.filter((c) => c < stream.length).sort((a, b) => a - b), stream.length];
    return [...edges.slice(1).map((e, i): [number, number] => [edges[i]!, e]), ...extras.map(([a, n]): [number, number] => [a, Math.min(stream.length, a + n)])];
  };
  /** Arrivals in the order the case picks, with repeats, then every segment once more: all the stream was sent. */
  const schedule = (c: Case, segments: [number, number][]) => [...c.order.map((i) => segments[i % segments.length]!), ...segments];

  it('random arrivals in any order, with duplicates and overlaps, reassemble exactly the stream', () => {
    fc.assert(
      fc.property(arrivals, (c) => {
        const q = new ReceiveQueue(c.start, c.stream.length, 536);
        const out: number[] = [];
        for (const [a, b] of schedule(c, segmentsOf(c))) out.push(...q.insert(seqAdd(c.start, a), c.stream.subarray(a, b)));
        expect(out).toEqual(list(c.stream));
        expect(q).toMatchObject({ rcvNxt: seqAdd(c.start, c.stream.length), heldBytes: 0 });
      }),
    );
  });

  it('through a small window, consumed as it goes, the stream still comes out whole; the right edge never moves left', () => {
    fc.assert(
      fc.property(arrivals, fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 1460 }), (c, capacity, mss) => {
        const q = new ReceiveQueue(c.start, capacity, mss);
        const segments = segmentsOf(c);
        const out: number[] = [];
        let edge = seqAdd(q.rcvNxt, q.window);
        const take = ([a, b]: [number, number]) => {
          const got = q.insert(seqAdd(c.start, a), c.stream.subarray(a, b));
          out.push(...got);
          expect(q.heldBytes + q.unconsumed).toBeLessThanOrEqual(capacity);
          q.consume(got.length);
          q.advertise();
          const now = seqAdd(q.rcvNxt, q.window);
          expect(seqGe(now, edge)).toBe(true);
          edge = now;
        };
        c.order.forEach((i) => take(segments[i % segments.length]!));
        for (let round = 0; out.length < c.stream.length && round <= c.stream.length; round++) segments.forEach(take);
        expect(out).toEqual(list(c.stream));
      }),
    );
  });
});
