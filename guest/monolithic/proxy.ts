// A client's application domain in the monolithic topology (docs/topologies.md "monolithic"):
// the same applications (guest/apps) as a factored stack domain runs, over a socket proxy
// that mirrors the client's sockets on the shared stack server (server.ts). Applications
// are synchronous and never block, so the proxy answers every socket call at once from its
// mirrors and queues what must reach the server (operations, outbound data); the domain's
// loop then makes ONE call per turn that carries the batch in the shared pages and brings
// back the events (accepts, states, send room, inbound data, datagrams), which the proxy
// applies before the applications run. When nothing is queued and the server had nothing
// more, the domain sleeps on its notification until the server signals news or an
// application's deadline comes. Domain code: it uses only its context and domain-side modules.
//
// What the mirrors keep of the socket API's semantics: send takes no more than the send room
// the server last reported (less what is queued), so back-pressure is TCP's; recv returns
// what has arrived; a connection's inbound bytes are handed over only as the application
// consumes them (MIRROR_RX_BYTES of credit), so an application that does not read closes
// TCP's window as it would on its own stack. listen/connect/bind return at once with a socket
// whose id the client chose; a failure only the server can see (no ephemeral port left)
// shows as the socket CLOSED by a reset. A UDP sendto is true when the datagram was queued
// for the server; the server's transmit queue being full drops it there (UDP gives no
// guarantee). Ping is not proxied: only the peer's exerciser pings, never a client.

import type { DomainBody, DomainContext, GuestCode } from '../kernel/api/context.js';
import type { App, Sockets } from '../apps/app.js';
import { earliest } from '../netstack/due.js';
import type { Datagram, DatagramSocket, StreamListener, StreamSocket } from '../netstack/sockets.js';
import type { EchoReply } from '../netstack/stack.js';
import { TCP_STATES, type TcpAbortReason, type TcpState } from '../netstack/tcp/connection.js';
import {
  ABORT_REASONS, EV_ACCEPT, EV_CLOSED, EV_DATAGRAM, EV_TCP, EVENT_WORDS, FIRST_ACCEPTED_ID, LABEL_EXCHANGE, LABEL_SETUP_NOTIFY, LABEL_SETUP_PAGE,
  MIRROR_RX_BYTES, MIRROR_UDP_QUEUE, OP_ABORT, OP_BIND, OP_CLOSE, OP_CONNECT, OP_GRANT, OP_LISTEN, OP_SEND, OP_SENDTO, OP_UNITS, OP_WORDS, padded,
  PAGE_BYTES, REQUEST_BYTES, RESPONSE_BYTES, RESPONSE_OFFSET, SHARED_PAGES, STATUS_OK,
} from './protocol.js';
import { RecordReader, RecordWriter } from './records.js';

/** The application domain's slots: its bank, its space, the server's endpoint (send-only, badged), then what it allocates. */
export const APP_SLOTS = Object.freeze({ bank: 0, space: 1, server: 2, notify: 3, notifySignal: 4, firstPage: 5 });
/** Where the shared region goes in the application domain's space. */
export const APP_SHARED_VA = 0x0400_0000;
/**
 * How the request area is shared, like the stack's two transmit bands: connections' data may
 * fill STREAM_BYTES, datagrams DATAGRAM_BYTES (one of the largest, two fragments, fits), and
 * the rest is kept for records without data (closes, grants), so a busy connection neither
 * holds back a datagram nor a close.
 */
const STREAM_BYTES = 4096;
const DATAGRAM_BYTES = 3072;
const HEADER = OP_WORDS * 4;
const MAX_PORT = 0xffff;
const validPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= MAX_PORT;

interface Queued {
  readonly words: readonly number[];
  readonly data?: Uint8Array;
}

/** A TCP connection on the server, as the application domain sees it. */
class MirrorSocket implements StreamSocket {
  state: TcpState;
  aborted: TcpAbortReason | undefined = undefined;
  /** What the server last reported. */
  serverEof = false;
  serverRoom = 0;
  serverUnacked = 0;
  /** Bytes queued for the server since its last report. */
  queuedOut = 0;
  /** Bytes read by the application and not yet granted back to the server. */
  toGrant = 0;
  private readonly inbound: Uint8Array[] = [];
  private buffered = 0;
  private closing = false;

  constructor(private readonly proxy: SocketProxy, readonly id: number, state: TcpState) {
    this.state = state;
  }

