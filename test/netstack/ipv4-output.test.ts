// IPv4 output (guest/netstack/ipv4-output.ts): one packet when the datagram fits the MTU,
// else fragments whose payloads are multiples of 8 bytes with the right offsets and MF bits,
// each a valid datagram to ipv4Input; DF datagrams and datagrams past 64 KiB refused; and the
// Ethernet frame padded to 60 bytes with its header checksum filled.

import { describe, expect, it } from 'vitest';
import { get16 } from '../../guest/net/bytes.js';
import { ETH_HEADER, ETH_MIN_FRAME, ETHERTYPE_IPV4 } from '../../guest/net/ethernet.js';
import { IPV4_FLAGS_FRAGMENT, IPV4_TOTAL_LENGTH, ipv4ChecksumOk } from '../../guest/net/ipv4.js';
import { newDropCounters } from '../../guest/netstack/drops.js';
import { ipv4Input } from '../../guest/netstack/ipv4-input.js';
import { ethernetFrame, ETHERNET_MTU, ipv4Packets } from '../../guest/netstack/ipv4-output.js';
import { Reassembler, defaultReassemblyConfig } from '../../guest/netstack/reassembly.js';
import { LOCAL, LOCAL_MAC, PEER, PEER_MAC, pattern } from './frames.js';

const send = (n: number, dontFragment = false) => ipv4Packets({ src: PEER, dst: LOCAL, protocol: 17, id: 0x4242, dontFragment, payload: pattern(n) });
const frames = (ps: Uint8Array[]) => ps.map((p) => ethernetFrame(LOCAL_MAC, PEER_MAC, p));

describe('ipv4Packets', () => {
  it('a datagram that fits is one packet, DF as asked, total length right', () => {
    const [p, ...rest] = send(ETHERNET_MTU - 20, true) as Uint8Array[];
    expect(rest).toEqual([]);
    expect(get16(p!, IPV4_TOTAL_LENGTH)).toBe(ETHERNET_MTU);
    expect(get16(p!, IPV4_FLAGS_FRAGMENT)).toBe(0x4000);
  });

  it('a larger one is cut into 8-byte-aligned fragments that reassemble to the original', () => {
    const ps = send(4000) as Uint8Array[];
    expect(ps).toHaveLength(3);
    const fields = ps.map((p) => get16(p, IPV4_FLAGS_FRAGMENT));
    expect(fields.map((f) => (f & 0x1fff) * 8)).toEqual([0, 1480, 2960]);
    expect(fields.map((f) => (f & 0x2000) !== 0)).toEqual([true, true, false]);
    expect(ps.every((p) => p.length <= ETHERNET_MTU)).toBe(true);
    const r = new Reassembler(defaultReassemblyConfig(1e6), newDropCounters());
    let whole: Uint8Array | undefined;
    for (const f of frames(ps).reverse()) {
      expect(ipv4ChecksumOk(f)).toBe(true);
      const d = ipv4Input(f, f.length, LOCAL);
      if (typeof d === 'string') throw new Error(d);
      const out = r.accept(d, 0);
      if ('datagram' in out) whole = out.datagram.payload;
    }
    expect(whole).toEqual(pattern(4000));
  });

  it('refuses a DF datagram larger than the MTU and anything past 65,535 bytes', () => {
    expect(send(ETHERNET_MTU - 19, true)).toBe('bad-length');
    expect(send(65_535 - 20)).toHaveLength(45);
    expect(send(65_535 - 19)).toBe('bad-length');
  });
});

describe('ethernetFrame', () => {
  it('pads a short packet to the Ethernet minimum and fills the header checksum', () => {
    const [p] = send(4) as Uint8Array[];
    const f = ethernetFrame(LOCAL_MAC, PEER_MAC, p!);
    expect(f.length).toBe(ETH_MIN_FRAME);
    expect(get16(f, 12)).toBe(ETHERTYPE_IPV4);
    expect(ipv4ChecksumOk(f)).toBe(true);
    expect(f.subarray(ETH_HEADER + 24).every((b) => b === 0)).toBe(true);
  });
});
