// The TCP layer of one stack: the connection table (RFC 9293 §3.10.7: a segment goes to the
// connection of its 4-tuple, else to a listener of its port, else it gets a RST), the
// listeners with their backlogs, active opens from ephemeral ports, initial sequence numbers
// after RFC 6528, and the counters. Each connection (connection.ts) stays pure; this layer
// turns its output segments into IPv4 payloads through `IpSender` and retires it once CLOSED.

import { earliest } from '../due.js';
import type { DropCounters } from '../drops.js';
import { countDrop } from '../drops.js';
import type { TcpCounters } from '../counters.js';
import { TcpListener, TcpSocket, type ListenHost, type TcpHost } from '../sockets.js';
import { Connection, resetFor, type ConnectionParams, type OutSegment } from './connection.js';
import type { RtoParams } from './rto.js';
import { buildSegment, IPPROTO_TCP, TCP_ACK, TCP_RST, TCP_SYN, type TcpParseReason, type TcpSegment } from './segment.js';
import { seqAdd } from './seq.js';

/** IANA (RFC 6335 §6): the dynamic port range active opens take their local port from. */
export const EPHEMERAL_FIRST = 49152;
export const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
/** RFC 6528 §3: the ISN's clock M ticks every 4 µs. */
const ISN_TICKS_PER_SECOND = 250_000;

export interface TcpOptions {
  readonly mss: number;
  readonly sendBuffer: number;
  readonly receiveBuffer: number;
  readonly rto: RtoParams;
  /** 2 * MSL, in cycles. */
  readonly timeWait: number;
  /** Longest delay of an ACK, in cycles. */
  readonly delayedAck: number;
  /** Default listen backlog, and the most connections the table holds. */
  readonly backlog: number;
  readonly maxConnections: number;
  /**
   * The most connections one remote address may hold in the table: a host serving many peers
   * (the peer host) keeps one of them from taking the table from the others.
   */
  readonly maxPerRemote: number;
}

/** Where the TCP layer sends an IPv4 payload. */
export interface IpSender {
  readonly ip: number;
  /** `bulk`: a TCP segment (it waits, in order, behind the stack's datagrams and ARP frames). */
  sendIp(dst: number, protocol: number, payload: Uint8Array, dontFragment: boolean, bulk: boolean): void;
}

/** What a parse failure counts as among the stack's drop reasons. */
const PARSE_DROP: Readonly<Record<TcpParseReason, 'truncated-header' | 'bad-header-length' | 'bad-checksum' | 'bad-options'>> = Object.freeze({
  'short-segment': 'truncated-header',
  'bad-data-offset': 'bad-header-length',
  'bad-checksum': 'bad-checksum',
  'bad-option-length': 'bad-options',
  'bad-mss-option': 'bad-options',
});

const key = (remoteIp: number, remotePort: number, localPort: number): string => `${remoteIp}:${remotePort}:${localPort}`;

