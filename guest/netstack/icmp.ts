// ICMP echo (RFC 792, RFC 1122 §3.2.2.6) for a client's stack: parse an inbound message,
// recognise an echo request, and build the echo reply that returns its identifier,
// sequence number and data unchanged. The checksum covers the whole message (RFC 792: "the
// 16-bit one's complement of the one's complement sum of the ICMP message").

import { get16, put16 } from '../net/bytes.js';
import { onesSum } from '../net/ipv4.js';
import type { StackDropReason } from './drops.js';

/** IANA protocol number of ICMP (RFC 792). */
export const IPPROTO_ICMP = 1;
/** RFC 792 message types used here. */
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
/** RFC 792: type, code, checksum, then (for echo) identifier and sequence number. */
export const ICMP_HEADER = 8;
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const IDENTIFIER = 4;
const SEQUENCE = 6;

export interface IcmpMessage {
  readonly type: number;
  readonly code: number;
  /** The second header word, for echo the identifier and sequence number. */
  readonly identifier: number;
  readonly sequence: number;
  /** What follows the 8-byte header: a view into `message`. */
  readonly data: Uint8Array;
}

/** The ICMP message in `message` (an IPv4 payload), or why it must be dropped. */
export function parseIcmp(message: Uint8Array): IcmpMessage | StackDropReason {
  if (message.length < ICMP_HEADER) return 'truncated-header';
  if (onesSum(message, 0, message.length) !== 0xffff) return 'bad-checksum';
  return { type: message[TYPE]!, code: message[CODE]!, identifier: get16(message, IDENTIFIER), sequence: get16(message, SEQUENCE), data: message.subarray(ICMP_HEADER) };
}

/** The echo request in `message`; other valid ICMP is 'unknown-protocol' to a stack that answers only pings. */
export function parseEchoRequest(message: Uint8Array): IcmpMessage | StackDropReason {
  const m = parseIcmp(message);
  if (typeof m === 'string') return m;
  return m.type === ICMP_ECHO_REQUEST ? m : 'unknown-protocol';
}

/** An ICMP message of `type` and `code` with the echo header fields and `data`, checksum filled. */
export function buildIcmp(type: number, code: number, identifier: number, sequence: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(ICMP_HEADER + data.length);
  m[TYPE] = type;
  m[CODE] = code;
  put16(m, IDENTIFIER, identifier);
  put16(m, SEQUENCE, sequence);
  m.set(data, ICMP_HEADER);
  put16(m, CHECKSUM, ~onesSum(m, 0, m.length) & 0xffff);
  return m;
}

/** The echo reply to `request` (RFC 1122 §3.2.2.6: same identifier, sequence number and data). */
export function buildEchoReply(request: IcmpMessage): Uint8Array {
  return buildIcmp(ICMP_ECHO_REPLY, 0, request.identifier, request.sequence, request.data);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ parseIcmp, parseEchoRequest, buildIcmp, buildEchoReply });
