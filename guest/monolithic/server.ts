// The monolithic topology's stack server (docs/topologies.md "monolithic"): ONE user-level
// domain that runs a NetStack for every client address, each over its own driver session
// (the driver gives one session per endpoint badge, so the server holds one send-only
// capability to the driver per client, badged as that client), and serves every client's
// application domain over IPC (protocol.ts). The frames go through the same pump as the
// stack domain's (guest/netstack/pump.ts): same memory-view copies, same costs.ts charges.
//
// A domain waits on one thing at a time. The server waits in `recv` on its endpoint (the
// application domains' calls) bound to one notification of its own, and each session's
// notification (the driver's, handed over in the OPEN reply, so it cannot be shared between
// sessions) is relayed to that notification by a forwarder domain, as the driver relays its
// IRQ: the forwarder waits on the session's notification and signals the server's. The
// signal only wakes the server; each turn it reads the rings of every session.
//
// Trust: every application domain is hostile. Every request is copied out of the shared pages
// into the server's memory before a word of it is read, every record is checked (lengths
// against what was copied, socket ids against the calling client's own table, sizes against
// the per-client bounds), and a fault on a client's page (revoked, freed, read-only) drops
// that one client: its session bank is destroyed (the session, its forwarder and its stack
// go) and the others are served on. The server never waits on a client: a reply does not
// block, and a client that sleeps is woken by a signal.
//
// Who pays: the session of client i (rings, buffers, its region's page table and its
// forwarder) comes out of a sub-bank of client i's bank, of which the server holds an
// allocation-only capability; the server's own bank pays for its space and notification.
// Domain code: it uses only its context and domain-side modules.

import type { DomainBody, DomainContext, GuestCode, Received, Slot } from '../kernel/api/context.js';
import { earliest } from '../netstack/due.js';
import { FramePump, readMac, sessionTcpOptions } from '../netstack/pump.js';
import { NetStack, type StackConfig } from '../netstack/stack.js';
import type { StackProbe } from '../netstack/domain.js';
import type { TcpListener, TcpSocket, UdpSocket } from '../netstack/sockets.js';
import { TCP_STATES } from '../netstack/tcp/connection.js';
import { openSession } from '../session/client.js';
import { REGION_BYTES, type Geometry } from '../session/layout.js';
import {
  ABORT_REASONS, EV_ACCEPT, EV_CLOSED, EV_DATAGRAM, EV_TCP, EVENT_WORDS, FIRST_ACCEPTED_ID, LABEL_EXCHANGE, LABEL_SETUP_NOTIFY, LABEL_SETUP_PAGE,
  MAX_SOCKETS_PER_CLIENT, MIRROR_RX_BYTES, OP_ABORT, OP_UNITS, SCAN_UNITS, OP_BIND, OP_CLOSE, OP_CONNECT, OP_GRANT, OP_LISTEN, OP_SEND, OP_SENDTO, OP_WORDS, PAGE_BYTES,
  REQUEST_BYTES, RESPONSE_BYTES, RESPONSE_OFFSET, SHARED_PAGES, STATUS_NO_SESSION, STATUS_OK, STATUS_REFUSED,
} from './protocol.js';
import { RecordReader, RecordWriter } from './records.js';

