// Transmit header check (DESIGN.md §5): the driver copies the first TX_HEADER_COPY bytes of
// a frame a stack submits into its own memory and checks that copy, so the stack can
// neither change the header after the check nor spoof another stack: the source MAC must
// be the card's, the source IPv4 address (or ARP sender address) the session's, the
// EtherType IPv4 or ARP, and the lengths sane. Pure over the copy.

import { bytesEqual, get16 } from './bytes.js';
import { parseArp } from './arp.js';
import { ETH_HEADER, ETH_MAX_FRAME, ETH_MIN_FRAME, ETH_SRC, ETH_TYPE, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.js';
import { IPV4_MAX_HEADER, parseIpv4Header } from './ipv4.js';

/** Bytes of a transmitted frame the driver takes into its own memory (header + largest IPv4 header). */
export const TX_HEADER_COPY = ETH_HEADER + IPV4_MAX_HEADER;

export const TX_HEADER_REASONS = Object.freeze(['bad-length', 'spoofed-mac', 'bad-ethertype', 'bad-arp', 'bad-ipv4', 'spoofed-ip'] as const);
export type TxHeaderReason = (typeof TX_HEADER_REASONS)[number];

/** Who a session is on the wire. */
export interface Identity {
  readonly mac: Uint8Array;
  readonly ip: number;
}

/** How many bytes of a `frameLen`-byte frame the driver copies. */
export function headerCopyBytes(frameLen: number): number {
  return Math.min(frameLen, TX_HEADER_COPY);
}

/**
 * Check the driver's copy `header` (the first headerCopyBytes(frameLen) bytes) of a frame of
 * `frameLen` bytes that a session with identity `id` wants to send. Returns undefined when it
 * may go on the wire, or the reason it may not. Frames must be padded to the Ethernet minimum
 * by the stack.
 */
export function checkTransmitHeader(header: Uint8Array, frameLen: number, id: Identity): TxHeaderReason | undefined {
  if (!Number.isInteger(frameLen) || frameLen < ETH_MIN_FRAME || frameLen > ETH_MAX_FRAME) return 'bad-length';
  if (header.length < headerCopyBytes(frameLen)) return 'bad-length';
  if (!bytesEqual(header, ETH_SRC, id.mac, 6)) return 'spoofed-mac';
  const type = get16(header, ETH_TYPE);
  if (type === ETHERTYPE_ARP) {
    const arp = parseArp(header, frameLen);
    if (typeof arp === 'string') return arp;
    if (!bytesEqual(arp.senderMac, 0, id.mac, 6)) return 'spoofed-mac';
    return arp.senderIp === id.ip ? undefined : 'spoofed-ip';
  }
  if (type === ETHERTYPE_IPV4) {
    const ip = parseIpv4Header(header, frameLen);
    if (typeof ip === 'string') return ip;
    return ip.src === id.ip ? undefined : 'spoofed-ip';
  }
  return 'bad-ethertype';
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ headerCopyBytes, checkTransmitHeader });
