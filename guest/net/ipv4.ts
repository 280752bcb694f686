// The IPv4 header (RFC 791 §3.1) as far as the driver needs it: version, header length,
// total length and the two addresses, plus the Internet checksum (RFC 1071) that stacks
// use to fill and verify headers.

import { get16, get32, put16 } from './bytes.js';
import { ETH_HEADER } from './ethernet.js';

/** RFC 791: header length bounds (IHL 5..15 words). */
export const IPV4_MIN_HEADER = 20;
export const IPV4_MAX_HEADER = 60;
/** Offsets from the start of the IPv4 header. */
export const IPV4_TOTAL_LENGTH = 2;
export const IPV4_IDENTIFICATION = 4;
export const IPV4_FLAGS_FRAGMENT = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTOCOL = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;

export interface Ipv4Header {
  readonly headerBytes: number;
  readonly totalLength: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
}

/**
 * The IPv4 header of a frame of `len` bytes whose first bytes are in `frame` (the driver
 * passes only the prefix it copied), or 'bad-ipv4' when the version is not 4, the header
 * length is out of range, past the frame or past the bytes given, or the total length
 * disagrees with the frame (shorter than the header, or longer than the frame; Ethernet
 * padding may make the frame longer than the datagram).
 */
export function parseIpv4Header(frame: Uint8Array, len = frame.length): Ipv4Header | 'bad-ipv4' {
  const h = ETH_HEADER;
  const present = Math.min(len, frame.length);
  if (present < h + IPV4_MIN_HEADER) return 'bad-ipv4';
  const vihl = frame[h]!;
  if (vihl >>> 4 !== 4) return 'bad-ipv4';
  const headerBytes = (vihl & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER || h + headerBytes > present) return 'bad-ipv4';
  const totalLength = get16(frame, h + IPV4_TOTAL_LENGTH);
  if (totalLength < headerBytes || h + totalLength > len) return 'bad-ipv4';
  return { headerBytes, totalLength, protocol: frame[h + IPV4_PROTOCOL]!, src: get32(frame, h + IPV4_SRC), dst: get32(frame, h + IPV4_DST) };
}

/** RFC 1071 one's-complement sum of b[off, off+len), folded to 16 bits (not complemented). */
export function onesSum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  for (let i = 0; i + 1 < len; i += 2) s += get16(b, off + i);
  if (len & 1) s += (b[off + len - 1] ?? 0) << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Fill the header checksum of the IPv4 header at frame[ETH_HEADER ...]. */
export function putIpv4Checksum(frame: Uint8Array): void {
  const h = ETH_HEADER;
  const headerBytes = (frame[h]! & 0x0f) * 4;
  put16(frame, h + IPV4_CHECKSUM, 0);
  put16(frame, h + IPV4_CHECKSUM, ~onesSum(frame, h, headerBytes) & 0xffff);
}

/** Whether the IPv4 header checksum verifies. */
export function ipv4ChecksumOk(frame: Uint8Array): boolean {
  const headerBytes = (frame[ETH_HEADER]! & 0x0f) * 4;
  return onesSum(frame, ETH_HEADER, headerBytes) === 0xffff;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ parseIpv4Header, onesSum, putIpv4Checksum, ipv4ChecksumOk });