/** The server's slots as the composition fills them: its bank (allocation only), its space, its endpoint; then per client the driver's endpoint and the client's bank. */
export const SERVER_SLOTS = Object.freeze({ bank: 0, space: 1, endpoint: 2 });
export const driverSlot = (k: number) => 3 + k;
export const clientBankSlot = (clients: number, k: number) => 3 + clients + k;
/** Slots the server fills itself: its notification (and a signal-only copy for the forwarders), two scratch slots for received capabilities, and a block per client. */
const SLOT_NOTIFY = 40;
const SLOT_NOTIFY_SIGNAL = 41;
const SCRATCH: readonly Slot[] = Object.freeze([42, 43]);
const CLIENT_BLOCK = 48;
const CLIENT_BLOCK_SLOTS = 6; // 4 for the session (sub-bank, its opaque copy, region, notification), the app's notification, the forwarder
const clientSlot = (k: number, n: number) => CLIENT_BLOCK + k * CLIENT_BLOCK_SLOTS + n;
/** Most clients: the slot blocks must fit in the kernel's 256 slots, and a session's bit in the notification word. */
export const MAX_SERVER_CLIENTS = 16;
/** Where the sessions' regions and the clients' shared pages go in the server's space. */
const REGION_BASE = 0x0800_0000;
const SHARED_BASE = 0x0400_0000;
const regionVa = (k: number) => REGION_BASE + k * REGION_BYTES;
const sharedVa = (k: number) => SHARED_BASE + k * SHARED_PAGES * PAGE_BYTES;
const RW = Object.freeze(['read', 'write'] as const);
/** Largest listen backlog a client may ask for (the stack's default is 16). */
const MAX_BACKLOG = 128;
/**
 * Longest the server sleeps without looking at the sessions' rings (0.5 ms). The forwarders
 * sit below the application domains (the kernel places a domain the server allocates below
 * it; the applications run at the server's priority), so one application that computes
 * without pause keeps every forwarder from running: without this bound the server heard of
 * received frames only at its stacks' timers, and every other client's traffic stopped. Woken
 * by its own timeout, the server is at the applications' priority and gets its round-robin turn.
 */
const POLL_SECONDS = 0.0005;
/** Every page of the shared region set up. */
const ALL_PAGES = (1 << SHARED_PAGES) - 1;

/** Test-only: a defence of the server switched off (test/security/monolithic.test.ts). */
export interface ServerUnsafe {
  /** A fault on a client's shared page is not caught: it escapes and ends the server. */
  trustClientPages?: boolean;
  /** A socket whose EV_CLOSED waits to be reported no longer counts against the client's table and its id is free at once: failed creates grow the events kept for the client without bound. */
  unboundedPending?: boolean;
  /** The server sleeps until a deadline or a forwarder's signal only, never polling: an application domain that computes without pause (at the server's priority, above the forwarders) starves every client. */
  forwardersOnly?: boolean;
}

export interface ServerOptions {
  readonly clients: number;
  readonly geometry: Geometry;
  /** Frames and pins of each session sub-bank (the forwarder's domain included). */
  readonly frames: number;
  readonly pins: number;
  readonly cpuHz: number;
  /** One per client: seeds its stack. */
  readonly secrets: readonly number[];
  readonly tcp?: StackConfig['tcp'];
  readonly unsafe?: ServerUnsafe;
}

/** What the composition reads back, per client: the session's status and the stack's counters (as a stack domain's probe), why it was dropped, and what the server refused. */
export interface ServerProbe {
  stacks: StackProbe[];
  dropped: (string | undefined)[];
  rejected: number[];
  exchanges: number[];
}

/** The probe over `stacks`, one StackProbe per client (the composition's own, so it reads them as a stack domain's). */
export function newServerProbe(stacks: StackProbe[]): ServerProbe {
  const clients = stacks.length;
  return {
    stacks, dropped: Array.from({ length: clients }, () => undefined),
    rejected: Array.from({ length: clients }, () => 0), exchanges: Array.from({ length: clients }, () => 0),
  };
}

type Entry =
  | { kind: 'tcp'; sock: TcpSocket; credit: number; last: readonly number[] | undefined }
  | { kind: 'listener'; listener: TcpListener }
  | { kind: 'udp'; udp: UdpSocket };

/** One client as the server sees it. */
class Client {
  pump: FramePump | undefined;
  alive = true;
  /** Bits of its shared region set up, and whether its notification is. */
  pages = 0;
  notify = false;
  /** The client's last exchange asked to be woken when there is news. */
  wantsSignal = false;
  readonly sockets = new Map<number, Entry>();
  /** Events made by operations (a failed connect, a closed listener) waiting for the next response. */
  readonly pending: number[][] = [];
  /** Ids whose EV_CLOSED is in `pending`: they count against the table (and cannot be reused) until reported, so `pending` stays bounded by the table. */
  readonly closing = new Set<number>();
  nextAccepted = FIRST_ACCEPTED_ID;
  constructor(readonly k: number) {}
}

