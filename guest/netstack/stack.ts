// One client's TCP/IP stack: Ethernet II in and out, ARP (arp-cache.ts), IPv4 input with
// reassembly (ipv4-input.ts, reassembly.ts) and output with fragmentation (ipv4-output.ts),
// ICMP echo (icmp.ts), UDP (udp.ts) and TCP (tcp/table.ts), behind the socket API
// (sockets.ts). Pure and deterministic: frames go in with input(), timers run with tick(),
// both at a cycle the caller gives; frames to transmit come out of takeFrames(). It touches
// no memory but its own objects, so the same code runs as a stack domain (domain.ts, which
// reads and writes the frames through the domain's memory view) and as the peer host on the
// wire (emulator/cli/scenario/peer-host.ts). Everything malformed is dropped and counted
// (drops.ts), never thrown. All destinations are on the link: there is no router.
//
// Frames wait to be sent in two bands, like Linux's pfifo_fast: TCP segments in one, in the
// order TCP made them (so no connection's ACK or FIN overtakes its own data), and datagrams
// (UDP, ICMP) and ARP ahead of them in the other, so a ping never waits behind a window of
// bulk data. The datagram band is bounded (txQueue, drops counted tx-queue-full); the TCP
// band needs no bound of its own, TCP's send buffers and windows bound it.

import { ARP_BYTES } from '../net/arp.js';
import { bytesEqual, get16 } from '../net/bytes.js';
import { broadcastMac, ETH_DST, ETH_HEADER, ETH_TYPE, ETHERTYPE_ARP, ETHERTYPE_IPV4, isBroadcast, MAC_BYTES } from '../net/ethernet.js';
import { ArpCache, defaultArpConfig } from './arp-cache.js';
import { newStackCounters, type StackCounters } from './counters.js';
import { countDrop } from './drops.js';
import { earliest } from './due.js';
import { buildEchoReply, buildIcmp, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, IPPROTO_ICMP, parseIcmp } from './icmp.js';
import { IPV4_LIMITED_BROADCAST, ipv4Input } from './ipv4-input.js';
import { ethernetFrame, ipv4Packets } from './ipv4-output.js';
import { defaultReassemblyConfig, Reassembler } from './reassembly.js';
import { UdpSocket, type Datagram, type TcpListener, type TcpSocket, type UdpHost } from './sockets.js';
import { rfc6298Params } from './tcp/rto.js';
import { parseSegment, IPPROTO_TCP } from './tcp/segment.js';
import { TcpTable, type IpSender, type TcpOptions } from './tcp/table.js';
import { IPPROTO_UDP } from '../net/build.js';
import { buildUdp, parseUdp, UDP_MAX_DATA } from './udp.js';

/** RFC 9293 §3.7.1: the MSS of a 1500-byte MTU (1500 - 20 - 20). */
export const ETHERNET_MSS = 1460;
/** RFC 6298 §2.4 asks for at least 1 s; like Linux (TCP_RTO_MIN), this stack allows 200 ms, which a LAN's round trips are far below. */
export const RTO_MIN_SECONDS = 0.2;
/** Linux's TCP_DELACK_MIN: an ACK for a lone segment waits at most 40 ms (RFC 1122 §4.2.3.2 allows up to 500). */
export const DELAYED_ACK_SECONDS = 0.04;
/** Linux's TCP_TIMEWAIT_LEN: TIME-WAIT lasts 60 s (RFC 9293's 2 * MSL with MSL 2 min would be 240). */
export const TIME_WAIT_SECONDS = 60;
/** Echo replies kept for pingers that have not taken them yet. */
const MAX_ECHO_REPLIES = 256;
/** How often ARP retries and reassembly timeouts are looked at while any are pending: a tenth of the ARP request interval. */
const HOUSEKEEPING_FRACTION = 10;

