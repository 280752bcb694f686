// The session ring library (guest/session/): layout, free-running SPSC rings over shared
// memory, and the driver's validation of everything a stack writes. Model-based and hostile
// fast-check properties; nothing a stack writes may make the driver side throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuestCode } from '../../guest/kernel/api/context.js';
import { checkGeometry, ENTRY_BYTES, INFO_RX_BUFFERS, MAX_RING_SIZE, PAGE_BYTES, regionPages, RX_DELIVER, RX_FILL, TX_DONE, TX_SUBMIT } from '../../guest/session/layout.js';
import { ByteMemory, ByteMemoryFault } from '../../guest/session/memory.js';
import { reasonOfTxStatus, REJECT_REASONS, txStatusOf } from '../../guest/session/reasons.js';
import { RingReader, RingWriter } from '../../guest/session/ring.js';
import { driverRings, stackRings } from '../../guest/session/sides.js';
import { checkFillEntry, checkTxEntry } from '../../guest/session/validate.js';

const BASE = 0x40_0000;
const page = () => new ByteMemory(new Uint8Array(PAGE_BYTES), BASE);

/** Run ring code over a ByteMemory to its result: that memory never yields (it has no CPU to give back). */
function sync<T>(code: GuestCode<T>): T {
  const r = code.next();
  if (!r.done) throw new Error('ring code over a ByteMemory yielded');
  return r.value;
}

describe('layout', () => {
  it('puts the four rings and the info words in the control page without overlap', () => {
    const spans = [TX_SUBMIT, TX_DONE, RX_FILL, RX_DELIVER].map((r) => [r.entriesOffset, r.entriesOffset + MAX_RING_SIZE * ENTRY_BYTES] as const);
    for (const [a, b] of spans) {
      expect(a).toBeGreaterThan(INFO_RX_BUFFERS);
      expect(b).toBeLessThanOrEqual(PAGE_BYTES);
    }
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    const idx = [TX_SUBMIT, TX_DONE, RX_FILL, RX_DELIVER].flatMap((r) => [r.prodOffset, r.consOffset]);
    expect(new Set(idx).size).toBe(8);
  });

  it('checks a geometry with clear reasons', () => {
    expect(checkGeometry({ ringSize: 8, txPages: 2, rxBuffers: 8 }, 64)).toBeUndefined();
    expect(checkGeometry({ ringSize: 6, txPages: 2, rxBuffers: 8 }, 64)).toMatch(/power of two/);
    expect(checkGeometry({ ringSize: 64, txPages: 2, rxBuffers: 8 }, 64)).toMatch(/power of two/);
    expect(checkGeometry({ ringSize: 8, txPages: 0, rxBuffers: 8 }, 64)).toMatch(/transmit/);
    expect(checkGeometry({ ringSize: 8, txPages: 1, rxBuffers: 1.5 }, 64)).toMatch(/receive/);
    expect(checkGeometry({ ringSize: 8, txPages: 40, rxBuffers: 40 }, 64)).toMatch(/at most 64/);
    expect(regionPages({ ringSize: 8, txPages: 2, rxBuffers: 8 })).toBe(11);
  });

  it('ByteMemory faults outside its bytes instead of reading garbage', () => {
    const m = page();
    expect(() => sync(m.load32(BASE - 4))).toThrow(ByteMemoryFault);
    expect(() => sync(m.store32(BASE + PAGE_BYTES - 2, 1))).toThrow(ByteMemoryFault);
    sync(m.store32(BASE + 8, 0xdeadbeef));
    expect(sync(m.load32(BASE + 8))).toBe(0xdeadbeef);
    expect(m.bytes[8]).toBe(0xef); // little-endian, like x86
  });
});