/** Relay session notification (slot 0) to the server's notification (slot 1) with `bit`. */
function forwarderFor(bit: number): DomainBody {
  return function* (ctx) {
    for (;;) {
      if (!(yield* ctx.invoke(0, 'wait', {})).ok) return;
      if (!(yield* ctx.invoke(1, 'signal', { bits: bit })).ok) return;
    }
  };
}

const stateWord = (s: TcpSocket) => TCP_STATES.indexOf(s.state) | (ABORT_REASONS.indexOf(s.aborted) << 8) | ((s.eof ? 1 : 0) << 10);
const snapshot = (s: TcpSocket): readonly number[] => [stateWord(s), s.sendRoom, s.unacknowledged];
const same = (a: readonly number[] | undefined, b: readonly number[]) => a !== undefined && a.every((x, i) => x === b[i]);

export class StackServer {
  private readonly clients: Client[];

  constructor(
    private readonly ctx: DomainContext,
    private readonly o: ServerOptions,
    private readonly probe: ServerProbe,
  ) {
    this.clients = Array.from({ length: o.clients }, (_, k) => new Client(k));
  }

  *run(): GuestCode {
    const ctx = this.ctx;
    if (!(yield* ctx.invoke(SERVER_SLOTS.bank, 'allocNotification', { dst: SLOT_NOTIFY })).ok) return;
    if (!(yield* ctx.invoke(SLOT_NOTIFY, 'copy', { dst: SLOT_NOTIFY_SIGNAL, rights: ['write'] })).ok) return;
    for (const c of this.clients) yield* this.open(c);
    for (;;) {
      yield* this.turn();
      const due = earliest(this.clients.map((c) => (c.alive ? c.pump?.stack.nextDeadline() : undefined)));
      let timeout = due === undefined ? ctx.constants.maxTimeout : Math.min(ctx.constants.maxTimeout, Math.max(1, due - ctx.now()));
      if (this.o.unsafe?.forwardersOnly !== true) timeout = Math.min(timeout, Math.max(1, Math.round(this.o.cpuHz * POLL_SECONDS)));
      const r = yield* ctx.invoke(SERVER_SLOTS.endpoint, 'recv', { notification: SLOT_NOTIFY, timeout, capSlots: SCRATCH });
      if (!r.ok) {
        if (r.error === 'timeout') continue;
        return; // its endpoint or notification is gone: nothing is left to serve
      }
      // A forwarder's signal only wakes the server: every turn reads every session's rings (a few loads each), so a
      // session whose forwarder has not run yet (it is below the server, and a busy server does not block) is not left behind.
      if (r.value.label !== ctx.constants.notifyLabel || r.value.badge !== 0) yield* this.message(r.value);
      for (const s of SCRATCH) yield* ctx.invoke(s, 'drop', {}); // a client's capabilities are kept only where setup put them
    }
  }

  /** Open client k's session from its bank, start its stack and its forwarder. */
  private *open(c: Client): GuestCode {
    const ctx = this.ctx;
    const o = this.o;
    const free = [0, 1, 2, 3].map((n) => clientSlot(c.k, n)) as [Slot, Slot, Slot, Slot];
    const slots = { bank: clientBankSlot(o.clients, c.k), space: SERVER_SLOTS.space, driver: driverSlot(c.k), free };
    const s = yield* openSession(ctx, slots, { geometry: o.geometry, regionVa: regionVa(c.k), frames: o.frames, pins: o.pins });
    if (typeof s === 'string') {
      this.probe.stacks[c.k]!.status = s;
      c.alive = false;
      return;
    }
    const stack = new NetStack({ mac: yield* readMac(ctx, s), ip: s.ip, cpuHz: o.cpuHz, secret: o.secrets[c.k]!, tcp: sessionTcpOptions(o.geometry, o.tcp) });
    this.probe.stacks[c.k]!.counters = stack.counters;
    c.pump = new FramePump(ctx, s, stack);
    // The forwarder is paid from the session's sub-bank: destroying that (or the client's bank) ends it with the session.
    const fw = yield* ctx.invoke(s.bankSlot, 'allocDomain', { dst: clientSlot(c.k, 5), space: SERVER_SLOTS.space, body: forwarderFor(1 << c.k), caps: [s.notification, SLOT_NOTIFY_SIGNAL], name: `${ctx.name}.session${c.k}` });
    if (!fw.ok || !(yield* c.pump.start())) return yield* this.drop(c, `start: ${fw.ok ? 'kick' : fw.error}`);
  }

