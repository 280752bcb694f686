// The peer's traffic towards one client: it exercises every application the client runs and
// checks every answer. Pings (ICMP echo) and UDP echo datagrams go out at most one per
// interval and only while few are unanswered (one ping, UDP_WINDOW datagrams; an answer
// missing for LOST_AFTER intervals is given up), so the load follows what the client can
// take instead of burying a slow one (a card in classic mode) under a fixed rate;
// a TCP echo stream is checked byte for byte; a TCP bulk stream goes to discard; HTTP GETs of
// /bytes/N are checked against the pattern, with one 404 asked for first. Each TCP part
// starts again once its connection is done, so the traffic lasts as long as the run. It is an
// application like the others (it uses only the socket API), run by the peer host.

import type { StreamSocket } from '../netstack/sockets.js';
import { must, type App, type Sockets } from './app.js';
import { DISCARD_PORT } from './discard-server.js';
import { ECHO_PORT } from './echo-server.js';
import { HttpGet, type HttpGetResult } from './http-client.js';
import { patternBytes, patternMismatch } from './pattern.js';

export interface ExerciserConfig {
  readonly target: number;
  readonly cpuHz: number;
  /** Which part of the traffic runs (all by default). */
  readonly ping?: boolean;
  readonly udpEcho?: boolean;
  readonly tcpEcho?: boolean;
  readonly discard?: boolean;
  readonly http?: boolean;
  /** Between two pings, and two UDP datagrams (default 1 ms). */
  readonly intervalSeconds?: number;
  /** Bytes per TCP echo connection, per discard connection, per HTTP GET. */
  readonly echoBytes?: number;
  readonly discardBytes?: number;
  readonly httpBytes?: number;
  /** A local UDP port for the echo datagrams, unique per exerciser on one stack. */
  readonly udpPort: number;
  /** Sizes of the UDP echo datagrams' data, cycled through (default UDP_SIZES: from 18 bytes to fragmented). */
  readonly udpSizes?: readonly number[];
  /** Test-only: take a UDP answer from any source, as if it came from the target (the check a red-team test switches off). */
  readonly unsafeAnySource?: boolean;
}

export interface ExerciserStats {
  pingsSent: number;
  pingsAnswered: number;
  udpSent: number;
  udpEchoed: number;
  udpMismatched: number;
  tcpEchoConnections: number;
  tcpEchoBytes: number;
  tcpEchoMismatched: number;
  discardConnections: number;
  discardBytes: number;
  httpRequests: number;
  httpOk: number;
  /** Body bytes received, the request under way included. */
  httpBytes: number;
  /** HTTP results other than the expected one, by result. */
  httpFailures: Partial<Record<HttpGetResult, number>>;
  /** Connections that ended by a RST or a timeout. */
  tcpAborted: number;
}

/** UDP echo datagrams unanswered at once, and the intervals after which a missing answer is given up. */
const UDP_WINDOW = 2;
const LOST_AFTER = 20;
/** Most TCP echo bytes sent and not yet echoed back. */
const ECHO_WINDOW = 32 * 1024;
const UDP_SIZES: readonly number[] = Object.freeze([18, 64, 512, 1400, 1472, 3000]);

export class Exerciser implements App {
  readonly stats: ExerciserStats = {
    pingsSent: 0, pingsAnswered: 0, udpSent: 0, udpEchoed: 0, udpMismatched: 0, tcpEchoConnections: 0, tcpEchoBytes: 0, tcpEchoMismatched: 0,
    discardConnections: 0, discardBytes: 0, httpRequests: 0, httpOk: 0, httpBytes: 0, httpFailures: {}, tcpAborted: 0,
  };
  private readonly interval: number;
  private nextTick: number;
  private seq = 0;
  private readonly udp;
  /** Datagrams (by sequence number) and the ping awaiting an answer, with when they went. */
  private readonly udpWaiting = new Map<number, { data: Uint8Array; at: number }>();
  private pingWaiting: { seq: number; at: number } | undefined;
  private echo: { sock: StreamSocket; sent: number; checked: number; closed: boolean } | undefined;
  private discard: { sock: StreamSocket; sent: number; closed: boolean } | undefined;
  private get: HttpGet | undefined;
  private stopped = false;
  private httpBytesDone = 0;

  constructor(private readonly stack: Sockets, private readonly c: ExerciserConfig) {
    this.interval = Math.round((c.intervalSeconds ?? 0.001) * c.cpuHz);
    this.nextTick = stack.now;
    this.udp = must(stack.udpBind(c.udpPort), `bind UDP port ${c.udpPort}`);
  }

  deadline(): number | undefined {
    return this.stopped || (this.c.ping === false && this.c.udpEcho === false) ? undefined : this.nextTick;
  }

  /** Start nothing new: no more pings or datagrams, no new connection; those under way finish. */
  stop(): void {
    this.stopped = true;
  }

