// The shared ethernet driver domain (DESIGN.md §1, §5). It holds the device privilege, owns
// a small fixed set of pages (descriptor rings, transmit headers, a receive pool), and serves
// sessions that clients pay for. Everything arrives on its endpoint: OPEN calls and KICK
// doorbells from stacks, IRQ messages from its interrupt forwarder (a second domain in the
// driver's space that waits on the IRQ notification, since a domain waits on one thing at a
// time). After each message it services the card and every session's rings.
//
// Trust: every word a stack wrote is validated, every access to a stack's storage may fault
// or find a void capability; either kills that one session, never the driver.

import type { DomainBody, DomainContext, GuestCode, PinDirection, Slot } from '../kernel/api/context.js';
import { mustSucceed, setUpOwnPages, type OwnPage, type OwnPins, type Pinned } from './own-pages.js';
import { PAGE_BYTES, rxPage } from '../session/layout.js';
import { LABEL_IRQ, LABEL_OPEN } from '../session/protocol.js';
import type { Backend, RxTarget } from './backend.js';
import { BusMasterBackend } from './busmaster.js';
import { ClassicBackend } from './classic.js';
import {
  DEFAULTS, FORWARDER_BADGE, HEADER_VA, IRQ_BIT, POOL_VA, RING_VA, SLOT_BANK, SLOT_DEVPRIV, SLOT_ENDPOINT, SLOT_FORWARD_EP, SLOT_FORWARDER,
  SLOT_HEADER_PAGE, SLOT_IRQ, SLOT_POOL, SLOT_RECV_A, SLOT_RECV_B, SLOT_RING_PAGE, SLOT_SPACE, type DriverConfig, type Strategy,
} from './config.js';
import { countPins, countReject, newGlobalCounters, type GlobalCounters } from './counters.js';
import { openSession } from './open.js';
import { CardPorts } from './ports.js';
import { arm, receive } from './receive.js';
import { checkFillEntry } from '../session/validate.js';
import type { Session } from './session.js';
import { SlotAllocator } from './slots.js';
import { transmit, transmitted } from './transmit.js';
import { Turns } from './turns.js';

export type { Pinned };

/** A delivery as an outside observer (a test, the CLI's trace) sees it. */
export interface DeliveryEvent {
  readonly session: Session;
  readonly buffer: number;
  readonly length: number;
  readonly how: number;
}

/**
 * The driver's body. `view` (optional) is for observers outside the machine: it receives the
 * driver object, and `onDeliver` is told of every delivery as it is put on a ring.
 */
export function netDriver(config: DriverConfig, view?: { driver?: Driver; onDeliver?: (e: DeliveryEvent) => void }): DomainBody {
  return function* (ctx) {
    const d = new Driver(ctx, config);
    if (view) {
      view.driver = d;
      d.onDeliver = view.onDeliver;
    }
    yield* d.start();
    yield* d.loop();
  };
}

/** The interrupt forwarder: slot 0 the IRQ notification, slot 1 the driver's endpoint (badged). */
function* forwarder(ctx: DomainContext): GuestCode {
  for (;;) {
    const bits = yield* ctx.invoke(0, 'wait', {});
    if (!bits.ok) return;
    if (!(yield* ctx.invoke(1, 'send', { label: LABEL_IRQ, words: [bits.value] })).ok) return;
  }
}

export class Driver {
  readonly counters: GlobalCounters = newGlobalCounters();
  readonly sessions: Session[] = [];
  readonly byIp = new Map<number, Session>();
  readonly poolFree: number[] = [];
  readonly backend: Backend;
  readonly mac: Uint8Array;
  readonly strategy: Strategy;
  readonly hybridThreshold: number;
  readonly pinLimit: number;
  /** Most passes of one service(): then the driver looks at its endpoint (an OPEN waits no longer), and comes back. */
  readonly servicePasses: number;
  readonly limits: { maxSessions: number; maxTxPages: number; maxRxBuffers: number };
  readonly slots: SlotAllocator;
  /** Free mirror indexes, a stack (the next OPEN takes the last): none is delegated while it is here. */
  readonly mirrorFree: number[] = [];
  /** Whose turn it is at the transmitter, and at the card's receive slots (flip, hybrid). */
  readonly transmitTurns = new Turns();
  readonly armTurns = new Turns();
  onDeliver: ((e: DeliveryEvent) => void) | undefined;
  /** With the planted bug wrongBufferDma only: the receive buffer armed last and its session, what the bug arms next (receive.ts). */
  lastArmed: { readonly session: Session; readonly bus: number } | undefined;
  nextId = 1;
  ready = false;
  /** Receive slots of the card, and buffers in the driver's pool (slots SLOT_POOL ..). */
  readonly rxSlots: number;
  private readonly pending = new Map<Session, number>();
  /** The driver's own pinned pages (bus-master mode): ring page, header page, pool buffers. Read by the composition's per-transfer DMA check. */
  ownPins: OwnPins = { pool: [] };

