// The wire: exact drift-free timing, frame validation, faults from seeded streams, the
// echo peer.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { createWire } from '../../devices/attach.js';
import { crc32, fcsOk, FrameError, swapAddresses, withFcs } from '../../devices/frame.js';
import { EchoPeer } from '../../devices/peers/echo.js';
import { FrameSource } from '../../devices/peers/source.js';
import { IFG_BYTES, PREAMBLE_BYTES, WireTiming } from '../../devices/wire/timing.js';
import { MBIT_10, MBIT_100 } from '../../devices/wire/wire.js';
import { CARD_MAC, PEER_MAC, testFrame } from './rig.js';

describe('wire timing', () => {
  it('100 Mbit/s at 133 MHz is 10.64 cycles per byte, rounded down per byte, exactly', () => {
    const t = new WireTiming(133_000_000, MBIT_100);
    expect([t.cycles(1), t.cycles(25), t.cycles(100), t.cycles(12_500_000)]).toEqual([10, 266, 1064, 133_000_000]);
    for (const k of [0, 1, 7, 999, 123_456, 12_499_999]) expect(t.cycles(k)).toBe(Number((BigInt(k) * 8n * 133_000_000n) / 100_000_000n));
    expect(t.cycles(2 ** 52)).toBe(Number((2n ** 52n * 1064n) / 100n)); // BigInt path beyond exact doubles
    for (const c of [0, 9, 10, 11, 1063, 1064, 1065]) {
      const b = t.bytesBy(c);
      expect(t.cycles(b)).toBeLessThanOrEqual(c);
      expect(t.cycles(b + 1)).toBeGreaterThan(c);
    }
  });

  it('back-to-back frames keep exact time: frame k ends at floor((k*1538 + 1526) * 10.64)', () => {
    const m = new Machine();
    const wire = createWire(m);
    const src = new FrameSource(wire, 'a');
    const dst = new FrameSource(wire, 'b');
    src.sendAtLineRate(1000, (i) => testFrame(CARD_MAC, 1514, i));
    m.runUntil(20_000_000);
    expect(dst.heard.length).toBe(1000);
    dst.heard.forEach((h, k) => expect(h.cycle).toBe(Math.floor(((k * (PREAMBLE_BYTES + 1518 + IFG_BYTES) + PREAMBLE_BYTES + 1518) * 1064) / 100)));
  });

  it('10 Mbit/s takes ten times as long', () => {
    const m = new Machine();
    const wire = createWire(m, { bitRate: MBIT_10 });
    const a = new FrameSource(wire, 'a');
    const b = new FrameSource(wire, 'b');
    a.send(testFrame(CARD_MAC, 60));
    m.runUntil(1_000_000);
    expect(b.heard[0]!.cycle).toBe(Math.floor(((PREAMBLE_BYTES + 64) * 8 * 133_000_000) / 10_000_000));
  });
});

describe('frames', () => {
  it('FCS is the IEEE CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const f = withFcs(testFrame(CARD_MAC, 100));
    expect(fcsOk(f)).toBe(true);
    f[50]! ^= 1;
    expect(fcsOk(f)).toBe(false);
  });

  it('the table-driven CRC-32 (four bytes a step) equals the bitwise definition for every length and alignment', () => {
    const bitwise = (b: Uint8Array, start: number, end: number) => {
      let c = 0xffffffff;
      for (let i = start; i < end; i++) {
        c ^= b[i]!;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 5; start++) for (let end = start; end <= data.length; end++) expect(crc32(data, start, end)).toBe(bitwise(data, start, end));
  });

  it('malformed frames get a clear error', () => {
    const m = new Machine();
    const wire = createWire(m);
    const a = new FrameSource(wire, 'a');
    expect(() => a.send(new Uint8Array(59))).toThrow(FrameError);
    expect(() => a.send(new Uint8Array(59))).toThrow(/shorter than the Ethernet minimum of 60/);
    expect(() => a.send(new Uint8Array(1515))).toThrow(/longer than the Ethernet maximum of 1514/);
    expect(() => a.send([1, 2, 3] as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
    expect(() => a.port.transmit(new Uint8Array(70), 70 + 4)).toThrow(FrameError);
    expect(() => wire.attach({ name: 'a' })).toThrow(/already attached/);
  });
});

describe('faults and peers', () => {
  function faulty(faults: object, seed = 7) {
    const m = new Machine({ seed });
    const wire = createWire(m, { faults });
    const a = new FrameSource(wire, 'a');
    const b = new FrameSource(wire, 'b');
    const frames = Array.from({ length: 400 }, (_, i) => testFrame(CARD_MAC, 100, i));
    a.sendAtLineRate(frames.length, (i) => frames[i]!);
    m.runUntil(10_000_000);
    return { wire, b, tags: b.heard.map((h) => h.frame[14]! ^ 0), frames };
  }

  it('loss drops about its rate, deterministically per seed', () => {
    const r = faulty({ loss: 0.25 });
    expect(r.b.heard.length).toBe(400 - r.wire.faults.counts.lost);
    expect(r.wire.faults.counts.lost).toBeGreaterThan(60);
    expect(r.wire.faults.counts.lost).toBeLessThan(140);
    expect(faulty({ loss: 0.25 }).tags).toEqual(r.tags);
    expect(faulty({ loss: 0.25 }, 8).tags).not.toEqual(r.tags);
  });

  it('duplication delivers copies back to back', () => {
    const r = faulty({ duplicate: 0.1 });
    expect(r.b.heard.length).toBe(400 + r.wire.faults.counts.duplicated);
    expect(r.wire.faults.counts.duplicated).toBeGreaterThan(10);
  });

  it('reordering swaps a frame with the next one', () => {
    const r = faulty({ reorder: 0.1 });
    expect(r.b.heard.length).toBe(400);
    const tags = r.b.heard.map((h) => h.frame[14]!);
    const inversions = tags.filter((t, i) => i > 0 && ((t - tags[i - 1]!) & 0xff) > 128).length;
    expect(inversions).toBeGreaterThan(10);
    expect([...tags].sort((x, y) => x - y)).toEqual(Array.from({ length: 400 }, (_, i) => i & 0xff).sort((x, y) => x - y));
  });

  it('corruption flips one bit: the receiver sees a bad FCS', () => {
    const r = faulty({ corrupt: 0.2 });
    expect(r.b.badFcs).toBe(r.wire.faults.counts.corrupted);
    expect(r.b.heard.length + r.b.badFcs).toBe(400);
    expect(r.b.badFcs).toBeGreaterThan(40);
  });

  it('rates are checked', () => {
    expect(() => createWire(new Machine(), { faults: { loss: 2 } })).toThrow(/\[0, 1\]/);
  });

  it('the echo peer reflects frames with the addresses swapped', () => {
    const m = new Machine();
    const wire = createWire(m);
    const a = new FrameSource(wire, 'a');
    const echo = new EchoPeer(wire);
    const f = testFrame(PEER_MAC, 200);
    a.send(f);
    m.runUntil(1_000_000);
    expect(echo.echoed).toBe(1);
    expect(Array.from(a.heard[0]!.frame)).toEqual(Array.from(swapAddresses(f)));
  });
});