  /** Read the rings of the sessions with news, run every stack's timers, transmit, and wake the clients that have news. */
  private *turn(): GuestCode {
    for (const c of this.clients) {
      if (!c.alive || !c.pump) continue;
      try {
        yield* c.pump.receive();
        c.pump.stack.tick(this.ctx.now());
        if (!(yield* c.pump.transmit())) yield* this.drop(c, 'session-gone');
      } catch (e) {
        if (!this.ctx.isFault(e)) throw e;
        yield* this.drop(c, 'session-fault'); // the client's bank went, and its session with it
      }
    }
    for (const c of this.clients) {
      if (!c.alive || !c.wantsSignal) continue;
      yield* this.ctx.compute(SCAN_UNITS * (c.sockets.size + 1));
      if (!this.hasNews(c)) continue;
      c.wantsSignal = false;
      yield* this.ctx.invoke(clientSlot(c.k, 4), 'signal', { bits: 1 }); // a failure is the client's: it will not hear
    }
  }

  private *message(m: Received): GuestCode {
    const ctx = this.ctx;
    const c = m.badge >= 1 && m.badge <= this.clients.length ? this.clients[m.badge - 1] : undefined;
    if (!c) return void (yield* ctx.reply({ label: STATUS_REFUSED, words: [STATUS_REFUSED] }));
    if (!c.alive || !c.pump) return void (yield* ctx.reply({ label: STATUS_NO_SESSION, words: [STATUS_NO_SESSION] }));
    let status = STATUS_REFUSED;
    let words: number[] = [];
    if (m.label === LABEL_SETUP_NOTIFY && m.caps.length >= 1) {
      if ((yield* ctx.invoke(m.caps[0]!, 'copy', { dst: clientSlot(c.k, 4), rights: ['write'] })).ok) {
        c.notify = true;
        status = STATUS_OK;
        words = [c.pump.stack.ip];
      }
    } else if (m.label === LABEL_SETUP_PAGE && m.caps.length >= 1) {
      const index = m.words[0] ?? -1;
      if (index >= 0 && index < SHARED_PAGES && !(c.pages & (1 << index))) {
        // Mapped, not kept: revoking the page clears this mapping, and the next access faults.
        const r = yield* ctx.invoke(SERVER_SLOTS.space, 'map', { va: sharedVa(c.k) + index * PAGE_BYTES, page: m.caps[0]!, rights: RW });
        if (r.ok) {
          c.pages |= 1 << index;
          status = STATUS_OK;
        }
      }
    } else if (m.label === LABEL_EXCHANGE && c.pages === ALL_PAGES && c.notify) {
      const r = yield* this.exchange(c, m.words[0] ?? -1);
      if (r) {
        status = STATUS_OK;
        words = r;
      }
    }
    if (status !== STATUS_OK) this.probe.rejected[c.k]!++;
    yield* ctx.reply({ label: status, words: [status, ...words] });
  }

  /** One exchange of client c: copy its request in, apply it, write the events out. Returns the reply words, or undefined when refused. */
  private *exchange(c: Client, requestBytes: number): GuestCode<number[] | undefined> {
    const ctx = this.ctx;
    if (!Number.isInteger(requestBytes) || requestBytes < 0 || requestBytes > REQUEST_BYTES || requestBytes % 4 !== 0) return undefined;
    const guard = this.o.unsafe?.trustClientPages !== true;
    let request: Uint8Array;
    try {
      request = yield* ctx.read(sharedVa(c.k), requestBytes);
    } catch (e) {
      if (!guard || !ctx.isFault(e)) throw e;
      yield* this.drop(c, 'page-fault');
      return undefined;
    }
    yield* this.apply(c, request);
    const out = new RecordWriter(RESPONSE_BYTES);
    const more = yield* this.collect(c, out);
    const response = out.take();
    try {
      yield* ctx.write(sharedVa(c.k) + RESPONSE_OFFSET, response);
    } catch (e) {
      if (!guard || !ctx.isFault(e)) throw e;
      yield* this.drop(c, 'page-fault');
      return undefined;
    }
    c.wantsSignal = true;
    this.probe.exchanges[c.k]!++;
    this.probe.stacks[c.k]!.status ??= 'open'; // its applications' sockets exist now: traffic may start
    return [response.length, more ? 1 : 0];
  }