  constructor(
    readonly ctx: DomainContext,
    readonly config: DriverConfig,
  ) {
    // An option given as undefined keeps its default (a plain spread would erase it).
    const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
    const c = { ...DEFAULTS, ...given } as typeof DEFAULTS & DriverConfig;
    this.mac = Uint8Array.from(config.mac);
    this.strategy = c.strategy;
    this.hybridThreshold = c.hybridThreshold;
    this.pinLimit = c.pinLimit;
    this.servicePasses = c.servicePasses;
    this.rxSlots = c.rxSlots;
    this.limits = { maxSessions: c.maxSessions, maxTxPages: c.maxTxPages, maxRxBuffers: c.maxRxBuffers };
    this.slots = new SlotAllocator(SLOT_POOL + c.rxSlots, ctx.constants.slots);
    // One mirror per session is enough: a session's mirror region goes with its session bank, and its index comes back clean.
    for (let k = c.maxSessions - 1; k >= 0; k--) this.mirrorFree.push(k);
    const io = new CardPorts(ctx, SLOT_DEVPRIV, c.ioBase);
    this.backend = c.mode === 'busmaster' ? new BusMasterBackend(ctx, io, this.mac, c.rxSlots, c.txDescriptors, c.unsafe?.recordArmedAfterOwn === true) : new ClassicBackend(ctx, io, this.mac, c.rxSlots);
  }

  // ------------------------------------------------------------ start and main loop

  /** Allocate and map the driver's own pages, pin them in bus-master mode, start the forwarder and the card. */
  *start(): GuestCode {
    const ctx = this.ctx;
    const own: OwnPage[] = [
      { slot: SLOT_RING_PAGE, va: RING_VA, dir: 'from-device' },
      { slot: SLOT_HEADER_PAGE, va: HEADER_VA, dir: 'to-device' },
      ...Array.from({ length: this.rxSlots }, (_, k): OwnPage => ({ slot: SLOT_POOL + k, va: POOL_VA + k * PAGE_BYTES, dir: 'from-device' })),
    ];
    const pins = yield* setUpOwnPages(ctx, own, this.backend.pinsPayload);
    if (this.backend instanceof BusMasterBackend) this.backend.setBus(pins[0]!.bus, pins[1]!.bus);
    this.ownPins = { ring: pins[0], header: pins[1], pool: pins.slice(2) };
    for (let k = 0; k < this.rxSlots; k++) this.poolFree.push(k);
    yield* mustSucceed('allocNotification', ctx.invoke(SLOT_BANK, 'allocNotification', { dst: SLOT_IRQ }));
    yield* mustSucceed('bindIrq', ctx.invoke(SLOT_DEVPRIV, 'bindIrq', { notification: SLOT_IRQ, bits: IRQ_BIT }));
    // The forwarder only waits and sends: a read-only notification, a send-only badged endpoint capability.
    yield* mustSucceed('copy', ctx.invoke(SLOT_IRQ, 'copy', { dst: SLOT_IRQ, rights: ['read'] }));
    yield* mustSucceed('copy', ctx.invoke(SLOT_ENDPOINT, 'copy', { dst: SLOT_FORWARD_EP, badge: FORWARDER_BADGE, rights: ['write'] }));
    yield* mustSucceed('allocDomain', ctx.invoke(SLOT_BANK, 'allocDomain', { dst: SLOT_FORWARDER, space: SLOT_SPACE, body: forwarder, caps: [SLOT_IRQ, SLOT_FORWARD_EP], name: `${ctx.name}.irq` }));
    for (const slot of [SLOT_IRQ, SLOT_FORWARD_EP]) yield* ctx.invoke(slot, 'drop', {}); // the driver keeps no capability it does not use
    yield* this.backend.init();
    yield* this.service();
    this.ready = true;
  }