export interface StackConfig {
  readonly mac: Uint8Array;
  readonly ip: number;
  /** Cycles per second of the clock `now` counts (the CPU's, for a stack domain). */
  readonly cpuHz: number;
  /** Seeds initial sequence numbers, ephemeral ports and IPv4 identifications (a run's seed gives each stack its own). */
  readonly secret: number;
  readonly tcp?: Partial<TcpOptions>;
  /** Datagrams a UDP socket holds before it drops (default 64). */
  readonly udpQueue?: number;
  /** Frames waiting to be transmitted before more are dropped (default 512). */
  readonly txQueue?: number;
}

export function defaultTcpOptions(cpuHz: number): TcpOptions {
  return {
    mss: ETHERNET_MSS,
    sendBuffer: 64 * 1024,
    receiveBuffer: 0xffff,
    rto: { ...rfc6298Params(cpuHz), min: Math.round(RTO_MIN_SECONDS * cpuHz) },
    timeWait: TIME_WAIT_SECONDS * cpuHz,
    delayedAck: Math.round(DELAYED_ACK_SECONDS * cpuHz),
    backlog: 16,
    maxConnections: 1024,
    maxPerRemote: 1024,
  };
}

/** An echo reply a ping got back. */
export interface EchoReply {
  readonly from: number;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  readonly cycle: number;
}

export class NetStack implements IpSender, UdpHost {
  readonly mac: Uint8Array;
  readonly ip: number;
  /** What the stack counted (plain data, updated in place). */
  readonly counters: StackCounters = newStackCounters();
  /** Echo replies received, oldest first, until their pinger takes them (takeEchoReplies); at most MAX_ECHO_REPLIES are kept. */
  private echoReplies: EchoReply[] = [];
  private readonly arp: ArpCache;
  private readonly reassembler: Reassembler;
  private readonly tcp: TcpTable;
  private readonly udp = new Map<number, UdpSocket>();
  private frames: Uint8Array[] = [];
  private bulk: Uint8Array[] = [];
  private nextId: number;
  private time = 0;
  private lastHousekeeping = 0;
  private readonly housekeeping: number;

  constructor(private readonly config: StackConfig) {
    this.mac = config.mac.slice();
    this.ip = config.ip >>> 0;
    const hz = config.cpuHz;
    const arpConfig = defaultArpConfig(hz);
    this.housekeeping = Math.max(1, Math.floor(arpConfig.requestIntervalCycles / HOUSEKEEPING_FRACTION));
    this.arp = new ArpCache({ mac: this.mac, ip: this.ip }, arpConfig, this.counters.drops);
    this.reassembler = new Reassembler(defaultReassemblyConfig(hz), this.counters.drops);
    this.tcp = new TcpTable(this, { ...defaultTcpOptions(hz), ...config.tcp }, config.secret >>> 0, this.counters.tcp, this.counters.drops, hz);
    this.nextId = (config.secret * 0x9e37) & 0xffff;
  }

  get now(): number {
    return this.time;
  }

  // --- the socket API ------------------------------------------------------------------------

  listen(port: number, backlog?: number): TcpListener | 'port-in-use' | 'bad-port' {
    return this.tcp.listen(port, backlog);
  }

  connect(ip: number, port: number): TcpSocket | 'bad-port' | 'no-ports' | 'table-full' {
    return this.tcp.connect(ip >>> 0, port, this.time);
  }