describe('rings', () => {
  it('carries entries in order across the 2^32 wrap of the free-running indexes', () => {
    const m = page();
    const start = 0xffff_fffa;
    sync(m.store32(BASE + TX_SUBMIT.prodOffset, start));
    sync(m.store32(BASE + TX_SUBMIT.consOffset, start));
    const w = new RingWriter(m, BASE, TX_SUBMIT, 4, start);
    const r = new RingReader(m, BASE, TX_SUBMIT, 4, start);
    let next = 0;
    for (let round = 0; round < 5; round++) {
      const sp = sync(w.space());
      expect(sp).toBe(4);
      for (let i = 0; i < 3; i++) sync(w.put([next + i, 0, 0, 0]));
      expect(sync(r.poll())).toBe(3);
      for (let i = 0; i < 3; i++) expect(sync(r.take())![0]).toBe(next++);
      expect(sync(r.take())).toBeUndefined();
    }
    expect(w.index).toBe((start + 15) >>> 0);
    expect(r.index).toBe(w.index);
  });

  it('property: any interleaving of puts and takes behaves as a bounded FIFO queue', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8, 32), fc.integer({ min: 0, max: 0xffffffff }), fc.array(fc.oneof(fc.constant('put' as const), fc.constant('take' as const), fc.constant('poll' as const)), { maxLength: 200 }), (size, start, ops) => {
        const m = page();
        sync(m.store32(BASE + RX_FILL.prodOffset, start));
        sync(m.store32(BASE + RX_FILL.consOffset, start));
        const w = new RingWriter(m, BASE, RX_FILL, size, start);
        const r = new RingReader(m, BASE, RX_FILL, size, start);
        const model: number[] = [];
        let seq = 0;
        let polled = 0;
        for (const op of ops) {
          if (op === 'put') {
            const sp = sync(w.space());
            expect(sp).toBe(size - model.length);
            if (sp !== 'index-jump' && sp > 0) {
              sync(w.put([seq, seq * 3, 0, 0]));
              model.push(seq++);
            }
          } else if (op === 'poll') {
            polled = sync(r.poll()) as number;
            expect(polled).toBe(model.length);
          } else {
            const e = sync(r.take());
            if (polled === 0) expect(e).toBeUndefined();
            else {
              polled--;
              const want = model.shift()!;
              expect(e).toEqual([want, want * 3, 0, 0]);
            }
          }
        }
      }),
    );
  });

  it('property: a hostile producer index is an index-jump exactly when it claims more than the ring holds, and never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 4, 16, 32), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (size, start, prod) => {
        const m = page();
        const r = new RingReader(m, BASE, TX_SUBMIT, size, start);
        sync(m.store32(BASE + TX_SUBMIT.prodOffset, prod));
        const n = sync(r.poll());
        const claimed = (prod - start) >>> 0;
        if (claimed > size) {
          expect(n).toBe('index-jump');
          expect(sync(r.take())).toBeUndefined();
        } else {
          expect(n).toBe(claimed);
          for (let i = 0; i < claimed; i++) expect(sync(r.take())).toBeDefined();
          expect(sync(r.take())).toBeUndefined();
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never trusts its own index in shared memory, and reads each entry once (a rewrite after the take changes nothing)', () => {
    const m = page();
    const w = new RingWriter(m, BASE, TX_SUBMIT, 8);
    const r = new RingReader(m, BASE, TX_SUBMIT, 8);
    sync(w.put([1, 2, 3, 4]));
    sync(w.put([5, 6, 7, 8]));
    expect(sync(r.poll())).toBe(2);
    const first = sync(r.take())!;
    sync(m.store32(BASE + TX_SUBMIT.consOffset, 12345)); // scribbled by the stack
    sync(m.store32(BASE + TX_SUBMIT.entriesOffset, 99)); // rewrite of the taken entry
    expect(first).toEqual([1, 2, 3, 4]);
    expect(sync(r.take())).toEqual([5, 6, 7, 8]);
    expect(r.index).toBe(2);
    expect(sync(m.load32(BASE + TX_SUBMIT.consOffset))).toBe(2); // republished, not read back
    // the writer side: a consumer index beyond what was produced is an index-jump (ring counts as full)
    const d = new RingWriter(m, BASE, RX_DELIVER, 8);
    sync(d.put([0, 0, 0, 0]));
    sync(m.store32(BASE + RX_DELIVER.consOffset, 5));
    expect(sync(d.space())).toBe('index-jump');
    sync(m.store32(BASE + RX_DELIVER.consOffset, 1));
    expect(sync(d.space())).toBe(8);
  });

  it('driver and stack sides of the same control page talk to each other', () => {
    const m = page();
    const drv = driverRings(m, BASE, 4);
    const stk = stackRings(m, BASE, 4);
    sync(stk.fill.put([3, 0, 0, 0]));
    sync(stk.txSubmit.put([0, 60, 77, 0]));
    expect(sync(drv.fill.poll())).toBe(1);
    expect(sync(drv.fill.take())![0]).toBe(3);
    expect(sync(drv.txSubmit.poll())).toBe(1);
    expect(sync(drv.txSubmit.take())).toEqual([0, 60, 77, 0]);
    sync(drv.deliver.put([3, 60, 1, 0]));
    sync(drv.txDone.put([77, txStatusOf('spoofed-ip'), 0, 0]));
    expect(sync(stk.deliver.poll())).toBe(1);
    expect(sync(stk.deliver.take())).toEqual([3, 60, 1, 0]);
    expect(sync(stk.txDone.poll())).toBe(1);
    expect(reasonOfTxStatus(sync(stk.txDone.take())![1])).toBe('spoofed-ip');
    expect(reasonOfTxStatus(txStatusOf(undefined))).toBeUndefined();
  });
});