  *loop(): GuestCode {
    for (;;) {
      // Frames service() left in the card (it stops after servicePasses) raise no interrupt of
      // their own: then the driver only looks for a message, and comes back to them at once.
      const timeout = this.backend.receivePending() ? { timeout: 1 } : {};
      const r = yield* this.ctx.invoke(SLOT_ENDPOINT, 'recv', { capSlots: [SLOT_RECV_A, SLOT_RECV_B], ...timeout });
      if (!r.ok && r.error === 'timeout') {
        yield* this.service();
        continue;
      }
      if (!r.ok) throw new Error(`driver: its endpoint is gone (${r.error})`);
      const m = r.value;
      if (m.label === LABEL_OPEN) yield* openSession(this, m);
      for (const s of m.caps) yield* this.ctx.invoke(s, 'drop', {});
      yield* this.service();
      if (m.label === LABEL_IRQ && m.badge === FORWARDER_BADGE) {
        yield* this.ctx.invoke(SLOT_DEVPRIV, 'ackIrq', {});
        yield* this.service();
      }
    }
  }

  /**
   * Card first (completions free buffers and pins), then every session's rings, until the card
   * is quiet: nothing to acknowledge and no frame left in it (classic mode takes a few a pass,
   * so that every pass reaches the transmitter). Every session's posted buffers are taken
   * before any is armed, so the card's receive slots are shared among all that posted; the
   * slots and the transmitter go round robin (turns.ts).
   */
  *service(): GuestCode {
    for (let pass = 0; pass < this.servicePasses; pass++) {
      const busy = yield* this.backend.acknowledge();
      for (const done of yield* this.backend.received()) yield* receive(this, done);
      for (const done of yield* this.backend.transmitted()) yield* transmitted(this, done);
      if (this.reclaimNeeded) yield* this.reclaim();
      this.counters.missed += yield* this.backend.missed();
      for (const s of [...this.sessions]) yield* this.takeFills(s);
      yield* arm(this);
      yield* transmit(this);
      yield* this.flushNotifications();
      yield* this.releaseSlots();
      if (!busy && !this.backend.receivePending()) return;
    }
  }

  // ------------------------------------------------------------ helpers for receive, transmit, open

  poolTarget(k: number): RxTarget {
    return { va: POOL_VA + k * PAGE_BYTES, bus: this.ownPins.pool[k]?.bus ?? 0, session: undefined, index: k, token: undefined };
  }

  /** Posted buffers from the session's fill ring, each checked. */
  private *takeFills(s: Session): GuestCode {
    const n = yield* this.guard(s, s.rings.fill.poll());
    if (n === undefined) return;
    if (n === 'index-jump') return void countReject(this.counters, s, 'index-jump');
    for (let k = 0; k < n; k++) {
      const e = yield* this.guard(s, s.rings.fill.take());
      if (!e) return;
      const i = checkFillEntry(e, s.geometry, (b) => s.holds(b));
      if (typeof i === 'string') countReject(this.counters, s, i);
      else {
        s.buffers[i] = 'posted';
        s.posted.push(i);
      }
    }
  }

  /**
   * Run `op` (an operation on a session's storage, not started yet) unless the session is
   * dead; a fault kills the session and gives undefined. An operation with no value leaves
   * the outcome in `s.dead`.
   */
  *guard<T>(s: Session, op: GuestCode<T>): GuestCode<T | undefined> {
    if (s.dead) return undefined;
    try {
      return yield* op;
    } catch (e) {
      if (!this.ctx.isFault(e)) throw e;
      this.kill(s);
      return undefined;
    }
  }

  /** Pin one of a session's pages: its bus address and token, 'limit', or 'dead' (the capability is void). */
  *pin(s: Session, slot: Slot, dir: PinDirection): GuestCode<{ bus: number; token: number } | 'limit' | 'dead'> {
    const r = yield* this.ctx.invoke(SLOT_DEVPRIV, 'pin', { page: slot, dir });
    if (r.ok) {
      s.pins++;
      countPins(this.counters, s.counters, 1);
      return r.value;
    }
    if (r.error === 'limit' || r.error === 'no-memory') return 'limit';
    this.kill(s);
    return 'dead';
  }

