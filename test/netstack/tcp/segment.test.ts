// TCP segment parsing and building (guest/netstack/tcp/segment.ts): checksum vectors computed
// by an independent implementation, each malformed header and option refused with its reason,
// and properties: round trips, single-bit corruption caught, hostile bytes never throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../guest/net/bytes.js';
import {
  buildSegment, parseSegment, putTcpChecksum, segmentLength, tcpChecksumOk, TCP_ACK, TCP_FIN, TCP_MAX_HEADER, TCP_MIN_HEADER, TCP_PARSE_REASONS, TCP_PSH, TCP_SYN, type TcpSegment,
} from '../../../guest/netstack/tcp/segment.js';

const CLIENT = parseIpv4('10.0.0.2')!;
const SERVER = parseIpv4('10.0.0.1')!;
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A segment from header bytes (options included, Data Offset set by the caller), checksummed. */
function raw(header: number[], payload: number[] = []): Uint8Array {
  const b = Uint8Array.from([...header, ...payload]);
  putTcpChecksum(b, CLIENT, SERVER);
  return b;
}

/** A SYN whose header holds `options`, padded to a whole word. */
function withOptions(options: number[]): Uint8Array {
  const words = 5 + Math.ceil(options.length / 4);
  const padded = [...options, ...new Array<number>((4 - (options.length % 4)) % 4).fill(0)];
  return raw([0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, words << 4, TCP_SYN, 0xff, 0xff, 0, 0, 0, 0, ...padded]);
}

describe('checksum vectors (computed independently, in Python, over the RFC 9293 §3.1 pseudo-header)', () => {
  it('a SYN with an MSS option, its sequence number near the wrap', () => {
    const syn = buildSegment({ srcPort: 49152, dstPort: 80, seq: 0xffff_fff0, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460 }, new Uint8Array(0), CLIENT, SERVER);
    expect(Array.from(syn)).toEqual([0xc0, 0x00, 0x00, 0x50, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0xc3, 0xe2, 0, 0, 2, 4, 0x05, 0xb4]);
    expect(tcpChecksumOk(syn, CLIENT, SERVER)).toBe(true);
    expect(tcpChecksumOk(syn, SERVER, CLIENT)).toBe(true); // the pseudo-header sum does not depend on the order of the addresses
    expect(tcpChecksumOk(syn, CLIENT, CLIENT)).toBe(false);
  });

  it('a data segment of odd length', () => {
    const seg = buildSegment({ srcPort: 80, dstPort: 49152, seq: 0x1234_5678, ack: 0xffff_fff1, flags: TCP_ACK | TCP_PSH, window: 8192 }, ascii('hello'), SERVER, CLIENT);
    expect(seg.length).toBe(25);
    expect([seg[16], seg[17]]).toEqual([0x0f, 0x04]);
  });
});

describe('parsing', () => {
  it('reads back every field of a built segment', () => {
    const seg = buildSegment({ srcPort: 80, dstPort: 49152, seq: 0x1234_5678, ack: 0xffff_fff1, flags: TCP_ACK | TCP_FIN, window: 8192, urgent: 7 }, ascii('bye'), SERVER, CLIENT);
    const p = parseSegment(seg, SERVER, CLIENT) as TcpSegment;
    expect(p).toMatchObject({ srcPort: 80, dstPort: 49152, seq: 0x1234_5678, ack: 0xffff_fff1, flags: TCP_ACK | TCP_FIN, window: 8192, urgent: 7, mss: undefined, headerBytes: 20 });
    expect(Array.from(p.payload)).toEqual(Array.from(ascii('bye')));
    expect(segmentLength(p)).toBe(4);
  });

  it('skips NOPs and unknown options, and stops at End of Option List', () => {
    // NOP, NOP, window scale (kind 3, RFC 7323), MSS 536, EOL, then padding that is not read.
    const p = parseSegment(withOptions([1, 1, 3, 3, 7, 2, 4, 0x02, 0x18, 0, 0xee, 0xee]), CLIENT, SERVER);
    expect(p).toMatchObject({ mss: 536, headerBytes: 32 });
    expect(parseSegment(withOptions([0, 0xff, 0xff]), CLIENT, SERVER)).toMatchObject({ mss: undefined }); // garbage after EOL is padding
    expect(parseSegment(withOptions([30, 6, 1, 2, 3, 4]), CLIENT, SERVER)).toMatchObject({ mss: undefined });
  });

  it('refuses malformed headers with a reason', () => {
    const good = buildSegment({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TCP_ACK, window: 5 }, ascii('data'), CLIENT, SERVER);
    expect(parseSegment(good.subarray(0, 19), CLIENT, SERVER)).toBe('short-segment');
    const offset = (words: number) => {
      const b = good.slice();
      b[12] = words << 4;
      putTcpChecksum(b, CLIENT, SERVER);
      return parseSegment(b, CLIENT, SERVER);
    };
    expect(offset(4)).toBe('bad-data-offset');
    expect(offset(7)).toBe('bad-data-offset'); // 28 bytes of header in a 24-byte segment
    const flipped = good.slice();
    flipped[22]! ^= 0x01;
    expect(parseSegment(flipped, CLIENT, SERVER)).toBe('bad-checksum');
    expect(parseSegment(good, CLIENT, SERVER)).toMatchObject({ headerBytes: 20 });
  });

  it('refuses garbage options with a reason', () => {
    expect(parseSegment(withOptions([30, 0]), CLIENT, SERVER)).toBe('bad-option-length'); // length 0 (RFC 9293 §3.2: must not crash)
    expect(parseSegment(withOptions([30, 1]), CLIENT, SERVER)).toBe('bad-option-length');
    expect(parseSegment(withOptions([1, 1, 1, 30]), CLIENT, SERVER)).toBe('bad-option-length'); // no room for the length byte
    expect(parseSegment(withOptions([30, 9, 0, 0]), CLIENT, SERVER)).toBe('bad-option-length'); // runs past the header
    expect(parseSegment(withOptions([2, 3, 5]), CLIENT, SERVER)).toBe('bad-mss-option');
    expect(parseSegment(withOptions([2, 6, 5, 0xb4, 0, 0]), CLIENT, SERVER)).toBe('bad-mss-option');
    expect(parseSegment(withOptions([2, 4, 5, 0xb4, 2, 4, 5, 0xb4]), CLIENT, SERVER)).toBe('bad-mss-option'); // repeated
    expect(parseSegment(withOptions([2, 4, 0, 0]), CLIENT, SERVER)).toBe('bad-mss-option');
  });
});

