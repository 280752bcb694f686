// The TCP segment on the wire (RFC 9293 §3.1): parse the header, its flags and its options
// from the bytes an IPv4 datagram carries, and build a segment to send, with the checksum
// over the IPv4 pseudo-header. Parsing never throws: a hostile segment gets a reason back.
// Of the options only the Maximum Segment Size is read; others are skipped by their length.

import { get16, get32, put16, put32 } from '../../net/bytes.js';
import { transportChecksum, transportChecksumOk } from '../checksum.js';

/** IPv4 protocol number of TCP (RFC 9293 §3.1, the pseudo-header's PTCL; IANA "Assigned Internet Protocol Numbers"). */
export const IPPROTO_TCP = 6;

/** RFC 9293 §3.1: the header without options is 5 words; Data Offset is 4 bits, so at most 15. */
export const TCP_MIN_HEADER = 20;
export const TCP_MAX_HEADER = 60;

/** Offsets from the start of the TCP header (RFC 9293 §3.1, Figure 1). */
const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const FLAGS = 13;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;

/** Control bits, the header's byte 13 (RFC 9293 §3.1; CWR and ECE from RFC 3168 §23.2). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Option kinds (RFC 9293 §3.2, Table 1) and the MSS option's length. */
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;
const OPTION_MSS_LENGTH = 4;

export const TCP_PARSE_REASONS = Object.freeze(['short-segment', 'bad-data-offset', 'bad-checksum', 'bad-option-length', 'bad-mss-option'] as const);
export type TcpParseReason = (typeof TCP_PARSE_REASONS)[number];

/** The header fields a segment is built from. */
export interface TcpHeaderFields {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** An OR of TCP_FIN ... TCP_CWR. */
  readonly flags: number;
  readonly window: number;
  readonly urgent?: number;
  /** When present, an MSS option (RFC 9293 §3.7.1; sent only with SYN). */
  readonly mss?: number | undefined;
}

/** A parsed segment: its header fields, its header length and its data (a view into the bytes parsed). */
export interface TcpSegment extends Required<Omit<TcpHeaderFields, 'mss'>> {
  readonly mss: number | undefined;
  readonly headerBytes: number;
  readonly payload: Uint8Array;
}

/** Fill the checksum of the whole segment `segment` sent from IPv4 address `src` to `dst` (over the pseudo-header, RFC 9293 §3.1: ../checksum.ts). */
export function putTcpChecksum(segment: Uint8Array, src: number, dst: number): void {
  put16(segment, CHECKSUM, 0);
  put16(segment, CHECKSUM, transportChecksum(src, dst, IPPROTO_TCP, segment));
}

/** Whether the checksum of the whole segment `segment` from `src` to `dst` verifies. */
export function tcpChecksumOk(segment: Uint8Array, src: number, dst: number): boolean {
  return transportChecksumOk(src, dst, IPPROTO_TCP, segment);
}

/** The MSS option's value in options b[from, to), undefined when absent, or why the options are malformed. */
function parseOptions(b: Uint8Array, from: number, to: number): { mss: number | undefined } | TcpParseReason {
  let mss: number | undefined;
  for (let i = from; i < to; ) {
    const kind = b[i]!;
    if (kind === OPTION_END) break;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= to) return 'bad-option-length';
    const length = b[i + 1]!;
    if (length < 2 || i + length > to) return 'bad-option-length';
    if (kind === OPTION_MSS) {
      if (length !== OPTION_MSS_LENGTH || mss !== undefined) return 'bad-mss-option';
      mss = get16(b, i + 2);
      if (mss === 0) return 'bad-mss-option';
    }
    i += length;
  }
  return { mss };
}

/**
 * The segment that is the whole of `bytes` (an IPv4 datagram's payload) sent from `src` to
 * `dst`, or why it is malformed: shorter than a header, a Data Offset below 5 words or past
 * the end, a checksum that fails, an option whose length is below 2 or runs past the header,
 * or an MSS option of the wrong length, repeated or zero (RFC 9293 §3.2: an illegal option
 * length must not crash the receiver).
 */
export function parseSegment(bytes: Uint8Array, src: number, dst: number): TcpSegment | TcpParseReason {
  if (bytes.length < TCP_MIN_HEADER) return 'short-segment';
  const headerBytes = (bytes[DATA_OFFSET]! >>> 4) * 4;
  if (headerBytes < TCP_MIN_HEADER || headerBytes > bytes.length) return 'bad-data-offset';
  if (!tcpChecksumOk(bytes, src, dst)) return 'bad-checksum';
  const options = parseOptions(bytes, TCP_MIN_HEADER, headerBytes);
  if (typeof options === 'string') return options;
  return {
    srcPort: get16(bytes, SRC_PORT),
    dstPort: get16(bytes, DST_PORT),
    seq: get32(bytes, SEQ),
    ack: get32(bytes, ACK),
    flags: bytes[FLAGS]!,
    window: get16(bytes, WINDOW),
    urgent: get16(bytes, URGENT),
    mss: options.mss,
    headerBytes,
    payload: bytes.subarray(headerBytes),
  };
}

/** The segment with header `h` (and its MSS option, if any) carrying `payload`, checksummed for `src` to `dst`. */
export function buildSegment(h: TcpHeaderFields, payload: Uint8Array, src: number, dst: number): Uint8Array {
  const headerBytes = TCP_MIN_HEADER + (h.mss === undefined ? 0 : OPTION_MSS_LENGTH);
  const b = new Uint8Array(headerBytes + payload.length);
  put16(b, SRC_PORT, h.srcPort);
  put16(b, DST_PORT, h.dstPort);
  put32(b, SEQ, h.seq);
  put32(b, ACK, h.ack);
  b[DATA_OFFSET] = (headerBytes / 4) << 4;
  b[FLAGS] = h.flags & 0xff;
  put16(b, WINDOW, h.window);
  put16(b, URGENT, h.urgent ?? 0);
  if (h.mss !== undefined) {
    b[TCP_MIN_HEADER] = OPTION_MSS;
    b[TCP_MIN_HEADER + 1] = OPTION_MSS_LENGTH;
    put16(b, TCP_MIN_HEADER + 2, h.mss);
  }
  b.set(payload, headerBytes);
  putTcpChecksum(b, src, dst);
  return b;
}

/** SEG.LEN (RFC 9293 §3.4): the sequence numbers a segment occupies, its data plus one each for SYN and FIN. */
export function segmentLength(s: Pick<TcpSegment, 'flags' | 'payload'>): number {
  return s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ putTcpChecksum, tcpChecksumOk, parseSegment, buildSegment, segmentLength });