describe('entry validation', () => {
  const g = { ringSize: 8, txPages: 2, rxBuffers: 8 };

  it('accepts good entries and names what is wrong with bad ones', () => {
    expect(checkTxEntry([100, 60, 9, 0], g)).toEqual({ offset: 100, length: 60, cookie: 9 });
    expect(checkTxEntry([4096, 1514, 1, 0], g)).toEqual({ offset: 4096, length: 1514, cookie: 1 });
    expect(checkTxEntry([0, 59, 0, 0], g)).toBe('bad-length');
    expect(checkTxEntry([0, 1515, 0, 0], g)).toBe('bad-length');
    expect(checkTxEntry([8192, 60, 0, 0], g)).toBe('out-of-bounds');
    expect(checkTxEntry([0xffffffff, 60, 0, 0], g)).toBe('out-of-bounds');
    expect(checkTxEntry([4000, 200, 0, 0], g)).toBe('crosses-page');
    expect(checkFillEntry([7, 0, 0, 0], g, () => false)).toBe(7);
    expect(checkFillEntry([8, 0, 0, 0], g, () => false)).toBe('out-of-bounds');
    expect(checkFillEntry([2, 0, 0, 0], g, (b) => b === 2)).toBe('duplicate');
  });

  it('property: an accepted transmit entry lies inside one page of the session\'s own transmit area', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(), fc.nat()), fc.integer({ min: 1, max: 8 }), (e, txPages) => {
        const r = checkTxEntry(e, { ringSize: 8, txPages, rxBuffers: 4 });
        if (typeof r === 'string') expect(REJECT_REASONS).toContain(r);
        else {
          expect(r.offset + r.length).toBeLessThanOrEqual(txPages * PAGE_BYTES);
          expect(Math.floor(r.offset / PAGE_BYTES)).toBe(Math.floor((r.offset + r.length - 1) / PAGE_BYTES));
          expect(r.length).toBeGreaterThanOrEqual(60);
        }
      }),
      { numRuns: 5000 },
    );
    // and near the edges, where off-by-ones live
    fc.assert(
      fc.property(fc.integer({ min: 8192 - 1600, max: 8192 + 10 }), fc.integer({ min: 55, max: 1520 }), (offset, length) => {
        const r = checkTxEntry([offset, length, 0, 0], g);
        if (typeof r !== 'string') expect(r.offset + r.length).toBeLessThanOrEqual(8192);
      }),
    );
  });
});
