// The Internet checksum (RFC 1071) over a transport segment and the IPv4 pseudo-header
// (RFC 768, RFC 793 §3.1): source, destination, zero, protocol and segment length. UDP uses
// it here; TCP computes the same sum. The one's-complement sum itself is guest/net's.

import { onesSum } from '../net/ipv4.js';

/** The folded one's-complement sum of the pseudo-header for a segment of `length` bytes. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The checksum field value for `segment` (its checksum field zeroed) between `src` and `dst`. */
export function transportChecksum(src: number, dst: number, protocol: number, segment: Uint8Array): number {
  return ~onesSum(segment, 0, segment.length, pseudoHeaderSum(src, dst, protocol, segment.length)) & 0xffff;
}

/** Whether `segment`, checksum field included, verifies between `src` and `dst`. */
export function transportChecksumOk(src: number, dst: number, protocol: number, segment: Uint8Array): boolean {
  return onesSum(segment, 0, segment.length, pseudoHeaderSum(src, dst, protocol, segment.length)) === 0xffff;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ pseudoHeaderSum, transportChecksum, transportChecksumOk });
