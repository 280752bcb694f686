// ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet after the Ethernet header. The
// driver demultiplexes ARP by its target protocol address and checks a transmitted ARP's
// sender addresses; stacks build requests and replies with putArp.

import { get16, get32, put16, put32 } from './bytes.js';
import { ETH_HEADER, ETHERTYPE_IPV4, MAC_BYTES } from './ethernet.js';

export const ARP_BYTES = 28;
/** RFC 826 field values for Ethernet / IPv4. */
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PLEN_IPV4 = 4;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Offsets from the start of the ARP packet. */
const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const SHA = 8;
const SPA = 14;
const THA = 18;
const TPA = 24;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

/** The ARP packet in frame[ETH_HEADER, len), or why it is not a well-formed Ethernet/IPv4 ARP. */
export function parseArp(frame: Uint8Array, len = frame.length): ArpPacket | 'bad-arp' {
  const n = Math.min(len, frame.length);
  const a = ETH_HEADER;
  if (n < a + ARP_BYTES) return 'bad-arp';
  if (get16(frame, a + HTYPE) !== ARP_HTYPE_ETHERNET || get16(frame, a + PTYPE) !== ETHERTYPE_IPV4) return 'bad-arp';
  if (frame[a + HLEN] !== MAC_BYTES || frame[a + PLEN] !== ARP_PLEN_IPV4) return 'bad-arp';
  const op = get16(frame, a + OPER);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return 'bad-arp';
  return {
    op,
    senderMac: frame.slice(a + SHA, a + SHA + MAC_BYTES),
    senderIp: get32(frame, a + SPA),
    targetMac: frame.slice(a + THA, a + THA + MAC_BYTES),
    targetIp: get32(frame, a + TPA),
  };
}

/** Write an ARP packet after the Ethernet header of `frame`. */
export function putArp(frame: Uint8Array, p: ArpPacket): void {
  const a = ETH_HEADER;
  put16(frame, a + HTYPE, ARP_HTYPE_ETHERNET);
  put16(frame, a + PTYPE, ETHERTYPE_IPV4);
  frame[a + HLEN] = MAC_BYTES;
  frame[a + PLEN] = ARP_PLEN_IPV4;
  put16(frame, a + OPER, p.op);
  frame.set(p.senderMac.subarray(0, MAC_BYTES), a + SHA);
  put32(frame, a + SPA, p.senderIp);
  frame.set(p.targetMac.subarray(0, MAC_BYTES), a + THA);
  put32(frame, a + TPA, p.targetIp);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ parseArp, putArp });