  advance(): void {
    const now = this.stack.now;
    for (const r of this.stack.takeEchoReplies(this.c.udpPort)) {
      if (r.from !== this.c.target || r.sequence !== this.pingWaiting?.seq || patternMismatch(r.data, r.sequence) >= 0) continue;
      this.stats.pingsAnswered++;
      this.pingWaiting = undefined;
    }
    if (now >= this.nextTick && !this.stopped) {
      this.nextTick = now + this.interval;
      this.seq = (this.seq + 1) & 0xffff;
      const lost = now - LOST_AFTER * this.interval;
      if (this.pingWaiting && this.pingWaiting.at <= lost) this.pingWaiting = undefined;
      for (const [k, w] of this.udpWaiting) if (w.at <= lost) this.udpWaiting.delete(k);
      if (this.c.ping !== false && !this.pingWaiting) {
        this.stack.ping(this.c.target, this.c.udpPort, this.seq, patternBytes(this.seq, 56));
        this.pingWaiting = { seq: this.seq, at: now };
        this.stats.pingsSent++;
      }
      if (this.c.udpEcho !== false && this.udpWaiting.size < UDP_WINDOW) this.sendDatagram(now);
    }
    // Only the target's echo server answers for it: a datagram from anywhere else (another client) is not its answer.
    for (let d = this.udp.recvfrom(); d; d = this.udp.recvfrom()) if (this.c.unsafeAnySource || (d.ip === this.c.target && d.port === ECHO_PORT)) this.takeDatagram(d.data);
    if (this.c.tcpEcho !== false) this.runEcho();
    if (this.c.discard !== false) this.runDiscard();
    if (this.c.http !== false) this.runHttp();
  }

  private sendDatagram(now: number): void {
    const sizes = this.c.udpSizes ?? UDP_SIZES;
    const n = Math.max(2, sizes[this.seq % sizes.length]!);
    const data = patternBytes(this.seq * 7, n);
    data[0] = this.seq >>> 8;
    data[1] = this.seq & 0xff;
    if (!this.udp.sendto(this.c.target, ECHO_PORT, data)) return;
    this.stats.udpSent++;
    this.udpWaiting.set(this.seq, { data, at: now });
  }

  private takeDatagram(data: Uint8Array): void {
    const seq = data.length >= 2 ? (data[0]! << 8) | data[1]! : -1;
    const sent = this.udpWaiting.get(seq)?.data;
    if (!sent) return;
    this.udpWaiting.delete(seq);
    if (sent.length === data.length && sent.every((b, i) => b === data[i])) this.stats.udpEchoed++;
    else this.stats.udpMismatched++;
  }

  private connect(port: number): StreamSocket | undefined {
    const s = this.stack.connect(this.c.target, port);
    return typeof s === 'string' ? undefined : s;
  }

  private ended(s: StreamSocket): boolean {
    if (s.state !== 'CLOSED' && s.state !== 'TIME-WAIT') return false;
    if (s.aborted) this.stats.tcpAborted++;
    return true;
  }

  private runEcho(): void {
    const total = this.c.echoBytes ?? 256 * 1024;
    if (!this.echo) {
      if (this.stopped) return;
      const sock = this.connect(ECHO_PORT);
      if (!sock) return;
      this.echo = { sock, sent: 0, checked: 0, closed: false };
      this.stats.tcpEchoConnections++;
    }
    const e = this.echo;
    while (e.sent < total && e.sent - e.checked < ECHO_WINDOW && e.sock.sendRoom > 0) {
      const n = Math.min(e.sock.sendRoom, total - e.sent, ECHO_WINDOW - (e.sent - e.checked));
      const taken = e.sock.send(patternBytes(e.sent, n));
      e.sent += taken;
      if (taken < n) break;
    }
    const back = e.sock.recv();
    if (back.length > 0) {
      if (patternMismatch(back, e.checked) >= 0 || e.checked + back.length > e.sent) this.stats.tcpEchoMismatched++;
      e.checked += back.length;
      this.stats.tcpEchoBytes += back.length;
    }
    if (e.sent === total && e.checked === total && !e.closed) {
      e.closed = true;
      e.sock.close();
    }
    if (this.ended(e.sock)) this.echo = undefined;
  }

  private runDiscard(): void {
    const total = this.c.discardBytes ?? 1 << 20;
    if (!this.discard) {
      if (this.stopped) return;
      const sock = this.connect(DISCARD_PORT);
      if (!sock) return;
      this.discard = { sock, sent: 0, closed: false };
      this.stats.discardConnections++;
    }
    const d = this.discard;
    while (d.sent < total && d.sock.sendRoom > 0) {
      const n = Math.min(d.sock.sendRoom, total - d.sent, 16 * 1024);
      const taken = d.sock.send(patternBytes(d.sent, n));
      d.sent += taken;
      this.stats.discardBytes += taken;
      if (taken < n) break;
    }
    if (d.sent === total && !d.closed && d.sock.state === 'ESTABLISHED') {
      d.closed = true;
      d.sock.close();
    }
    if (this.ended(d.sock)) this.discard = undefined;
  }

  private runHttp(): void {
    if (!this.get) {
      if (this.stopped) return;
      const first = this.stats.httpRequests === 0;
      this.get = new HttpGet(this.stack, this.c.target, first ? '/nothing-here' : `/bytes/${this.c.httpBytes ?? 200_000}`, first ? 404 : 200);
      this.stats.httpRequests++;
    }
    this.get.advance();
    this.stats.httpBytes = this.httpBytesDone + this.get.bodyBytes;
    if (!this.get.done) return;
    const r = this.get.result!;
    if (r === 'ok') this.stats.httpOk++;
    else this.stats.httpFailures[r] = (this.stats.httpFailures[r] ?? 0) + 1;
    this.httpBytesDone += this.get.bodyBytes;
    this.get = undefined;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ Exerciser });
