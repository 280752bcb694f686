// Frame builders for stacks and tests: an ARP request or reply and an IPv4 datagram in an
// Ethernet frame, padded to the Ethernet minimum.

import { ARP_BYTES, ARP_REQUEST, putArp, type ArpPacket } from './arp.js';
import { put16, put32 } from './bytes.js';
import { broadcastMac, ETH_HEADER, ETH_MIN_FRAME, ETHERTYPE_ARP, ETHERTYPE_IPV4, MAC_BYTES, putEthernet } from './ethernet.js';
import { IPV4_DST, IPV4_MIN_HEADER, IPV4_PROTOCOL, IPV4_SRC, IPV4_TOTAL_LENGTH, IPV4_TTL, putIpv4Checksum } from './ipv4.js';

/** RFC 791 defaults for a datagram this code builds. */
const DEFAULT_TTL = 64;
export const IPPROTO_UDP = 17;

/** An ARP frame; a request (the default) is broadcast and asks for `targetIp`. */
export function arpFrame(p: Partial<ArpPacket> & { senderMac: Uint8Array; senderIp: number; targetIp: number }, dst?: Uint8Array): Uint8Array {
  const op = p.op ?? ARP_REQUEST;
  const f = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HEADER + ARP_BYTES));
  const targetMac = p.targetMac ?? new Uint8Array(MAC_BYTES);
  putEthernet(f, dst ?? (op === ARP_REQUEST ? broadcastMac() : targetMac), p.senderMac, ETHERTYPE_ARP);
  putArp(f, { op, senderMac: p.senderMac, senderIp: p.senderIp, targetMac, targetIp: p.targetIp });
  return f;
}

/** An IPv4 datagram (20-byte header, checksum filled) carrying `payload`. */
export function ipv4Frame(o: { dstMac: Uint8Array; srcMac: Uint8Array; src: number; dst: number; payload: Uint8Array; protocol?: number }): Uint8Array {
  const total = IPV4_MIN_HEADER + o.payload.length;
  const f = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HEADER + total));
  putEthernet(f, o.dstMac, o.srcMac, ETHERTYPE_IPV4);
  const h = ETH_HEADER;
  f[h] = 0x45;
  put16(f, h + IPV4_TOTAL_LENGTH, total);
  f[h + IPV4_TTL] = DEFAULT_TTL;
  f[h + IPV4_PROTOCOL] = o.protocol ?? IPPROTO_UDP;
  put32(f, h + IPV4_SRC, o.src);
  put32(f, h + IPV4_DST, o.dst);
  putIpv4Checksum(f);
  f.set(o.payload, h + IPV4_MIN_HEADER);
  return f;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ arpFrame, ipv4Frame });
