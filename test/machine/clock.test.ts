// The event queue: order by cycle, documented tie-breaking, cancellation, big cycle counts.

import { describe, expect, it } from 'vitest';
import { Clock } from '../../emulator/machine/clock.js';
import { Prng, PrngFactory } from '../../emulator/machine/prng.js';

describe('Clock', () => {
  it('fires events in cycle order and sets now to each event time', () => {
    const clock = new Clock();
    const src = clock.source('a');
    const seen: [string, number][] = [];
    src.at(30, () => seen.push(['c', clock.now]));
    src.at(10, () => seen.push(['a', clock.now]));
    src.at(20, () => seen.push(['b', clock.now]));
    clock.runUntil(25);
    expect(seen).toEqual([['a', 10], ['b', 20]]);
    expect(clock.now).toBe(25);
    expect(clock.nextAt).toBe(30);
    clock.runUntilIdle();
    expect(seen.at(-1)).toEqual(['c', 30]);
  });

  it('breaks ties by source rank (creation order), then by the order one source scheduled them', () => {
    const clock = new Clock();
    const first = clock.source('first');
    const second = clock.source('second');
    const order: string[] = [];
    second.at(5, () => order.push('second-1'));
    first.at(5, () => order.push('first-1'));
    second.at(5, () => order.push('second-2'));
    first.at(5, () => order.push('first-2'));
    clock.runUntil(5);
    expect(order).toEqual(['first-1', 'first-2', 'second-1', 'second-2']);
  });

  it('an event scheduled for the current cycle by an event fires in the same catch-up', () => {
    const clock = new Clock();
    const src = clock.source('s');
    const order: number[] = [];
    src.at(10, () => {
      order.push(1);
      src.after(0, () => order.push(2));
      src.after(3, () => order.push(3));
    });
    clock.runUntil(13);
    expect(order).toEqual([1, 2, 3]);
  });

  it('cancelled events do not fire; step fires one at a time', () => {
    const clock = new Clock();
    const src = clock.source('s');
    let n = 0;
    const ev = src.at(1, () => n++);
    src.at(2, () => (n += 10));
    clock.cancel(ev);
    expect(clock.step()).toBe(true);
    expect(n).toBe(0);
    expect(clock.step()).toBe(true);
    expect(n).toBe(10);
    expect(clock.step()).toBe(false);
  });

  it('refuses events in the past, non-integer cycles and duplicate source names', () => {
    const clock = new Clock();
    const src = clock.source('s');
    clock.runUntil(100);
    expect(() => src.at(99, () => {})).toThrow(/in the past/);
    expect(() => src.at(100.5, () => {})).toThrow(/not an integer/);
    expect(() => clock.source('s')).toThrow(/already exists/);
  });

  it('counts cycles past 2^32 exactly', () => {
    const clock = new Clock();
    const src = clock.source('s');
    const big = 2 ** 32 + 7;
    let at = 0;
    src.at(big, () => (at = clock.now));
    src.at(2 ** 40, () => {});
    clock.runUntil(big);
    expect(at).toBe(big);
    clock.runUntilIdle();
    expect(clock.now).toBe(2 ** 40);
  });
});

describe('Prng', () => {
  it('is a pure function of seed and stream name, streams independent', () => {
    const a = new PrngFactory(42).stream('wire');
    const b = new PrngFactory(42).stream('wire');
    const seqA = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(seqA);
    expect(new Set(seqA).size).toBe(5);
    const s1 = new Prng(42, 'wire');
    const s2 = new Prng(42, 'faults');
    const s3 = new Prng(43, 'wire');
    const v1 = [s1.nextU32(), s1.nextU32()];
    expect([s2.nextU32(), s2.nextU32()]).not.toEqual(v1);
    expect([s3.nextU32(), s3.nextU32()]).not.toEqual(v1);
  });

  it('below() stays in range and covers it', () => {
    const p = new Prng(7, 'x');
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = p.below(10);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(10);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
    expect(() => p.below(0)).toThrow(RangeError);
  });
});

describe('Clock pooled events', () => {
  it('post() events fire in the same documented order as handles, and records are recycled', () => {
    const clock = new Clock();
    const a = clock.source('a');
    const b = clock.source('b');
    const order: string[] = [];
    b.post(5, () => order.push('b-post'));
    a.at(5, () => order.push('a-at'));
    a.post(5, () => order.push('a-post'));
    a.post(4, () => order.push('a-early'));
    clock.runUntil(5);
    expect(order).toEqual(['a-early', 'a-at', 'a-post', 'b-post']);
    expect(clock.pool.length).toBe(3);
    a.post(9, () => order.push('reused'));
    expect(clock.pool.length).toBe(2);
    clock.runUntilIdle();
    expect(order.at(-1)).toBe('reused');
    expect(() => a.post(1, () => {})).toThrow(/in the past/);
  });

  it('runUntil and runUntilIdle return on an empty queue', () => {
    const clock = new Clock();
    clock.source('s').at(7, () => {});
    clock.runUntil(Infinity);
    expect(clock.now).toBe(7);
    expect(clock.runUntilIdle()).toBe(7);
  });
  it('events scheduled far ahead and near ones fire in one order: cycle, rank, then scheduling order', () => {
    // Events scheduled 2^20 cycles or more ahead wait in a heap of their own (clock.ts FAR_AHEAD):
    // here the far ones are scheduled first, the near ones once the clock has come close, and
    // ties at the same cycle cross the two heaps.
    const clock = new Clock();
    const a = clock.source('a');
    const b = clock.source('b');
    const order: string[] = [];
    const far = 2 ** 21;
    b.at(far, () => order.push('b-far'));
    a.at(far + 5, () => order.push('a-far+5'));
    const dropped = a.at(far - 1, () => order.push('never'));
    a.at(far, () => order.push('a-far'));
    clock.cancel(dropped);
    expect(clock.nextAt).toBe(far - 1); // a cancelled event still counts as pending until it comes up
    clock.runUntil(far - 10);
    a.after(10, () => order.push('a-near'));
    b.after(5, () => order.push('b-near+5'));
    b.after(10, () => order.push('b-near'));
    expect(clock.pending).toBe(7);
    clock.runUntilIdle();
    expect(order).toEqual(['b-near+5', 'a-far', 'a-near', 'b-far', 'b-near', 'a-far+5']);
    expect(clock.fired).toBe(6);
    expect(clock.nextAt).toBe(Infinity);
  });
});