  *unpin(token: number, s: Session | undefined): GuestCode {
    const r = yield* this.ctx.invoke(SLOT_DEVPRIV, 'unpin', { token });
    if (!r.ok) throw new Error(`driver: unpin of its own token ${token} failed: ${r.error}`);
    if (s) {
      s.pins--;
      countPins(this.counters, s.counters, -1);
    }
  }

  /**
   * Map receive buffer i again after an exchange: read-write in the driver's mirror, then, once its
   * first `zeroBytes` are zeroed, read-only in the stack's region (issue 9 attack 9a: never the other way round).
   */
  *mapRx(s: Session, i: number, zeroBytes = 0): GuestCode<boolean> {
    const page = rxPage(s.geometry, i);
    const mirror = yield* this.ctx.invoke(s.slots.mirror, 'map', { va: s.mirrorPageVa(page), page: s.slots.rx[i]!, rights: ['read', 'write'] });
    // The page may hold another session's old bytes (an exchange gave it this frame): clean it
    // through the mirror before the stack can map it, across however many preemption points.
    if (mirror.ok && zeroBytes > 0 && !this.config.unsafe?.mapBeforeZero) yield* this.guard(s, this.ctx.zero(s.rxVa(i), zeroBytes));
    const stack = mirror.ok && !s.dead ? yield* this.ctx.invoke(s.slots.region, 'map', { va: s.stackPageVa(page), page: s.slots.rx[i]!, rights: this.config.unsafe?.writableRxBuffers ? ['read', 'write'] : ['read'] }) : mirror;
    if (mirror.ok && zeroBytes > 0 && this.config.unsafe?.mapBeforeZero) yield* this.guard(s, this.ctx.zero(s.rxVa(i), zeroBytes));
    if (!stack.ok) this.kill(s);
    return stack.ok && !s.dead;
  }

  /** Signal the session's notification at the end of this pass. */
  notify(s: Session, bits: number): void {
    this.pending.set(s, (this.pending.get(s) ?? 0) | bits);
  }

  private *flushNotifications(): GuestCode {
    for (const [s, bits] of this.pending) {
      if (s.dead) continue;
      const r = yield* this.ctx.invoke(s.slots.notification, 'signal', { bits });
      if (!r.ok) this.kill(s);
    }
    this.pending.clear();
  }

  /** The session's storage is gone or it misbehaved beyond repair: stop serving it, and release it at the end of the pass (`releaseSlots`). */
  kill(s: Session): void {
    if (s.dead) return;
    s.dead = true;
    this.counters.sessionsClosed++;
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
    if (this.byIp.get(s.ip) === s) this.byIp.delete(s.ip);
    this.pending.delete(s);
    this.releaseLater.push(s);
    this.reclaimNeeded = true;
  }

  private reclaimNeeded = false;

  /** Buffers of dead sessions still armed in the card: replace them with pool buffers where the card is not using them, so the frames they would have swallowed still reach live sessions. */
  private *reclaim(): GuestCode {
    this.reclaimNeeded = false;
    const taken = yield* this.backend.reclaim((t) => t.session?.dead === true, () => {
      const k = this.poolFree.shift();
      return k === undefined ? undefined : this.poolTarget(k);
    });
    for (const t of taken) if (t.token !== undefined) yield* this.unpin(t.token, t.session);
  }

  /** Dead sessions whose slots and mirror are released at the next opportunity (kill cannot yield). */
  private readonly releaseLater: Session[] = [];

  *releaseSlots(): GuestCode {
    for (const s of this.releaseLater.splice(0)) yield* this.release(s.slots.bank, s.allSlots, s.mirrorIndex);
  }

  /**
   * Give back what a session (open, or failed in setup) holds of the driver. Its session bank
   * is destroyed first: the kernel rescinds everything allocated from it, the mirror region
   * with its PDE in the driver's space, pinned pages to quarantine; a bank the client already
   * destroyed is simply void. Only then do the slots, emptied, and the mirror index, no longer
   * delegated, go back on their free lists.
   */
  *release(bank: Slot, slots: readonly Slot[], mirrorIndex: number): GuestCode {
    if (!this.config.unsafe?.abandonFailedSetups) yield* this.ctx.invoke(bank, 'destroy', {});
    for (const s of slots) yield* this.ctx.invoke(s, 'drop', {});
    this.slots.give(slots);
    this.mirrorFree.push(mirrorIndex);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ netDriver, Driver });
