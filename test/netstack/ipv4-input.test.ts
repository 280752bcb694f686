// Inbound IPv4 validation (guest/netstack/ipv4-input.ts) and the drop counters
// (guest/netstack/drops.ts): each rule refuses what breaks it, and only that.

import { describe, expect, it } from 'vitest';
import { put16 } from '../../guest/net/bytes.js';
import { ETH_HEADER } from '../../guest/net/ethernet.js';
import { IPV4_TOTAL_LENGTH, putIpv4Checksum } from '../../guest/net/ipv4.js';
import { countDrop, isDropReason, newDropCounters, STACK_DROP_REASONS, totalDrops } from '../../guest/netstack/drops.js';
import { IPV4_FLAGS_FRAGMENT } from '../../guest/net/ipv4.js';
import { IPV4_LIMITED_BROADCAST, ipv4Input, isFragment, type Ipv4Datagram } from '../../guest/netstack/ipv4-input.js';
import { datagramFrame, LOCAL, PEER, pattern } from './frames.js';

const input = (f: Uint8Array, len = f.length) => ipv4Input(f, len, LOCAL);
const ok = (r: Ipv4Datagram | string): Ipv4Datagram => {
  if (typeof r === 'string') throw new Error(`dropped: ${r}`);
  return r;
};
/** Change header byte `off` (from the IPv4 header) and refill the checksum, so only that rule is broken. */
const withHeaderByte = (f: Uint8Array, off: number, v: number) => {
  const g = f.slice();
  g[ETH_HEADER + off] = v;
  putIpv4Checksum(g);
  return g;
};

describe('drop counters', () => {
  it('start at zero, count per reason and total', () => {
    const c = newDropCounters();
    expect(Object.keys(c)).toEqual([...STACK_DROP_REASONS]);
    expect(totalDrops(c)).toBe(0);
    countDrop(c, 'bad-checksum');
    countDrop(c, 'not-for-us', 3);
    expect(c['bad-checksum']).toBe(1);
    expect(c['not-for-us']).toBe(3);
    expect(totalDrops(c)).toBe(4);
    expect(isDropReason('bad-checksum')).toBe(true);
    expect(isDropReason('fine')).toBe(false);
    expect(Object.isFrozen(STACK_DROP_REASONS)).toBe(true);
  });
});