  udpBind(port: number): UdpSocket | 'port-in-use' | 'bad-port' {
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) return 'bad-port';
    if (this.udp.has(port)) return 'port-in-use';
    const s = new UdpSocket(this, port, this.config.udpQueue ?? 64);
    this.udp.set(port, s);
    return s;
  }

  unbind(s: UdpSocket): void {
    if (this.udp.get(s.port) === s) this.udp.delete(s.port);
  }

  udpSend(from: number, ip: number, port: number, data: Uint8Array): boolean {
    if (data.length > UDP_MAX_DATA || !Number.isInteger(port) || port < 1 || port > 0xffff) return false;
    if (this.frames.length >= (this.config.txQueue ?? 512)) return false;
    this.counters.udp.datagramsOut++;
    this.counters.udp.bytesOut += data.length;
    this.sendIp(ip >>> 0, IPPROTO_UDP, buildUdp({ src: this.ip, dst: ip >>> 0, srcPort: from, dstPort: port, data }), false);
    return true;
  }

  /** Send an ICMP echo request; the reply shows up in takeEchoReplies(). */
  ping(ip: number, identifier: number, sequence: number, data: Uint8Array): void {
    this.counters.icmp.echoRequestsOut++;
    this.sendIp(ip >>> 0, IPPROTO_ICMP, buildIcmp(ICMP_ECHO_REQUEST, 0, identifier & 0xffff, sequence & 0xffff, data), false);
  }

  /** The echo replies received for pings sent with `identifier`, oldest first; each is handed out once. */
  takeEchoReplies(identifier: number): EchoReply[] {
    const mine = this.echoReplies.filter((r) => r.identifier === identifier);
    if (mine.length > 0) this.echoReplies = this.echoReplies.filter((r) => r.identifier !== identifier);
    return mine;
  }

  /** TCP connections in the table. */
  get connections(): number {
    return this.tcp.size;
  }

  // --- the link -------------------------------------------------------------------------------

  /** Up to `max` of the frames to transmit, the control band first, each band oldest first; each frame is handed out once. */
  takeFrames(max = Infinity): Uint8Array[] {
    const out = this.frames.splice(0, Math.max(0, max));
    if (out.length < max) out.push(...this.bulk.splice(0, max - out.length));
    return out;
  }

  /** Frames waiting in takeFrames(). */
  get framesWaiting(): number {
    return this.frames.length + this.bulk.length;
  }

  /** One received Ethernet frame (without FCS) at cycle `now`. */
  input(frame: Uint8Array, now: number): void {
    this.time = Math.max(this.time, now);
    const drops = this.counters.drops;
    this.counters.ip.framesIn++;
    if (frame.length < ETH_HEADER) return countDrop(drops, 'truncated-header');
    if (!isBroadcast(frame) && !bytesEqual(frame, ETH_DST, this.mac, MAC_BYTES)) return countDrop(drops, 'not-for-us');
    const type = get16(frame, ETH_TYPE);
    if (type === ETHERTYPE_ARP) return this.arpInput(frame);
    if (type !== ETHERTYPE_IPV4) return countDrop(drops, 'unknown-protocol');
    const d = ipv4Input(frame, frame.length, this.ip);
    if (typeof d === 'string') return countDrop(drops, d);
    const r = this.reassembler.accept(d, this.time);
    if (!('datagram' in r)) return; // held, or dropped and counted
    if (r.fragments > 1) this.counters.ip.reassembled++;
    const dg = r.datagram;
    switch (dg.protocol) {
      case IPPROTO_TCP:
        return this.tcp.input(parseSegment(dg.payload, dg.src, dg.dst), dg.src, this.time);
      case IPPROTO_UDP:
        return this.udpInput(dg.payload, dg.src, dg.dst);
      case IPPROTO_ICMP:
        return this.icmpInput(dg.payload, dg.src, dg.dst);
      default:
        return countDrop(drops, 'unknown-protocol');
    }
  }

  /** The clock reached `now`: TCP timers, ARP retries and timeouts, reassembly timeouts. */
  tick(now: number): void {
    this.time = Math.max(this.time, now);
    this.tcp.tick(this.time);
    if (this.time - this.lastHousekeeping >= this.housekeeping) {
      this.lastHousekeeping = this.time;
      for (const r of this.arp.requestsDue(this.time)) this.queueFrame(r, true);
      this.reassembler.expire(this.time);
    }
  }

  /** The earliest cycle at which tick() has work, or undefined when nothing is pending. */
  nextDeadline(): number | undefined {
    const housekeeping = this.arp.resolving > 0 || this.reassembler.datagramsHeld > 0 ? this.lastHousekeeping + this.housekeeping : undefined;
    return earliest([this.tcp.deadline(), housekeeping]);
  }

  /** IpSender: one IPv4 payload to `dst`, fragmented when it must be, each packet routed through ARP. */
  sendIp(dst: number, protocol: number, payload: Uint8Array, dontFragment: boolean, bulk = false): void {
    const packets = ipv4Packets({ src: this.ip, dst, protocol, id: this.nextId, dontFragment, payload });
    this.nextId = (this.nextId + 1) & 0xffff;
    if (packets === 'bad-length') return countDrop(this.counters.drops, 'bad-length');
    if (packets.length > 1) this.counters.ip.fragmentsOut += packets.length;
    for (const p of packets) this.route(dst, p, bulk);
  }

  private route(dst: number, packet: Uint8Array, bulk: boolean): void {
    if (dst === IPV4_LIMITED_BROADCAST) return this.queueFrame(ethernetFrame(broadcastMac(), this.mac, packet));
    const r = this.arp.resolve(dst, packet, this.time);
    if ('mac' in r) this.queueFrame(ethernetFrame(r.mac, this.mac, packet), false, bulk);
    else if ('queued' in r && r.request) this.queueFrame(r.request, true);
  }

  private queueFrame(frame: Uint8Array, arpRequest = false, bulk = false): void {
    if (!bulk && this.frames.length >= (this.config.txQueue ?? 512)) return countDrop(this.counters.drops, 'tx-queue-full');
    if (arpRequest) this.counters.ip.arpRequestsOut++;
    this.counters.ip.framesOut++;
    (bulk ? this.bulk : this.frames).push(frame);
  }

  private arpInput(frame: Uint8Array): void {
    if (frame.length < ETH_HEADER + ARP_BYTES) return countDrop(this.counters.drops, 'bad-arp');
    const r = this.arp.receive(frame, frame.length, this.time);
    if (r.reply) {
      this.counters.ip.arpRepliesOut++;
      this.queueFrame(r.reply);
    }
    if (r.mac) for (const p of r.released) this.queueFrame(ethernetFrame(r.mac, this.mac, p));
  }

  private udpInput(segment: Uint8Array, src: number, dst: number): void {
    const u = parseUdp(segment, src, dst);
    if (typeof u === 'string') return countDrop(this.counters.drops, u);
    const s = this.udp.get(u.dstPort);
    if (!s) return countDrop(this.counters.drops, 'no-port');
    if (s.queue.length >= s.limit) return countDrop(this.counters.drops, 'socket-queue-full');
    this.counters.udp.datagramsIn++;
    this.counters.udp.bytesIn += u.data.length;
    const d: Datagram = { ip: src, port: u.srcPort, data: u.data.slice() };
    s.queue.push(d);
  }

  private icmpInput(message: Uint8Array, src: number, dst: number): void {
    const m = parseIcmp(message);
    if (typeof m === 'string') return countDrop(this.counters.drops, m);
    if (m.type === ICMP_ECHO_REQUEST && dst === this.ip) {
      this.counters.icmp.echoRequestsIn++;
      this.counters.icmp.echoRepliesOut++;
      return this.sendIp(src, IPPROTO_ICMP, buildEchoReply(m), false);
    }
    if (m.type === ICMP_ECHO_REPLY) {
      this.counters.icmp.echoRepliesIn++;
      if (this.echoReplies.length >= MAX_ECHO_REPLIES) this.echoReplies.shift(); // nobody is taking them
      this.echoReplies.push({ from: src, identifier: m.identifier, sequence: m.sequence, data: m.data.slice(), cycle: this.time });
      return;
    }
    countDrop(this.counters.drops, 'unknown-protocol');
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ defaultTcpOptions, NetStack });