  get readable(): number {
    return this.buffered;
  }

  get eof(): boolean {
    return (this.serverEof || this.state === 'CLOSED') && this.buffered === 0;
  }

  get sendRoom(): number {
    return Math.max(0, Math.min(this.serverRoom - this.queuedOut, this.proxy.dataRoom()));
  }

  get unacknowledged(): number {
    return this.serverUnacked + this.queuedOut;
  }

  send(data: Uint8Array): number {
    const n = Math.min(data.length, this.sendRoom);
    if (n === 0 || this.closing || this.state === 'CLOSED') return 0;
    this.proxy.queue([OP_SEND, this.id, n, 0], data.slice(0, n));
    this.queuedOut += n;
    return n;
  }

  recv(max = Infinity): Uint8Array {
    const want = Math.min(max, this.buffered);
    const out = new Uint8Array(want);
    let at = 0;
    while (at < want) {
      const head = this.inbound[0]!;
      const take = Math.min(head.length, want - at);
      out.set(head.subarray(0, take), at);
      at += take;
      if (take === head.length) this.inbound.shift();
      else this.inbound[0] = head.subarray(take);
    }
    this.buffered -= want;
    this.toGrant += want;
    return out;
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.proxy.queue([OP_CLOSE, this.id, 0, 0]);
  }

  abort(): void {
    this.proxy.queue([OP_ABORT, this.id, 0, 0]);
  }

  arrived(data: Uint8Array): void {
    if (data.length === 0) return;
    this.inbound.push(data);
    this.buffered += data.length;
  }
}

class MirrorListener implements StreamListener {
  readonly ready: MirrorSocket[] = [];
  closed = false;
  constructor(private readonly proxy: SocketProxy, readonly id: number, readonly port: number) {}

  accept(): StreamSocket | undefined {
    return this.ready.shift();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.proxy.closeListener(this);
  }
}

class MirrorUdp implements DatagramSocket {
  readonly received: Datagram[] = [];
  closed = false;
  constructor(private readonly proxy: SocketProxy, readonly id: number, readonly port: number) {}

  sendto(ip: number, port: number, data: Uint8Array): boolean {
    if (this.closed || !validPort(port) || HEADER + padded(data.length) > this.proxy.datagramRoom()) return false;
    this.proxy.queue([OP_SENDTO | (port << 16), this.id, data.length, ip >>> 0], data.slice());
    return true;
  }

  recvfrom(): Datagram | undefined {
    return this.received.shift();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.proxy.closeUdp(this);
  }
}

/** The socket API over the server: what the applications of one client see. */
export class SocketProxy implements Sockets {
  time = 0;
  private readonly out: Queued[] = [];
  /** Request bytes queued of each band. */
  private streamBytes = 0;
  private datagramBytes = 0;
  private nextId = 1;
  private readonly tcp = new Map<number, MirrorSocket>();
  private readonly listeners = new Map<number, MirrorListener>();
  private readonly udp = new Map<number, MirrorUdp>();
  private readonly tcpPorts = new Set<number>();
  private readonly udpPorts = new Set<number>();

  constructor(readonly ip: number) {}

  get now(): number {
    return this.time;
  }

  /** Bytes of connection data that fit in the request now. */
  dataRoom(): number {
    return Math.max(0, STREAM_BYTES - this.streamBytes - HEADER);
  }

  /** Request bytes left for datagram records (header and data). */
  datagramRoom(): number {
    return DATAGRAM_BYTES - this.datagramBytes;
  }

  private band(q: Queued): number {
    const n = q.data ? HEADER + padded(q.data.length) : 0;
    return (q.words[0]! & 0xffff) === OP_SENDTO ? -n : n;
  }

  queue(words: readonly number[], data?: Uint8Array): void {
    const q = { words, data };
    this.out.push(q);
    const b = this.band(q);
    if (b < 0) this.datagramBytes -= b;
    else this.streamBytes += b;
  }

  private id(): number | undefined {
    return this.nextId < FIRST_ACCEPTED_ID ? this.nextId++ : undefined;
  }

  listen(port: number, backlog?: number): StreamListener | string {
    if (!validPort(port)) return 'bad-port';
    if (this.tcpPorts.has(port)) return 'port-in-use';
    const id = this.id();
    if (id === undefined) return 'table-full';
    this.tcpPorts.add(port);
    const l = new MirrorListener(this, id, port);
    this.listeners.set(id, l);
    this.queue([OP_LISTEN, id, port, backlog ?? 0]);
    return l;
  }