/** A 32-bit mix (the finalizer of MurmurHash3): the keyed hash F of RFC 6528, over small integers. */
function mix32(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class TcpTable implements TcpHost, ListenHost {
  private readonly connections = new Map<string, TcpSocket>();
  private readonly listeners = new Map<number, TcpListener>();
  /** Connections in the table per remote address. */
  private readonly perRemote = new Map<number, number>();
  /** Each socket's last seen retransmission counts, to add what a call changed to the totals. */
  private readonly seen = new Map<TcpSocket, { retransmitted: number; fast: number; expiries: number }>();
  private nextEphemeral: number;
  private time = 0;

  constructor(
    private readonly ip: IpSender,
    private readonly o: TcpOptions,
    private readonly secret: number,
    private readonly counters: TcpCounters,
    private readonly drops: DropCounters,
    private readonly cpuHz: number,
  ) {
    this.nextEphemeral = mix32(secret, 0x7c9) % EPHEMERAL_COUNT;
  }

  now(): number {
    return this.time;
  }

  /** Connections in the table (every state but CLOSED). */
  get size(): number {
    return this.connections.size;
  }

  /** Listen on `port`; 'port-in-use' if someone does. */
  listen(port: number, backlog = this.o.backlog): TcpListener | 'port-in-use' | 'bad-port' {
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) return 'bad-port';
    if (this.listeners.has(port)) return 'port-in-use';
    const l = new TcpListener(this, port, Math.max(1, Math.floor(backlog)));
    this.listeners.set(port, l);
    return l;
  }

  unlisten(l: TcpListener): void {
    if (this.listeners.get(l.port) === l) this.listeners.delete(l.port);
  }

  /** Active open to `ip`:`port` from a free ephemeral port, at cycle `now`. */
  connect(remoteIp: number, remotePort: number, now: number): TcpSocket | 'bad-port' | 'no-ports' | 'table-full' {
    this.time = now;
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 0xffff) return 'bad-port';
    if (!this.roomFor(remoteIp)) return 'table-full';
    for (let tries = 0; tries < EPHEMERAL_COUNT; tries++) {
      const local = EPHEMERAL_FIRST + this.nextEphemeral;
      this.nextEphemeral = (this.nextEphemeral + 1) % EPHEMERAL_COUNT;
      if (this.listeners.has(local) || this.connections.has(key(remoteIp, remotePort, local))) continue;
      const s = this.create(local, remoteIp, remotePort, now);
      s.connection.open('active', now);
      this.flush(s);
      return s;
    }
    return 'no-ports';
  }

  /** A parsed-or-refused segment from `src` arrives at cycle `now`. */
  input(seg: TcpSegment | TcpParseReason, src: number, now: number): void {
    this.time = now;
    if (typeof seg === 'string') {
      countDrop(this.drops, PARSE_DROP[seg]);
      return;
    }
    this.counters.segmentsIn++;
    const s = this.connections.get(key(src, seg.srcPort, seg.dstPort));
    if (s) {
      s.connection.segment(seg, now);
      this.flush(s);
      return;
    }
    const l = this.listeners.get(seg.dstPort);
    const isSyn = (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
    if (l && isSyn) {
      if (l.embryonic.size + l.ready.length >= l.backlog || !this.roomFor(src)) {
        countDrop(this.drops, 'backlog-full'); // the peer's SYN retransmission tries again
        return;
      }
      const c = this.create(seg.dstPort, src, seg.srcPort, now);
      l.embryonic.add(c);
      c.connection.open('passive', now);
      c.connection.segment(seg, now);
      this.flush(c);
      return;
    }
    if (!l) countDrop(this.drops, 'no-port');
    // RFC 9293 §3.10.7.1: no connection (a non-SYN to a listener gets the same answer, §3.10.7.2).
    const rst = resetFor(seg);
    if (rst) {
      this.counters.resetsSent++;
      this.transmit(src, rst);
    }
  }

  /** The clock reached `now`: every connection's timers. */
  tick(now: number): void {
    this.time = now;
    for (const s of [...this.connections.values()]) {
      const d = s.connection.deadline;
      if (d === undefined || d > now) continue;
      s.connection.tick(now);
      this.flush(s);
    }
  }

  /** The earliest timer of any connection. */
  deadline(): number | undefined {
    return earliest(Array.from(this.connections.values(), (s) => s.connection.deadline));
  }

  countBytes(out: number, inbound: number): void {
    this.counters.bytesOut += out;
    this.counters.bytesIn += inbound;
  }

  flush(s: TcpSocket): void {
    const c = s.connection;
    for (const seg of c.takeSegments()) this.transmit(s.remoteIp, seg);
    const st = c.stats;
    const was = this.seen.get(s);
    if (was) {
      this.counters.retransmissions += st.retransmittedSegments + st.fastRetransmits - was.retransmitted - was.fast;
      this.counters.fastRetransmits += st.fastRetransmits - was.fast;
      this.counters.rtoExpiries += st.timeouts - was.expiries;
      was.retransmitted = st.retransmittedSegments;
      was.fast = st.fastRetransmits;
      was.expiries = st.timeouts;
    }
    if (!s.opened && c.state !== 'CLOSED' && c.state !== 'LISTEN' && c.state !== 'SYN-SENT' && c.state !== 'SYN-RECEIVED') {
      s.opened = true;
      const l = this.listenerOf(s);
      if (l) {
        l.embryonic.delete(s);
        l.ready.push(s);
        this.counters.passiveOpens++;
      } else this.counters.activeOpens++;
    }
    if (c.state === 'CLOSED') this.retire(s);
  }

  private listenerOf(s: TcpSocket): TcpListener | undefined {
    const l = this.listeners.get(s.localPort);
    return l?.embryonic.has(s) ? l : undefined;
  }

  /**
   * Whether a new connection with `remoteIp` fits: under the table's limit and the address's
   * share, after giving up the oldest TIME-WAIT entry (of that address when its share is full)
   * if that is what it takes, as Linux does past tcp_max_tw_buckets: TIME-WAIT guards against
   * old duplicates, and a table full of it would refuse every new connection.
   */
  private roomFor(remoteIp: number): boolean {
    if ((this.perRemote.get(remoteIp) ?? 0) >= this.o.maxPerRemote) this.recycleTimeWait(remoteIp);
    if (this.connections.size >= this.o.maxConnections) this.recycleTimeWait(undefined);
    return this.connections.size < this.o.maxConnections && (this.perRemote.get(remoteIp) ?? 0) < this.o.maxPerRemote;
  }

  /** Close the oldest connection in TIME-WAIT (of `remoteIp`, if given). */
  private recycleTimeWait(remoteIp: number | undefined): void {
    for (const s of this.connections.values()) {
      if (s.connection.state !== 'TIME-WAIT' || (remoteIp !== undefined && s.remoteIp !== remoteIp)) continue;
      this.counters.timeWaitRecycled++;
      this.retire(s);
      return;
    }
  }

  private retire(s: TcpSocket): void {
    const k = key(s.remoteIp, s.remotePort, s.localPort);
    if (this.connections.get(k) !== s) return;
    this.connections.delete(k);
    this.seen.delete(s);
    const n = (this.perRemote.get(s.remoteIp) ?? 1) - 1;
    if (n > 0) this.perRemote.set(s.remoteIp, n);
    else this.perRemote.delete(s.remoteIp);
    for (const l of this.listeners.values()) l.embryonic.delete(s);
    const why = s.connection.aborted;
    if (why === 'reset') this.counters.endedByReset++;
    else if (why === 'timeout') this.counters.endedByTimeout++;
    else if (s.opened) this.counters.closed++;
  }

  private create(localPort: number, remoteIp: number, remotePort: number, now: number): TcpSocket {
    const p: ConnectionParams = {
      localPort, remotePort, iss: this.iss(localPort, remoteIp, remotePort, now),
      mss: this.o.mss, sendBuffer: this.o.sendBuffer, receiveBuffer: this.o.receiveBuffer, rto: this.o.rto, timeWait: this.o.timeWait, delayedAck: this.o.delayedAck,
    };
    const s = new TcpSocket(this, new Connection(p), localPort, remoteIp, remotePort);
    this.connections.set(key(remoteIp, remotePort, localPort), s);
    this.perRemote.set(remoteIp, (this.perRemote.get(remoteIp) ?? 0) + 1);
    this.seen.set(s, { retransmitted: 0, fast: 0, expiries: 0 });
    return s;
  }

  /** RFC 6528: ISN = M + F(local address and port, remote address and port, secret), M a 4 µs clock. */
  private iss(localPort: number, remoteIp: number, remotePort: number, now: number): number {
    let h = mix32(this.secret, this.ip.ip);
    h = mix32(h, localPort);
    h = mix32(h, remoteIp);
    h = mix32(h, remotePort);
    return seqAdd(h, Math.floor(now / (this.cpuHz / ISN_TICKS_PER_SECOND)));
  }

  private transmit(dst: number, seg: OutSegment): void {
    this.counters.segmentsOut++;
    // Every TCP segment waits in the stack's data band, so a connection's ACKs and FIN never overtake its own data.
    this.ip.sendIp(dst, IPPROTO_TCP, buildSegment(seg.fields, seg.payload, this.ip.ip, dst), true, true);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ TcpTable });