describe('properties', () => {
  const fields = fc.record({
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.integer({ min: 0, max: 0xffff }),
    seq: fc.integer({ min: 0, max: 0xffff_ffff }),
    ack: fc.integer({ min: 0, max: 0xffff_ffff }),
    flags: fc.integer({ min: 0, max: 0xff }),
    window: fc.integer({ min: 0, max: 0xffff }),
    urgent: fc.integer({ min: 0, max: 0xffff }),
    mss: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }),
  });
  const address = fc.integer({ min: 0, max: 0xffff_ffff });

  it('a built segment parses back to its fields and data', () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ maxLength: 64 }), address, address, (f, data, src, dst) => {
        const p = parseSegment(buildSegment(f, data, src, dst), src, dst) as TcpSegment;
        expect(typeof p).toBe('object');
        expect({ ...p, payload: Array.from(p.payload) }).toEqual({ ...f, headerBytes: f.mss === undefined ? 20 : 24, payload: Array.from(data) });
      }),
    );
  });

  it('any single flipped bit is refused', () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ maxLength: 64 }), fc.nat(), (f, data, at) => {
        const b = buildSegment(f, data, CLIENT, SERVER);
        const bit = at % (b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
        expect(typeof parseSegment(b, CLIENT, SERVER)).toBe('string');
      }),
    );
  });

  const check = (p: TcpSegment | string, length: number) => {
    if (typeof p === 'string') expect(TCP_PARSE_REASONS).toContain(p);
    else {
      expect(p.headerBytes).toBeGreaterThanOrEqual(TCP_MIN_HEADER);
      expect(p.headerBytes).toBeLessThanOrEqual(Math.min(TCP_MAX_HEADER, length));
      expect(p.payload.length).toBe(length - p.headerBytes);
    }
  };

  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), address, address, (b, src, dst) => check(parseSegment(b, src, dst), b.length)));
  });

  it('random options under a valid checksum never throw, and a segment comes back only when they are well formed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 40, maxLength: 40 }), fc.uint8Array({ maxLength: 20 }), (words, options, data) => {
        const b = raw([0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, words << 4, TCP_SYN, 0, 1, 0, 0, 0, 0, ...options.subarray(0, words * 4 - 20)], Array.from(data));
        const p = parseSegment(b, CLIENT, SERVER);
        check(p, b.length);
        expect(p === 'bad-checksum' || p === 'short-segment' || p === 'bad-data-offset').toBe(false);
      }),
    );
  });

  it('mutated segments never throw', () => {
    const built = fields.chain((f) => fc.tuple(fc.constant(buildSegment(f, Uint8Array.of(1, 2, 3), CLIENT, SERVER)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat({ max: 30 })));
    fc.assert(
      fc.property(built, ([b, edits, cut]) => {
        const m = b.slice(0, Math.max(0, b.length - cut));
        for (const [at, v] of edits) if (m.length) m[at % m.length] = v;
        putTcpChecksum(m, CLIENT, SERVER);
        check(parseSegment(m, CLIENT, SERVER), m.length);
      }),
    );
  });
});