  connect(ip: number, port: number): StreamSocket | string {
    if (!validPort(port)) return 'bad-port';
    const id = this.id();
    if (id === undefined) return 'table-full';
    const s = new MirrorSocket(this, id, 'SYN-SENT');
    this.tcp.set(id, s);
    this.queue([OP_CONNECT, id, ip >>> 0, port]);
    return s;
  }

  udpBind(port: number): DatagramSocket | string {
    if (!validPort(port)) return 'bad-port';
    if (this.udpPorts.has(port)) return 'port-in-use';
    const id = this.id();
    if (id === undefined) return 'table-full';
    this.udpPorts.add(port);
    const u = new MirrorUdp(this, id, port);
    this.udp.set(id, u);
    this.queue([OP_BIND, id, port, 0]);
    return u;
  }

  ping(): void {
    throw new Error('ping: not proxied in the monolithic topology (no client application pings)');
  }

  takeEchoReplies(): EchoReply[] {
    throw new Error('takeEchoReplies: not proxied in the monolithic topology (no client application pings)');
  }

  closeListener(l: MirrorListener): void {
    this.tcpPorts.delete(l.port);
    this.queue([OP_CLOSE, l.id, 0, 0]);
  }

  closeUdp(u: MirrorUdp): void {
    this.udpPorts.delete(u.port);
    this.queue([OP_CLOSE, u.id, 0, 0]);
  }

  /** Something must reach the server now: queued records, or credit the server may be waiting for. */
  hasWork(): boolean {
    if (this.out.length > 0) return true;
    for (const s of this.tcp.values()) if (s.toGrant >= MIRROR_RX_BYTES / 2) return true;
    return false;
  }

  /** The next request: credit grants first, then the queued records in order, as many as fit. Returns it and its record count. */
  takeRequest(): { bytes: Uint8Array; records: number } {
    const w = new RecordWriter(REQUEST_BYTES);
    let records = 0;
    for (const s of this.tcp.values()) {
      if (s.toGrant > 0 && w.add([OP_GRANT, s.id, s.toGrant, 0])) {
        s.toGrant = 0;
        records++;
      }
    }
    while (this.out.length > 0 && w.add(this.out[0]!.words, this.out[0]!.data)) {
      const b = this.band(this.out.shift()!);
      if (b < 0) this.datagramBytes += b;
      else this.streamBytes -= b;
      records++;
    }
    return { bytes: w.take(), records };
  }

  /** Apply a response; returns how many events it held (a malformed one ends the walk: the server is trusted, but not blindly). */
  apply(response: Uint8Array): number {
    const r = new RecordReader(response);
    for (const s of this.tcp.values()) s.queuedOut = 0; // the server applied the sends: its reports count them now
    let events = 0;
    while (!r.done) {
      const h = r.words(EVENT_WORDS);
      if (!h) break;
      events++;
      const [ev, id, a, b, c, len] = h as [number, number, number, number, number, number];
      if (ev === EV_TCP) {
        const data = r.data(len);
        const s = this.tcp.get(id);
        if (!data) break;
        if (!s) continue;
        s.state = TCP_STATES[a & 0xff] ?? 'CLOSED';
        s.aborted = ABORT_REASONS[(a >>> 8) & 3];
        s.serverEof = ((a >>> 10) & 1) === 1;
        s.serverRoom = b;
        s.serverUnacked = c;
        s.arrived(data);
      } else if (ev === EV_ACCEPT) {
        const l = this.listeners.get(id);
        const s = new MirrorSocket(this, a, 'ESTABLISHED');
        this.tcp.set(a, s);
        if (l && !l.closed) l.ready.push(s);
      } else if (ev === EV_DATAGRAM) {
        const data = r.data(len);
        if (!data) break;
        const u = this.udp.get(id);
        if (u && u.received.length < MIRROR_UDP_QUEUE) u.received.push({ ip: a, port: b, data });
      } else if (ev === EV_CLOSED) {
        const s = this.tcp.get(id);
        if (s) s.state = 'CLOSED';
        this.tcp.delete(id);
        this.listeners.delete(id);
        this.udp.delete(id);
      } else break;
    }
    return events;
  }
}