  private reject(c: Client): void {
    this.probe.rejected[c.k]!++;
  }

  /** Whether `id` may name a new socket of c. */
  private fresh(c: Client, id: number): boolean {
    const closing = this.o.unsafe?.unboundedPending === true ? 0 : c.closing.size;
    return id >= 1 && id < FIRST_ACCEPTED_ID && !c.sockets.has(id) && !c.closing.has(id) && c.sockets.size + closing < MAX_SOCKETS_PER_CLIENT;
  }

  /** Queue `events` for c, the last of them the EV_CLOSED of `id`, which counts against c's table until it is reported. */
  private closing(c: Client, id: number, ...events: number[][]): void {
    c.pending.push(...events);
    if (this.o.unsafe?.unboundedPending !== true) c.closing.add(id);
  }

  private *apply(c: Client, request: Uint8Array): GuestCode {
    const stack = c.pump!.stack;
    const r = new RecordReader(request);
    while (!r.done) {
      const h = r.words(OP_WORDS);
      if (!h) return this.reject(c);
      yield* this.ctx.compute(OP_UNITS);
      const [head, id, a, b] = h as [number, number, number, number];
      const op = head & 0xffff;
      const port = head >>> 16;
      const e = c.sockets.get(id);
      const closedNow = () => this.closing(c, id, [EV_TCP, id, TCP_STATES.indexOf('CLOSED') | (ABORT_REASONS.indexOf('reset') << 8) | (1 << 10), 0, 0, 0], [EV_CLOSED, id, 0, 0, 0, 0]);
      switch (op) {
        case OP_LISTEN: {
          if (!this.fresh(c, id)) { this.reject(c); break; }
          const l = stack.listen(a, b === 0 ? undefined : Math.min(b, MAX_BACKLOG));
          if (typeof l === 'string') { closedNow(); break; }
          c.sockets.set(id, { kind: 'listener', listener: l });
          break;
        }
        case OP_CONNECT: {
          if (!this.fresh(c, id)) { this.reject(c); break; }
          const s = stack.connect(a, b);
          if (typeof s === 'string') { closedNow(); break; }
          c.sockets.set(id, { kind: 'tcp', sock: s, credit: MIRROR_RX_BYTES, last: undefined });
          break;
        }
        case OP_BIND: {
          if (!this.fresh(c, id)) { this.reject(c); break; }
          const u = stack.udpBind(a);
          if (typeof u === 'string') { closedNow(); break; }
          c.sockets.set(id, { kind: 'udp', udp: u });
          break;
        }
        case OP_SEND:
        case OP_SENDTO: {
          const data = r.data(a);
          if (!data) return this.reject(c); // a length past what was copied: the rest of the batch cannot be parsed
          if (op === OP_SEND && e?.kind === 'tcp') e.sock.send(data); // the client offered no more than the room it was told of; a hostile one loses the rest
          else if (op === OP_SENDTO && e?.kind === 'udp') e.udp.sendto(b, port, data);
          else this.reject(c);
          break;
        }
        case OP_GRANT:
          if (e?.kind === 'tcp' && a <= MIRROR_RX_BYTES - e.credit) e.credit += a;
          else this.reject(c);
          break;
        case OP_CLOSE:
          if (e?.kind === 'tcp') e.sock.close();
          else if (e?.kind === 'listener' || e?.kind === 'udp') {
            if (e.kind === 'listener') e.listener.close();
            else e.udp.close();
            c.sockets.delete(id);
            this.closing(c, id, [EV_CLOSED, id, 0, 0, 0, 0]);
          } else this.reject(c);
          break;
        case OP_ABORT:
          if (e?.kind === 'tcp') e.sock.abort();
          else this.reject(c);
          break;
        default:
          return this.reject(c); // an unknown record: its length is unknown too
      }
    }
  }

