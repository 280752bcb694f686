// ICMP echo (guest/netstack/icmp.ts), UDP (guest/netstack/udp.ts) and the pseudo-header
// checksum (guest/netstack/checksum.ts): hand-computed vectors, a reference checksum written
// out the long way, and refusal of what is malformed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../guest/net/bytes.js';
import { onesSum } from '../../guest/net/ipv4.js';
import { pseudoHeaderSum, transportChecksum } from '../../guest/netstack/checksum.js';
import { buildEchoReply, buildIcmp, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, parseEchoRequest, parseIcmp, type IcmpMessage } from '../../guest/netstack/icmp.js';
import { buildUdp, parseUdp, type UdpDatagram } from '../../guest/netstack/udp.js';

const A = parseIpv4('10.0.0.1')!;
const B = parseIpv4('10.0.0.2')!;

/** RFC 1071 checksum the long way: 32-bit sum of big-endian words (odd byte padded), then fold and complement. */
function referenceChecksum(words: number[]): number {
  let s = words.reduce((a, w) => a + w, 0);
  while (s > 0xffff) s = Math.floor(s / 0x10000) + (s % 0x10000);
  return 0xffff - s;
}
const wordsOf = (b: Uint8Array): number[] => Array.from({ length: Math.ceil(b.length / 2) }, (_, i) => b[2 * i]! * 256 + (b[2 * i + 1] ?? 0));
const u16 = (b: Uint8Array, off: number) => b[off]! * 256 + b[off + 1]!;

const icmpOk = (r: IcmpMessage | string): IcmpMessage => {
  if (typeof r === 'string') throw new Error(`dropped: ${r}`);
  return r;
};
const udpOk = (r: UdpDatagram | string): UdpDatagram => {
  if (typeof r === 'string') throw new Error(`dropped: ${r}`);
  return r;
};

describe('checksums', () => {
  it('RFC 1071 §3 example sums to 0xddf2', () => {
    expect(onesSum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7), 0, 8)).toBe(0xddf2);
  });

  it('the pseudo-header sum agrees with the reference for any addresses and lengths', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), (s, d, p, n) => {
      const sum = pseudoHeaderSum(s, d, p, n);
      expect(sum).toBeLessThanOrEqual(0xffff);
      expect(0xffff - sum).toBe(referenceChecksum([s >>> 16, s & 0xffff, d >>> 16, d & 0xffff, p, n]) );
    }));
  });
});

describe('ICMP echo', () => {
  it('hand-computed vectors: an empty echo request and reply', () => {
    const req = buildIcmp(ICMP_ECHO_REQUEST, 0, 0, 0, new Uint8Array(0));
    expect([...req]).toEqual([8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
    const reply = buildEchoReply(icmpOk(parseIcmp(buildIcmp(ICMP_ECHO_REQUEST, 0, 0x1234, 1, new Uint8Array(0)))));
    expect([...reply]).toEqual([0, 0, 0xed, 0xca, 0x12, 0x34, 0, 1]);
  });

  it('the reply returns identifier, sequence and data unchanged, with a checksum the reference agrees with', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 1472 }), (id, seq, data) => {
      const req = icmpOk(parseEchoRequest(buildIcmp(ICMP_ECHO_REQUEST, 0, id, seq, data)));
      expect(req).toMatchObject({ type: ICMP_ECHO_REQUEST, identifier: id, sequence: seq });
      const reply = buildEchoReply(req);
      const zeroed = reply.slice();
      zeroed[2] = zeroed[3] = 0;
      expect(u16(reply, 2)).toBe(referenceChecksum(wordsOf(zeroed)));
      const back = icmpOk(parseIcmp(reply));
      expect(back).toMatchObject({ type: ICMP_ECHO_REPLY, code: 0, identifier: id, sequence: seq });
      expect([...back.data]).toEqual([...data]);
    }));
  });

  it('refuses a truncated message, a bad checksum, and (as an echo request) other types', () => {
    const m = buildIcmp(ICMP_ECHO_REQUEST, 0, 7, 9, Uint8Array.of(1, 2, 3));
    expect(parseIcmp(m.subarray(0, 7))).toBe('truncated-header');
    for (let i = 0; i < m.length; i++) {
      const g = m.slice();
      g[i]! ^= 0x10;
      expect(parseIcmp(g), `byte ${i}`).toBe('bad-checksum');
    }
    expect(parseEchoRequest(buildIcmp(ICMP_ECHO_REPLY, 0, 7, 9, new Uint8Array(0)))).toBe('unknown-protocol');
    expect(parseEchoRequest(buildIcmp(3, 1, 0, 0, new Uint8Array(0)))).toBe('unknown-protocol');
  });
});