export interface AppDomainProbe {
  /** 'open' once set up with the server, or why not; 'ended: ...' when the server stopped answering. */
  status: string | undefined;
  exchanges: number;
}

export function newAppDomainProbe(): AppDomainProbe {
  return { status: undefined, exchanges: 0 };
}

/** Allocate the notification and the shared pages from the client's bank and hand them to the server; returns the client's address or why not. */
export function* setup(ctx: DomainContext): GuestCode<number | string> {
  const S = APP_SLOTS;
  let r = yield* ctx.invoke(S.bank, 'allocNotification', { dst: S.notify });
  if (!r.ok) return `allocNotification: ${r.error}`;
  r = yield* ctx.invoke(S.notify, 'copy', { dst: S.notifySignal, rights: ['write'] });
  if (!r.ok) return `copy: ${r.error}`;
  const hello = yield* ctx.invoke(S.server, 'call', { label: LABEL_SETUP_NOTIFY, caps: [S.notifySignal] });
  if (!hello.ok) return `setup: ${hello.error}`;
  if (hello.value.words[0] !== STATUS_OK) return `setup: status ${hello.value.words[0]}`;
  for (let j = 0; j < SHARED_PAGES; j++) {
    r = yield* ctx.invoke(S.bank, 'allocPage', { dst: S.firstPage + j });
    if (!r.ok) return `allocPage: ${r.error}`;
    r = yield* ctx.invoke(S.space, 'map', { va: APP_SHARED_VA + j * PAGE_BYTES, page: S.firstPage + j, rights: ['read', 'write'] });
    if (!r.ok) return `map: ${r.error}`;
    const p = yield* ctx.invoke(S.server, 'call', { label: LABEL_SETUP_PAGE, words: [j], caps: [S.firstPage + j] });
    if (!p.ok || p.value.words[0] !== STATUS_OK) return `setup page ${j}: ${p.ok ? `status ${p.value.words[0]}` : p.error}`;
  }
  return hello.value.words[1] ?? 0;
}

/** One exchange with the server; returns whether the server had more, or why it stopped answering. */
export function* exchange(ctx: DomainContext, proxy: SocketProxy): GuestCode<{ more: boolean; events: number } | string> {
  const { bytes, records } = proxy.takeRequest();
  yield* ctx.compute(OP_UNITS * records);
  if (bytes.length > 0) yield* ctx.write(APP_SHARED_VA, bytes);
  const r = yield* ctx.invoke(APP_SLOTS.server, 'call', { label: LABEL_EXCHANGE, words: [bytes.length] });
  if (!r.ok) return r.error;
  const [status, n, more] = r.value.words;
  if (status !== STATUS_OK || n === undefined || n > RESPONSE_BYTES) return `status ${status}`;
  const response = n > 0 ? yield* ctx.read(APP_SHARED_VA + RESPONSE_OFFSET, n) : new Uint8Array(0);
  const events = proxy.apply(response);
  yield* ctx.compute(OP_UNITS * events);
  return { more: more === 1, events };
}

/** The application domain's body: set up, then exchange, run the applications, and sleep when there is nothing to do. */
export function appDomain(apps: (sockets: Sockets) => App[], probe: AppDomainProbe): DomainBody {
  return function* (ctx) {
    const ip = yield* setup(ctx);
    if (typeof ip === 'string') {
      probe.status = ip;
      return;
    }
    probe.status = 'open';
    const proxy = new SocketProxy(ip);
    proxy.time = ctx.now();
    const mine = apps(proxy);
    for (;;) {
      const r = yield* exchange(ctx, proxy);
      if (typeof r === 'string') {
        probe.status = `ended: ${r}`;
        return;
      }
      probe.exchanges++;
      proxy.time = ctx.now();
      for (const a of mine) a.advance();
      if (r.more || proxy.hasWork()) continue;
      const due = earliest(mine.map((a) => a.deadline?.()));
      const timeout = due === undefined ? ctx.constants.maxTimeout : Math.min(ctx.constants.maxTimeout, Math.max(1, due - ctx.now()));
      if (!(yield* ctx.invoke(APP_SLOTS.notify, 'wait', { timeout })).ok) return;
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ SocketProxy, MirrorSocket, MirrorListener, MirrorUdp, appDomain, exchange, newAppDomainProbe, setup });
