// Frames for the stack's tests: IPv4 datagrams with chosen identification, fragment fields
// and options, built on guest/net's builders and header helpers.

import { parseIpv4, parseMac, put16, put32 } from '../../guest/net/bytes.js';
import { ETH_HEADER, ETH_MIN_FRAME, ETHERTYPE_IPV4, putEthernet } from '../../guest/net/ethernet.js';
import { IPV4_DST, IPV4_MIN_HEADER, IPV4_PROTOCOL, IPV4_SRC, IPV4_TOTAL_LENGTH, putIpv4Checksum } from '../../guest/net/ipv4.js';
import { IPV4_FLAGS_FRAGMENT, IPV4_IDENTIFICATION, IPV4_TTL } from '../../guest/net/ipv4.js';

export const LOCAL_MAC = parseMac('02:52:4c:00:00:01')!;
export const PEER_MAC = parseMac('02:00:00:00:00:99')!;
export const LOCAL = parseIpv4('10.0.0.2')!;
export const PEER = parseIpv4('10.0.0.1')!;

export interface DatagramSpec {
  payload: Uint8Array;
  src?: number;
  dst?: number;
  protocol?: number;
  id?: number;
  /** Fragment offset in bytes (a multiple of 8). */
  offset?: number;
  more?: boolean;
  dontFragment?: boolean;
  options?: Uint8Array; // padded by the caller to a multiple of 4
  ttl?: number;
}

/** An Ethernet frame carrying the IPv4 datagram `s` describes, header checksum filled. */
export function datagramFrame(s: DatagramSpec): Uint8Array {
  const options = s.options ?? new Uint8Array(0);
  const headerBytes = IPV4_MIN_HEADER + options.length;
  const total = headerBytes + s.payload.length;
  const f = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HEADER + total));
  putEthernet(f, LOCAL_MAC, PEER_MAC, ETHERTYPE_IPV4);
  const h = ETH_HEADER;
  f[h] = 0x40 | (headerBytes / 4);
  put16(f, h + IPV4_TOTAL_LENGTH, total);
  put16(f, h + IPV4_IDENTIFICATION, s.id ?? 0x1234);
  put16(f, h + IPV4_FLAGS_FRAGMENT, ((s.offset ?? 0) / 8) | (s.more ? 0x2000 : 0) | (s.dontFragment ? 0x4000 : 0));
  f[h + IPV4_TTL] = s.ttl ?? 64;
  f[h + IPV4_PROTOCOL] = s.protocol ?? 17;
  put32(f, h + IPV4_SRC, s.src ?? PEER);
  put32(f, h + IPV4_DST, s.dst ?? LOCAL);
  f.set(options, h + IPV4_MIN_HEADER);
  putIpv4Checksum(f);
  f.set(s.payload, h + headerBytes);
  return f;
}

/** `n` bytes counting up from `start` (mod 256), so misplaced bytes show. */
export const pattern = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
