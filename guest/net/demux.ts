// Receive demultiplexing (DESIGN.md §5): which session a received frame belongs to, decided
// from its header alone. ARP goes by its target protocol address, so a broadcast ARP request
// reaches only the stack whose address it asks for; IPv4 goes by destination address.
// Everything else is a drop with a reason the driver counts. Pure: the caller passes the
// frame's first bytes (its own copy) and the frame's length.

import { parseArp } from './arp.js';
import { ETH_HEADER, ETH_MAX_FRAME, ETH_TYPE, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.js';
import { get16 } from './bytes.js';
import { IPV4_MAX_HEADER, parseIpv4Header } from './ipv4.js';

/** How many leading bytes of a frame demultiplexing reads (Ethernet + the largest IPv4 header). */
export const DEMUX_BYTES = ETH_HEADER + IPV4_MAX_HEADER;

/** Why a received frame reached no session. */
export const DROP_REASONS = Object.freeze([
  'runt', // shorter than an Ethernet header
  'too-long', // longer than an Ethernet frame
  'bad-ethertype', // neither IPv4 nor ARP
  'bad-arp', // malformed ARP
  'bad-ipv4', // malformed IPv4 header
  'unknown-destination', // no session has the address
  'no-buffer', // the session had posted no receive buffer
  'ring-full', // the session's deliver ring was full (the stack is not consuming)
  'revoked', // the session's storage was revoked during the delivery
  'rx-error', // the card reported an error for the frame
] as const);
export type DropReason = (typeof DROP_REASONS)[number];

export type Destination = { readonly kind: 'arp' | 'ipv4'; readonly ip: number };

/** The address a frame is for, or why it is for nobody. */
export function destinationOf(frame: Uint8Array, len: number): Destination | DropReason {
  if (len < ETH_HEADER || frame.length < ETH_HEADER) return 'runt';
  if (len > ETH_MAX_FRAME) return 'too-long';
  const type = get16(frame, ETH_TYPE);
  if (type === ETHERTYPE_ARP) {
    const arp = parseArp(frame, len);
    return typeof arp === 'string' ? arp : { kind: 'arp', ip: arp.targetIp };
  }
  if (type === ETHERTYPE_IPV4) {
    const ip = parseIpv4Header(frame, len);
    return typeof ip === 'string' ? ip : { kind: 'ipv4', ip: ip.dst };
  }
  return 'bad-ethertype';
}

/** The session `lookup` gives for the frame's destination address, or the reason to drop it. */
export function demultiplex<S>(frame: Uint8Array, len: number, lookup: (ip: number) => S | undefined): { session: S } | { drop: DropReason } {
  const d = destinationOf(frame, len);
  if (typeof d === 'string') return { drop: d };
  const session = lookup(d.ip);
  return session === undefined ? { drop: 'unknown-destination' } : { session };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ destinationOf, demultiplex });