  /** Whether c has an event to collect (what collect would write), without taking anything. */
  private hasNews(c: Client): boolean {
    if (c.pending.length > 0) return true;
    for (const e of c.sockets.values()) {
      if (e.kind === 'listener' && e.listener.ready.length > 0) return true;
      if (e.kind === 'udp' && e.udp.queue.length > 0) return true;
      if (e.kind === 'tcp' && ((e.sock.readable > 0 && e.credit > 0) || !same(e.last, snapshot(e.sock)))) return true;
    }
    return false;
  }

  /** Write c's events into `out` (as many as fit); returns whether some had to wait. */
  private *collect(c: Client, out: RecordWriter): GuestCode<boolean> {
    const header = EVENT_WORDS * 4;
    while (c.pending.length > 0) {
      const ev = c.pending[0]!;
      if (!out.add(ev)) return true;
      c.pending.shift();
      if (ev[0] === EV_CLOSED) c.closing.delete(ev[1]!);
    }
    yield* this.ctx.compute(SCAN_UNITS * c.sockets.size);
    // Accepted connections join the map while it is walked; a Map's walk visits them in order.
    for (const [id, e] of c.sockets) {
      if (e.kind === 'listener') {
        while (e.listener.ready.length > 0 && c.sockets.size < MAX_SOCKETS_PER_CLIENT) {
          if (out.room < 2 * header) return true;
          const s = e.listener.accept()!;
          const nid = c.nextAccepted++;
          c.sockets.set(nid, { kind: 'tcp', sock: s, credit: MIRROR_RX_BYTES, last: undefined });
          out.add([EV_ACCEPT, id, nid, s.remoteIp, s.remotePort, s.localPort]);
        }
      } else if (e.kind === 'udp') {
        for (let d = e.udp.queue[0]; d; d = e.udp.queue[0]) {
          if (!out.add([EV_DATAGRAM, id, d.ip, d.port, 0, d.data.length], d.data)) return true;
          e.udp.queue.shift();
        }
      } else {
        const s = e.sock;
        if (out.room < header) return true;
        const n = Math.min(s.readable, e.credit, out.room - header - 3);
        const data = n > 0 ? s.recv(n) : undefined;
        e.credit -= data?.length ?? 0;
        const now = snapshot(s);
        if (data || !same(e.last, now)) {
          out.add([EV_TCP, id, now[0]!, now[1]!, now[2]!, data?.length ?? 0], data);
          e.last = now;
        }
        if (s.state === 'CLOSED' && s.readable === 0) {
          if (!out.add([EV_CLOSED, id, 0, 0, 0, 0])) return true;
          c.sockets.delete(id);
        } else if (s.readable > 0 && e.credit > 0) return true;
      }
    }
    return false;
  }

  /** Forget client c: its session (and forwarder) go with its sub-bank, its pages are unmapped, its sockets dropped. Others are untouched. */
  private *drop(c: Client, why: string): GuestCode {
    const ctx = this.ctx;
    c.alive = false;
    this.probe.dropped[c.k] ??= why;
    this.probe.stacks[c.k]!.status ??= why; // decided: the peer need not wait for it
    if (c.pump) yield* ctx.invoke(c.pump.session.bankSlot, 'destroy', {});
    for (let j = 0; j < SHARED_PAGES; j++) if (c.pages & (1 << j)) yield* ctx.invoke(SERVER_SLOTS.space, 'unmap', { va: sharedVa(c.k) + j * PAGE_BYTES });
    for (let n = 0; n < CLIENT_BLOCK_SLOTS; n++) yield* ctx.invoke(clientSlot(c.k, n), 'drop', {});
    c.sockets.clear();
    c.pending.length = 0;
    c.closing.clear();
    c.pump = undefined;
  }
}

/** The server's domain body. */
export function stackServer(o: ServerOptions, probe: ServerProbe): DomainBody {
  if (o.clients > MAX_SERVER_CLIENTS) throw new Error(`stack server: at most ${MAX_SERVER_CLIENTS} clients`);
  return function* (ctx) {
    yield* new StackServer(ctx, o, probe).run();
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ StackServer, Client, stackServer, newServerProbe, driverSlot, clientBankSlot });
