// Ethernet II framing (IEEE 802.3 §3.2, EtherType form): the 14-byte header the driver
// reads to demultiplex and checks before it transmits. A frame here runs from the
// destination address to the end of the payload; the card adds and strips the FCS.

import { get16 } from './bytes.js';

export const MAC_BYTES = 6;
export const ETH_HEADER = 14;
/** IEEE 802.3 §4.4.2: frame length without FCS, minimum (padded) and maximum. */
export const ETH_MIN_FRAME = 60;
export const ETH_MAX_FRAME = 1514;
/** Offsets of the header fields. */
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
/** EtherTypes (IEEE registry): the only two a stack may send or receive here. */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;

/** The broadcast address, a new copy each call (a shared Uint8Array cannot be frozen). */
export const broadcastMac = (): Uint8Array => new Uint8Array(MAC_BYTES).fill(0xff);

export interface EthernetHeader {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly type: number;
}

/** The header of frame[0, len), or undefined when the frame is shorter than a header. */
export function parseEthernet(frame: Uint8Array, len = frame.length): EthernetHeader | undefined {
  if (len < ETH_HEADER || frame.length < ETH_HEADER) return undefined;
  return { dst: frame.slice(ETH_DST, ETH_DST + MAC_BYTES), src: frame.slice(ETH_SRC, ETH_SRC + MAC_BYTES), type: get16(frame, ETH_TYPE) };
}

export function isBroadcast(frame: Uint8Array): boolean {
  if (frame.length < ETH_DST + MAC_BYTES) return false;
  for (let i = 0; i < MAC_BYTES; i++) if (frame[ETH_DST + i] !== 0xff) return false;
  return true;
}

/** Write an Ethernet header into `frame`. */
export function putEthernet(frame: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  frame.set(dst.subarray(0, MAC_BYTES), ETH_DST);
  frame.set(src.subarray(0, MAC_BYTES), ETH_SRC);
  frame[ETH_TYPE] = type >>> 8;
  frame[ETH_TYPE + 1] = type & 0xff;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ broadcastMac, parseEthernet, isBroadcast, putEthernet });
