// Ethernet / ARP / IPv4 parsing, demultiplexing and the transmit header check
// (guest/net/): unit cases plus fast-check properties over hostile bytes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARP_REPLY, parseArp } from '../../guest/net/arp.js';
import { arpFrame, ipv4Frame } from '../../guest/net/build.js';
import { formatIpv4, formatMac, get32, parseIpv4, parseMac } from '../../guest/net/bytes.js';
import { demultiplex, destinationOf } from '../../guest/net/demux.js';
import { ETH_HEADER, ETH_MAX_FRAME, isBroadcast, parseEthernet } from '../../guest/net/ethernet.js';
import { ipv4ChecksumOk, parseIpv4Header } from '../../guest/net/ipv4.js';
import { checkTransmitHeader, headerCopyBytes, TX_HEADER_COPY } from '../../guest/net/txcheck.js';

const CARD = parseMac('02:52:4c:00:00:01')!;
const PEER = parseMac('02:00:00:00:00:99')!;
const ip = (s: string) => parseIpv4(s)!;
const A = ip('10.0.0.2');
const B = ip('10.0.0.3');
const GW = ip('10.0.0.1');

describe('address helpers', () => {
  it('parses and formats MAC and IPv4 addresses, refusing malformed ones', () => {
    expect(formatMac(CARD)).toBe('02:52:4c:00:00:01');
    expect(formatIpv4(ip('192.168.1.254'))).toBe('192.168.1.254');
    expect(parseMac('02:52:4c:00:00')).toBeUndefined();
    expect(parseIpv4('10.0.0.256')).toBeUndefined();
    expect(parseIpv4('10.0.0')).toBeUndefined();
  });
});

describe('parsing', () => {
  it('reads an ARP request built by the stack helpers', () => {
    const f = arpFrame({ senderMac: PEER, senderIp: GW, targetIp: B });
    expect(f.length).toBe(60);
    expect(isBroadcast(f)).toBe(true);
    expect(parseEthernet(f)!.type).toBe(0x0806);
    const a = parseArp(f);
    expect(a).toMatchObject({ op: 1, senderIp: GW, targetIp: B });
  });

  it('reads an IPv4 header and its checksum verifies; a flipped bit breaks it', () => {
    const f = ipv4Frame({ dstMac: CARD, srcMac: PEER, src: GW, dst: A, payload: new Uint8Array(100) });
    expect(parseIpv4Header(f)).toMatchObject({ headerBytes: 20, totalLength: 120, protocol: 17, src: GW, dst: A });
    expect(ipv4ChecksumOk(f)).toBe(true);
    f[ETH_HEADER + 8] ^= 1;
    expect(ipv4ChecksumOk(f)).toBe(false);
  });

  it('refuses malformed IPv4 headers: version, IHL, total length past the frame', () => {
    const good = () => ipv4Frame({ dstMac: CARD, srcMac: PEER, src: GW, dst: A, payload: new Uint8Array(40) });
    const v6 = good();
    v6[ETH_HEADER] = 0x65;
    expect(parseIpv4Header(v6)).toBe('bad-ipv4');
    const ihl = good();
    ihl[ETH_HEADER] = 0x44;
    expect(parseIpv4Header(ihl)).toBe('bad-ipv4');
    const long = good();
    long[ETH_HEADER + 2] = 0x05; // total length 0x05xx > frame
    expect(parseIpv4Header(long)).toBe('bad-ipv4');
    expect(parseIpv4Header(good().subarray(0, 30))).toBe('bad-ipv4');
  });
});