describe('ipv4Input', () => {
  it('parses a well-formed datagram and gives a view of exactly its payload (not the Ethernet padding)', () => {
    const d = ok(input(datagramFrame({ payload: pattern(5, 7), id: 0xbeef, ttl: 1, protocol: 1 })));
    expect(d).toMatchObject({ headerBytes: 20, totalLength: 25, id: 0xbeef, ttl: 1, protocol: 1, src: PEER, dst: LOCAL, moreFragments: false, fragmentOffset: 0, dontFragment: false });
    expect([...d.payload]).toEqual([...pattern(5, 7)]);
    expect(isFragment(d)).toBe(false);
  });

  it('reads the fragment fields', () => {
    const d = ok(input(datagramFrame({ payload: pattern(16), offset: 1480, more: true, dontFragment: true })));
    expect(d).toMatchObject({ fragmentOffset: 1480, moreFragments: true, dontFragment: true });
    expect(isFragment(d)).toBe(true);
    expect(isFragment(ok(input(datagramFrame({ payload: pattern(3), offset: 8 }))))).toBe(true);
  });

  it('accepts the limited broadcast address and refuses another host\'s', () => {
    expect(ok(input(datagramFrame({ payload: pattern(4), dst: IPV4_LIMITED_BROADCAST }))).dst).toBe(IPV4_LIMITED_BROADCAST);
    expect(input(datagramFrame({ payload: pattern(4), dst: LOCAL + 1 }))).toBe('not-for-us');
  });

  it('refuses a truncated frame, a bad version, a short IHL and an IHL past the frame', () => {
    const f = datagramFrame({ payload: pattern(40) });
    expect(input(f, ETH_HEADER + 19)).toBe('truncated-header');
    expect(input(f.subarray(0, ETH_HEADER + 10))).toBe('truncated-header');
    expect(input(withHeaderByte(f, 0, 0x65))).toBe('bad-version');
    expect(input(withHeaderByte(f, 0, 0x44))).toBe('bad-header-length');
    expect(input(withHeaderByte(f, 0, 0x4f), ETH_HEADER + 40)).toBe('truncated-header');
  });

  it('refuses a total length below the header or past the frame, and accepts Ethernet padding after it', () => {
    const f = datagramFrame({ payload: pattern(40) });
    const setTotal = (n: number) => {
      const g = f.slice();
      put16(g, ETH_HEADER + IPV4_TOTAL_LENGTH, n);
      putIpv4Checksum(g);
      return g;
    };
    expect(input(setTotal(19))).toBe('bad-length');
    expect(input(setTotal(61))).toBe('bad-length');
    expect(input(f, ETH_HEADER + 59)).toBe('bad-length');
    expect(ok(input(setTotal(30))).payload.length).toBe(10);
  });

  it('refuses a bad header checksum, whichever header bit flips', () => {
    const f = datagramFrame({ payload: pattern(8) });
    for (let bit = 0; bit < 20 * 8; bit++) {
      const g = f.slice();
      g[ETH_HEADER + (bit >> 3)]! ^= 1 << (bit & 7);
      const r = input(g);
      expect(typeof r, `bit ${bit}`).toBe('string');
    }
    const g = f.slice();
    g[ETH_HEADER + 8]! ^= 1; // TTL: only the checksum can catch it
    expect(input(g)).toBe('bad-checksum');
  });

  it('checks option lists: NOP, End, well-formed kinds pass; a length below 2 or past the header fails', () => {
    const opts = (...b: number[]) => Uint8Array.from(b);
    expect(typeof input(datagramFrame({ payload: pattern(4), options: opts(1, 1, 1, 0) }))).toBe('object');
    expect(typeof input(datagramFrame({ payload: pattern(4), options: opts(0, 0xff, 0xff, 0xff) }))).toBe('object'); // after End: ignored
    expect(typeof input(datagramFrame({ payload: pattern(4), options: opts(0x94, 4, 0, 0) }))).toBe('object'); // Router Alert (RFC 2113)
    expect(input(datagramFrame({ payload: pattern(4), options: opts(0x94, 1, 0, 0) }))).toBe('bad-options');
    expect(input(datagramFrame({ payload: pattern(4), options: opts(1, 1, 0x94, 6) }))).toBe('bad-options');
    expect(input(datagramFrame({ payload: pattern(4), options: opts(1, 1, 1, 0x94) }))).toBe('bad-options'); // no room for the length byte
  });

  it('refuses bad fragment fields: reserved flag, a non-final fragment not a multiple of 8 or empty, past 64 KiB', () => {
    const f = datagramFrame({ payload: pattern(8) });
    const g = f.slice();
    g[ETH_HEADER + IPV4_FLAGS_FRAGMENT]! |= 0x80;
    putIpv4Checksum(g);
    expect(input(g)).toBe('bad-fragment');
    expect(input(datagramFrame({ payload: pattern(12), more: true }))).toBe('bad-fragment');
    expect(input(datagramFrame({ payload: pattern(0), more: true }))).toBe('bad-fragment');
    expect(typeof input(datagramFrame({ payload: pattern(16), more: true }))).toBe('object');
    // ping of death: the last fragment ends past the largest datagram
    expect(input(datagramFrame({ payload: pattern(24), offset: 0xfff8 - 8 }))).toBe('bad-fragment');
    expect(typeof input(datagramFrame({ payload: pattern(65515 - 65504), offset: 65504 }))).toBe('object');
    expect(input(datagramFrame({ payload: pattern(65515 - 65504 + 1), offset: 65504 }))).toBe('bad-fragment');
  });
});