describe('UDP', () => {
  it('hand-computed vector: 10.0.0.1:1234 -> 10.0.0.2:53 "hi" has checksum 0x7e67', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 1234, dstPort: 53, data: Uint8Array.of(0x68, 0x69) });
    expect([...u]).toEqual([0x04, 0xd2, 0x00, 0x35, 0x00, 0x0a, 0x7e, 0x67, 0x68, 0x69]);
    expect(udpOk(parseUdp(u, A, B))).toMatchObject({ srcPort: 1234, dstPort: 53 });
  });

  it('a checksum that computes to 0 is sent as 0xffff, and verifies', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 1234, dstPort: 53, data: Uint8Array.of(0xe6, 0xd0) });
    expect(u16(u, 6)).toBe(0xffff);
    expect(typeof parseUdp(u, A, B)).toBe('object');
  });

  it('round-trips any datagram; the checksum agrees with the reference over pseudo-header and segment', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 1472 }), (sp, dp, data) => {
      const u = buildUdp({ src: A, dst: B, srcPort: sp, dstPort: dp, data });
      const zeroed = u.slice();
      zeroed[6] = zeroed[7] = 0;
      expect(u16(u, 6)).toBe(referenceChecksum([A >>> 16, A & 0xffff, B >>> 16, B & 0xffff, 17, u.length, ...wordsOf(zeroed)]) || 0xffff);
      const d = udpOk(parseUdp(u, A, B));
      expect(d).toMatchObject({ srcPort: sp, dstPort: dp });
      expect([...d.data]).toEqual([...data]);
    }));
  });

  it('the checksum covers the pseudo-header: other addresses fail', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 1, dstPort: 2, data: Uint8Array.of(1, 2, 3) });
    expect(parseUdp(u, A, B + 1)).toBe('bad-checksum');
    expect(typeof parseUdp(u, B, A)).toBe('object'); // swapping keeps the sum: one's-complement addition commutes
    const g = u.slice();
    g[9]! ^= 1;
    expect(parseUdp(g, A, B)).toBe('bad-checksum');
  });

  it('checksum 0 means none: accepted whatever the bytes', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 1, dstPort: 2, data: Uint8Array.of(1, 2, 3) });
    u[6] = u[7] = 0;
    u[9] = 0x55;
    expect([...udpOk(parseUdp(u, A, B)).data]).toEqual([1, 0x55, 3]);
  });

  it('refuses a truncated header and a length below the header or past the segment; ignores bytes past the length', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 1, dstPort: 2, data: Uint8Array.of(1, 2, 3, 4) });
    expect(parseUdp(u.subarray(0, 7), A, B)).toBe('truncated-header');
    expect(parseUdp(u.subarray(0, 11), A, B)).toBe('bad-length');
    const short = u.slice();
    short[5] = 7;
    expect(parseUdp(short, A, B)).toBe('bad-length');
    const padded = new Uint8Array(u.length + 5);
    padded.set(u);
    padded.fill(0xaa, u.length);
    expect([...udpOk(parseUdp(padded, A, B)).data]).toEqual([1, 2, 3, 4]);
  });

  it('transportChecksum of a filled segment is 0 (verifies), of a zeroed one the field', () => {
    const u = buildUdp({ src: A, dst: B, srcPort: 9, dstPort: 9, data: Uint8Array.of(7) });
    const field = u16(u, 6);
    u[6] = u[7] = 0;
    expect(transportChecksum(A, B, 17, u)).toBe(field);
  });
});
