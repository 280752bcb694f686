// The packet log and the charts' data: a listener on the wire (as the pcap writer is) names
// every frame in one line and counts each client's bytes on the wire; at a fixed emulated
// interval the counts become a chart point, with the driver's drops for each client in that
// interval. The interval is in cycles, not host time, so the charts of a run are the same
// whatever speed it was watched at. A listener only hears frames: the run is unchanged.

import { formatIpv4, get16 } from '../../../guest/net/bytes.js';
import { ETH_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from '../../../guest/net/ethernet.js';
import { parseIpv4Header } from '../../../guest/net/ipv4.js';
import { IPPROTO_UDP } from '../../../guest/net/build.js';
import { IPPROTO_ICMP } from '../../../guest/netstack/icmp.js';
import { IPPROTO_TCP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../guest/netstack/tcp/segment.js';
import { FCS_BYTES } from '../../../devices/frame.js';
import type { Reception } from '../../../devices/wire/reception.js';
import type { Wire } from '../../../devices/wire/wire.js';
import { bytesEqual } from '../../../guest/net/bytes.js';
import { CARD_MAC, ipOf } from '../../cli/scenario/net.js';
import type { PacketView, SeriesPoint } from '../protocol.js';

/** Packets kept for the next snapshot (a busy link puts ~8,000 frames a second on the wire). */
export const PENDING_PACKETS = 500;
/** One chart point per this many emulated seconds: 0.5 ms. */
export const POINT_SECONDS = 0.0005;

const FLAGS: readonly [number, string][] = [[TCP_SYN, 'SYN'], [TCP_FIN, 'FIN'], [TCP_RST, 'RST'], [TCP_PSH, 'PSH'], [TCP_ACK, 'ACK']];

/** One line for a frame: addresses, protocol, ports and flags, length. */
export function describeFrame(frame: Uint8Array): string {
  const eth = parseEthernet(frame);
  if (!eth) return `runt frame (${frame.length} bytes)`;
  if (eth.type === ETHERTYPE_ARP) return 'ARP';
  if (eth.type !== ETHERTYPE_IPV4) return `ethertype 0x${eth.type.toString(16).padStart(4, '0')}`;
  const ip = parseIpv4Header(frame);
  if (ip === 'bad-ipv4') return 'IPv4 (bad header)';
  const at = ETH_HEADER + ip.headerBytes;
  const route = `${formatIpv4(ip.src)} → ${formatIpv4(ip.dst)}`;
  const ports = () => (frame.length >= at + 4 ? ` ${get16(frame, at)} → ${get16(frame, at + 2)}` : '');
  switch (ip.protocol) {
    case IPPROTO_TCP: {
      const f = frame[at + 13] ?? 0;
      const flags = FLAGS.filter(([bit]) => f & bit).map(([, name]) => name).join(',');
      const data = ip.totalLength - ip.headerBytes - ((frame[at + 12] ?? 0) >>> 4) * 4;
      return `${route} TCP${ports()} [${flags}] ${Math.max(0, data)} bytes`;
    }
    case IPPROTO_UDP:
      return `${route} UDP${ports()} ${Math.max(0, ip.totalLength - ip.headerBytes - 8)} bytes`;
    case IPPROTO_ICMP:
      return `${route} ICMP type ${frame[at] ?? '?'}`;
    default:
      return `${route} protocol ${ip.protocol}`;
  }
}

/** The client (0-based) a frame is to or from, by its IPv4 addresses; -1 for none. */
function clientOf(frame: Uint8Array, clients: number): number {
  const ip = parseIpv4Header(frame);
  if (ip === 'bad-ipv4') return -1;
  for (let k = 0; k < clients; k++) if (ip.dst === ipOf(k) || ip.src === ipOf(k)) return k;
  return -1;
}

export class PacketLog {
  private pending: PacketView[] = [];
  private points: SeriesPoint[] = [];
  /** Bytes per client of each interval not yet closed, by interval number (a frame counts in the interval its last byte arrived in). */
  private readonly open = new Map<number, number[]>();
  private dropsAt: number[];
  /** The next interval to close. */
  private next = 0;
  dropped = 0;

  constructor(
    wire: Wire,
    private readonly clients: number,
    private readonly interval: number,
    /** The driver's drops and rejections of each client so far. */
    private readonly drops: () => number[],
  ) {
    this.dropsAt = new Array<number>(clients).fill(0);
    wire.attach({ name: 'page', frame: (bytes, rx) => this.heard(bytes, rx) });
  }

  private heard(bytes: Uint8Array, rx: Reception): void {
    const frame = bytes.subarray(0, bytes.length - FCS_BYTES);
    const k = clientOf(frame, this.clients);
    if (k >= 0) {
      const bin = Math.floor(rx.end / this.interval);
      let bytes = this.open.get(bin);
      if (!bytes) this.open.set(bin, (bytes = new Array<number>(this.clients).fill(0)));
      bytes[k]! += frame.length;
    }
    const direction = bytesEqual(frame, 0, CARD_MAC) ? 'in' : 'out';
    this.pending.push({ cycle: rx.end, direction, length: frame.length, summary: describeFrame(frame) });
    if (this.pending.length >= 2 * PENDING_PACKETS) {
      this.pending.splice(0, PENDING_PACKETS);
      this.dropped += PENDING_PACKETS;
    }
  }

  /**
   * Close every chart interval that ended by `now`. Drops are the driver's counts read now,
   * so they fall in the last interval closed (the driver's counters carry no cycle).
   */
  tick(now: number): void {
    const last = Math.floor(now / this.interval);
    if (this.next >= last) return;
    const drops = this.drops();
    for (; this.next < last; this.next++) {
      const bytes = this.open.get(this.next) ?? new Array<number>(this.clients).fill(0);
      this.open.delete(this.next);
      const closing = this.next === last - 1;
      this.points.push({ cycle: (this.next + 1) * this.interval, bytes, drops: closing ? drops.map((d, k) => d - this.dropsAt[k]!) : new Array<number>(this.clients).fill(0) });
    }
    this.dropsAt = drops;
  }

  take(): { packets: PacketView[]; points: SeriesPoint[] } {
    const out = { packets: this.pending, points: this.points };
    this.pending = [];
    this.points = [];
    return out;
  }
}
