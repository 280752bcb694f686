// Inbound IPv4 validation (RFC 791 §3.1, RFC 1122 §3.2.1) for a client's stack: from the
// bytes of a received Ethernet frame to the datagram's header fields and a view of its
// payload, or the reason to drop it. The driver has already applied the shared header
// rules of guest/net/ipv4.ts; the stack cannot rely on that (it trusts nothing it reads out
// of shared memory) and adds what the driver does not check: the header checksum, the
// options, the fragment fields and the destination. TTL is not checked on input (RFC 1122
// §3.2.1.7: a host does not drop a datagram it receives for its TTL).

import { get16 } from '../net/bytes.js';
import { ETH_HEADER } from '../net/ethernet.js';
import { IPV4_FLAGS_FRAGMENT, IPV4_IDENTIFICATION, IPV4_MIN_HEADER, IPV4_TTL, ipv4ChecksumOk, parseIpv4Header } from '../net/ipv4.js';
import type { StackDropReason } from './drops.js';

/** RFC 791 §3.1 flags (the top three bits of the 16-bit flags/fragment-offset field). */
const FLAG_RESERVED = 0x8000;
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;
/** RFC 791 §3.1: fragment offsets and non-final fragment lengths count in 8-byte units. */
export const FRAGMENT_UNIT = 8;
/** RFC 791 §3.1: total length is 16 bits, so no datagram, reassembled or not, exceeds 65535 bytes. */
export const IPV4_MAX_DATAGRAM = 0xffff;
/** RFC 791 §3.1 option kinds that have no length byte. */
const OPTION_END = 0;
const OPTION_NOP = 1;
/** RFC 919: the limited broadcast address. */
export const IPV4_LIMITED_BROADCAST = 0xffffffff;
const IPV4_VERSION = 4;

export interface Ipv4Datagram {
  readonly headerBytes: number;
  readonly totalLength: number;
  readonly id: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Where this fragment's payload starts in the original datagram's payload, in bytes. */
  readonly fragmentOffset: number;
  /** The payload: a view into the frame (copy it to keep it past the frame's lifetime). */
  readonly payload: Uint8Array;
}

/** Whether the datagram is one fragment of a larger one (RFC 791 §3.2: MF set or offset not 0). */
export const isFragment = (d: Ipv4Datagram): boolean => d.moreFragments || d.fragmentOffset !== 0;

/**
 * The IPv4 datagram in frame[ETH_HEADER, len) addressed to `local` (or to the limited
 * broadcast address), or why it must be dropped.
 */
export function ipv4Input(frame: Uint8Array, len: number, local: number): Ipv4Datagram | StackDropReason {
  const present = Math.min(len, frame.length);
  const header = parseIpv4Header(frame, present);
  if (typeof header === 'string') return whyMalformed(frame, present);
  const h = ETH_HEADER;
  if (!ipv4ChecksumOk(frame)) return 'bad-checksum';
  if (!optionsWellFormed(frame, h + IPV4_MIN_HEADER, h + header.headerBytes)) return 'bad-options';
  const flags = get16(frame, h + IPV4_FLAGS_FRAGMENT);
  const payloadBytes = header.totalLength - header.headerBytes;
  const moreFragments = (flags & FLAG_MORE_FRAGMENTS) !== 0;
  const fragmentOffset = (flags & FRAGMENT_OFFSET_MASK) * FRAGMENT_UNIT;
  if (flags & FLAG_RESERVED) return 'bad-fragment';
  if (moreFragments && (payloadBytes === 0 || payloadBytes % FRAGMENT_UNIT !== 0)) return 'bad-fragment';
  if (fragmentOffset + payloadBytes > IPV4_MAX_DATAGRAM - IPV4_MIN_HEADER) return 'bad-fragment';
  if (header.dst !== local && header.dst !== IPV4_LIMITED_BROADCAST) return 'not-for-us';
  return {
    headerBytes: header.headerBytes,
    totalLength: header.totalLength,
    id: get16(frame, h + IPV4_IDENTIFICATION),
    ttl: frame[h + IPV4_TTL]!,
    protocol: header.protocol,
    src: header.src,
    dst: header.dst,
    dontFragment: (flags & FLAG_DONT_FRAGMENT) !== 0,
    moreFragments,
    fragmentOffset,
    payload: frame.subarray(h + header.headerBytes, h + header.totalLength),
  };
}

/** Which rule a header that guest/net/ipv4.ts refused breaks, for the counters. */
function whyMalformed(frame: Uint8Array, present: number): StackDropReason {
  const h = ETH_HEADER;
  if (present < h + IPV4_MIN_HEADER) return 'truncated-header';
  if (frame[h]! >>> 4 !== IPV4_VERSION) return 'bad-version';
  const headerBytes = (frame[h]! & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER) return 'bad-header-length';
  if (h + headerBytes > present) return 'truncated-header';
  return 'bad-length'; // total length below the header or past the frame
}

/** RFC 791 §3.1 option list in b[from, to): single-byte End and No-Operation, else kind, length (>= 2), data. */
function optionsWellFormed(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const kind = b[i]!;
    if (kind === OPTION_END) return true;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    const optionBytes = b[i + 1] ?? 0;
    if (i + 1 >= to || optionBytes < 2 || i + optionBytes > to) return false;
    i += optionBytes;
  }
  return true;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ isFragment, ipv4Input });