describe('demultiplexing', () => {
  const table = new Map([
    [A, 'stack A'],
    [B, 'stack B'],
  ]);
  const lookup = (a: number) => table.get(a);

  it('gives IPv4 by destination address and ARP by target address', () => {
    const toA = ipv4Frame({ dstMac: CARD, srcMac: PEER, src: GW, dst: A, payload: new Uint8Array(10) });
    expect(demultiplex(toA, toA.length, lookup)).toEqual({ session: 'stack A' });
    const arpForB = arpFrame({ senderMac: PEER, senderIp: GW, targetIp: B });
    expect(demultiplex(arpForB, arpForB.length, lookup)).toEqual({ session: 'stack B' });
    // an ARP reply whose sender is A but which is for B goes to B, not A
    const reply = arpFrame({ op: ARP_REPLY, senderMac: PEER, senderIp: A, targetMac: CARD, targetIp: B });
    expect(demultiplex(reply, reply.length, lookup)).toEqual({ session: 'stack B' });
  });

  it('drops unknown destinations, foreign EtherTypes, runts and giants with a reason', () => {
    const nobody = ipv4Frame({ dstMac: CARD, srcMac: PEER, src: GW, dst: ip('10.0.0.77'), payload: new Uint8Array(10) });
    expect(demultiplex(nobody, nobody.length, lookup)).toEqual({ drop: 'unknown-destination' });
    const arpNobody = arpFrame({ senderMac: PEER, senderIp: GW, targetIp: ip('10.0.0.77') });
    expect(demultiplex(arpNobody, arpNobody.length, lookup)).toEqual({ drop: 'unknown-destination' });
    const v6 = new Uint8Array(60);
    v6[12] = 0x86;
    v6[13] = 0xdd;
    expect(destinationOf(v6, 60)).toBe('bad-ethertype');
    expect(destinationOf(new Uint8Array(10), 10)).toBe('runt');
    expect(destinationOf(new Uint8Array(60), ETH_MAX_FRAME + 1)).toBe('too-long');
    const badArp = arpFrame({ senderMac: PEER, senderIp: GW, targetIp: A });
    badArp[ETH_HEADER + 4] = 8; // hardware length 8
    expect(destinationOf(badArp, 60)).toBe('bad-arp');
  });

  it('property: a broadcast ARP request reaches exactly the stack whose address it asks for', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 0xfffffffe }), { minLength: 1, maxLength: 16 }), fc.nat(), fc.boolean(), (addrs, pick, known) => {
        const stacks = new Map(addrs.map((a, i) => [a, i]));
        const target = known ? addrs[pick % addrs.length]! : 0xffffffff;
        const f = arpFrame({ senderMac: PEER, senderIp: GW, targetIp: target });
        const r = demultiplex(f, f.length, (a) => stacks.get(a));
        if (known) expect(r).toEqual({ session: stacks.get(target) });
        else expect(r).toEqual({ drop: 'unknown-destination' });
      }),
    );
  });

  it('property: arbitrary bytes never throw, and a frame reaches a session only by the address it carries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 2000 }), fc.constantFrom(0x0800, 0x0806, 0x86dd), (bytes, len, type) => {
        if (bytes.length >= 14) {
          bytes[12] = type >>> 8;
          bytes[13] = type & 0xff;
        }
        const r = demultiplex(bytes, len, (a) => a);
        if ('session' in r) {
          const at = type === 0x0806 ? ETH_HEADER + 24 : ETH_HEADER + 16;
          expect(r.session).toBe(get32(bytes, at));
          expect(len).toBeGreaterThanOrEqual(14);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('transmit header check', () => {
  const me = { mac: CARD, ip: A };
  const udp = (o: Partial<{ src: number; srcMac: Uint8Array; n: number }> = {}) =>
    ipv4Frame({ dstMac: PEER, srcMac: o.srcMac ?? CARD, src: o.src ?? A, dst: GW, payload: new Uint8Array(o.n ?? 200) });
  const check = (f: Uint8Array, len = f.length) => checkTransmitHeader(f.slice(0, headerCopyBytes(len)), len, me);

  it('accepts a stack\'s own IPv4 and ARP frames', () => {
    expect(check(udp())).toBeUndefined();
    expect(check(arpFrame({ senderMac: CARD, senderIp: A, targetIp: GW }))).toBeUndefined();
    expect(headerCopyBytes(1514)).toBe(TX_HEADER_COPY);
  });

  it('refuses spoofing and nonsense, each with its reason', () => {
    expect(check(udp({ srcMac: PEER }))).toBe('spoofed-mac');
    expect(check(udp({ src: B }))).toBe('spoofed-ip');
    expect(check(arpFrame({ senderMac: CARD, senderIp: B, targetIp: GW }))).toBe('spoofed-ip');
    const arpMac = arpFrame({ senderMac: CARD, senderIp: A, targetIp: GW });
    arpMac[ETH_HEADER + 8] ^= 1; // ARP sender hardware address not the card's
    expect(check(arpMac)).toBe('spoofed-mac');
    const v6 = udp();
    v6[12] = 0x86;
    v6[13] = 0xdd;
    expect(check(v6)).toBe('bad-ethertype');
    expect(check(udp(), 59)).toBe('bad-length');
    expect(checkTransmitHeader(new Uint8Array(74), 1515, me)).toBe('bad-length');
    expect(checkTransmitHeader(new Uint8Array(10), 60, me)).toBe('bad-length');
    const padded = new Uint8Array(1400);
    padded.set(udp({ n: 20 }));
    expect(check(padded)).toBe(undefined); // padding after the datagram is allowed
    const short = udp({ n: 600 });
    expect(check(short, 300)).toBe('bad-ipv4'); // datagram longer than the frame
  });

  it('property: whatever the bytes, an accepted header carries the session\'s MAC and address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 74, maxLength: 74 }), fc.integer({ min: 0, max: 1600 }), fc.boolean(), fc.boolean(), (h, len, arp, honest) => {
        h[12] = 0x08;
        h[13] = arp ? 0x06 : 0x00;
        if (honest) {
          h.set(CARD, 6);
          if (arp) {
            h.set([0, 1, 8, 0, 6, 4, 0, 1], 14);
            h.set(CARD, 22);
            h.set([0, 0, 0, 0].map((_, i) => (A >>> (24 - 8 * i)) & 0xff), 28);
          } else {
            h[14] = 0x45;
            h[16] = 0;
            h[17] = 40;
            h.set([0, 0, 0, 0].map((_, i) => (A >>> (24 - 8 * i)) & 0xff), 26);
          }
        }
        const r = checkTransmitHeader(h, len, me);
        if (r === undefined) {
          expect(formatMac(h, 6)).toBe(formatMac(CARD));
          expect(get32(h, arp ? 28 : 26)).toBe(A);
          expect(len).toBeGreaterThanOrEqual(60);
          expect(len).toBeLessThanOrEqual(1514);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
