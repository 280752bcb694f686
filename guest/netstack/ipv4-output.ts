// IPv4 output for a client's stack (RFC 791 §3.2, RFC 1122 §3.3.5): wrap a transport
// payload in an IPv4 header and, when the datagram is larger than the link's MTU, cut it
// into fragments whose payloads are multiples of 8 bytes; then wrap each packet in an
// Ethernet II header, padded to the Ethernet minimum. Pure: the caller picks the
// identification (one per datagram) and the next hop's MAC.

import { put16, put32 } from '../net/bytes.js';
import { ETH_HEADER, ETH_MIN_FRAME, ETHERTYPE_IPV4, putEthernet } from '../net/ethernet.js';
import { IPV4_DST, IPV4_FLAGS_FRAGMENT, IPV4_IDENTIFICATION, IPV4_MIN_HEADER, IPV4_PROTOCOL, IPV4_SRC, IPV4_TOTAL_LENGTH, IPV4_TTL, putIpv4Checksum } from '../net/ipv4.js';
import { FRAGMENT_UNIT, IPV4_MAX_DATAGRAM } from './ipv4-input.js';

/** RFC 894: the largest IPv4 datagram an Ethernet II frame carries. */
export const ETHERNET_MTU = 1500;
/** RFC 1700 (and Linux's default): the TTL of datagrams this stack sends. */
export const DEFAULT_TTL = 64;
/** Version 4, header length 5 words: the first header byte of every datagram built here. */
const VERSION_IHL = 0x45;
/** RFC 791 §3.1 flag bits in the flags/fragment-offset word. */
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;

export interface Ipv4Send {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  /** The identification, the same in every fragment of the datagram (RFC 6864). */
  readonly id: number;
  /** Set DF (TCP segments, which are sized to fit); a DF datagram larger than the MTU is refused. */
  readonly dontFragment?: boolean;
  readonly payload: Uint8Array;
}

/**
 * The IPv4 packets (header and payload, no Ethernet) that carry `d` over a link of `mtu`:
 * one when it fits, else fragments; 'bad-length' when it can never be sent (larger than an
 * IPv4 datagram, or DF and larger than the MTU).
 */
export function ipv4Packets(d: Ipv4Send, mtu = ETHERNET_MTU): Uint8Array[] | 'bad-length' {
  const total = IPV4_MIN_HEADER + d.payload.length;
  if (total > IPV4_MAX_DATAGRAM || (d.dontFragment && total > mtu)) return 'bad-length';
  if (total <= mtu) return [packet(d, d.payload, 0, false)];
  const step = Math.floor((mtu - IPV4_MIN_HEADER) / FRAGMENT_UNIT) * FRAGMENT_UNIT;
  const out: Uint8Array[] = [];
  for (let off = 0; off < d.payload.length; off += step) {
    const end = Math.min(d.payload.length, off + step);
    out.push(packet(d, d.payload.subarray(off, end), off, end < d.payload.length));
  }
  return out;
}

function packet(d: Ipv4Send, payload: Uint8Array, offset: number, more: boolean): Uint8Array {
  const p = new Uint8Array(IPV4_MIN_HEADER + payload.length);
  p[0] = VERSION_IHL;
  put16(p, IPV4_TOTAL_LENGTH, p.length);
  put16(p, IPV4_IDENTIFICATION, d.id & 0xffff);
  put16(p, IPV4_FLAGS_FRAGMENT, (d.dontFragment ? FLAG_DONT_FRAGMENT : 0) | (more ? FLAG_MORE_FRAGMENTS : 0) | (offset / FRAGMENT_UNIT));
  p[IPV4_TTL] = DEFAULT_TTL;
  p[IPV4_PROTOCOL] = d.protocol;
  put32(p, IPV4_SRC, d.src);
  put32(p, IPV4_DST, d.dst);
  p.set(payload, IPV4_MIN_HEADER);
  return p;
}

/** The Ethernet II frame carrying IPv4 `packet` from `src` to `dst`, padded to 60 bytes, its header checksum filled here. */
export function ethernetFrame(dst: Uint8Array, src: Uint8Array, packet: Uint8Array): Uint8Array {
  const f = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HEADER + packet.length));
  putEthernet(f, dst, src, ETHERTYPE_IPV4);
  f.set(packet, ETH_HEADER);
  putIpv4Checksum(f);
  return f;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ipv4Packets, ethernetFrame });
