// UDP (RFC 768) for a client's stack: parse an inbound datagram's header and verify its
// checksum over the IPv4 pseudo-header, and build an outbound one. A checksum field of 0
// means the sender computed none (RFC 768; RFC 1122 §4.1.3.4 lets a host accept those); a
// computed checksum of 0 is sent as 0xffff, its one's-complement equal, so it cannot read
// as "none".

import { IPPROTO_UDP } from '../net/build.js';
import { get16, put16 } from '../net/bytes.js';
import { transportChecksum, transportChecksumOk } from './checksum.js';
import type { StackDropReason } from './drops.js';

/** RFC 768: source port, destination port, length, checksum. */
export const UDP_HEADER = 8;
const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;
/** RFC 768: the checksum field value meaning "not computed". */
const NO_CHECKSUM = 0;
/** The most data one UDP datagram in an unfragmented-or-reassembled IPv4 datagram carries: 65535 - 20 - 8. */
export const UDP_MAX_DATA = 65507;

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  /** The data after the header, up to the UDP length: a view into the segment. */
  readonly data: Uint8Array;
}

/**
 * The UDP datagram in `segment` (an IPv4 payload from `src` to `dst`), or why it must be
 * dropped. Bytes past the UDP length are ignored; a UDP length past the segment is refused.
 */
export function parseUdp(segment: Uint8Array, src: number, dst: number): UdpDatagram | StackDropReason {
  if (segment.length < UDP_HEADER) return 'truncated-header';
  const length = get16(segment, LENGTH);
  if (length < UDP_HEADER || length > segment.length) return 'bad-length';
  const udp = segment.subarray(0, length);
  if (get16(udp, CHECKSUM) !== NO_CHECKSUM && !transportChecksumOk(src, dst, IPPROTO_UDP, udp)) return 'bad-checksum';
  return { srcPort: get16(udp, SRC_PORT), dstPort: get16(udp, DST_PORT), data: udp.subarray(UDP_HEADER) };
}

/** A UDP datagram from `src`:`srcPort` to `dst`:`dstPort` carrying `data` (at most UDP_MAX_DATA bytes), checksum filled. */
export function buildUdp(o: { src: number; dst: number; srcPort: number; dstPort: number; data: Uint8Array }): Uint8Array {
  const u = new Uint8Array(UDP_HEADER + o.data.length);
  put16(u, SRC_PORT, o.srcPort);
  put16(u, DST_PORT, o.dstPort);
  put16(u, LENGTH, u.length);
  u.set(o.data, UDP_HEADER);
  put16(u, CHECKSUM, transportChecksum(o.src, o.dst, IPPROTO_UDP, u) || 0xffff);
  return u;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ parseUdp, buildUdp });
