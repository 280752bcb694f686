// Receive (DESIGN.md §5): what happens to a frame the card put in a buffer.
//   copy    the buffer is the driver's; the frame is copied into a posted buffer of the session
//           it is for, through the driver's mirror of that session's region.
//   flip    the buffer is a stack's; if the frame is that stack's it is delivered in place;
//           otherwise the page is exchanged with a posted page of the right stack (both pages
//           unpinned by then), remapped read-only in both stacks, and the tails that could
//           carry someone's older bytes are zeroed first.
//   hybrid  as flip, but a misplaced frame shorter than the threshold is copied instead.
// Any fault or void capability on a session's storage kills just that session.

import type { GuestCode } from '../kernel/api/context.js';
import { DEMUX_BYTES, demultiplex } from '../net/demux.js';
import { DELIVER_COPIED, DELIVER_EXCHANGED, DELIVER_FLIPPED } from '../session/layout.js';
import { NOTIFY_RX } from '../session/protocol.js';
import type { RxDone, RxTarget } from './backend.js';
import { count, countDrop, countReject } from './counters.js';
import type { Driver } from './driver.js';
import type { Session } from './session.js';

/** Handle one completed receive slot. */
export function* receive(d: Driver, done: RxDone): GuestCode {
  const t = done.target;
  if (!t) return countDrop(d.counters, undefined, 'no-buffer');
  // Planted bug exchangeBeforeUnpin: the buffer keeps its pin until the frame is dealt with (an exchange included).
  if (t.token !== undefined && d.config.unsafe?.exchangeBeforeUnpin) {
    yield* handle(d, done, t);
    return yield* d.unpin(t.token, t.session);
  }
  if (t.token !== undefined) yield* d.unpin(t.token, t.session);
  yield* handle(d, done, t);
}

/** The frame in `t`, its buffer no longer pinned: deliver it, exchange it, copy it, or count why not. */
function* handle(d: Driver, done: RxDone, t: RxTarget): GuestCode {
  const owner = t.session;
  // Its storage is gone, and the frame with it (whoever it was for): count it, never lose it silently.
  if (owner?.dead) return countDrop(d.counters, owner, 'revoked');
  if (!done.ok) {
    countDrop(d.counters, owner, done.revoked ? 'revoked' : 'rx-error');
    if (done.revoked && owner) return d.kill(owner);
    return giveBack(d, t);
  }
  d.counters.received++;
  let prefix: Uint8Array;
  try {
    prefix = yield* d.ctx.read(t.va, Math.min(done.length, DEMUX_BYTES));
  } catch (e) {
    if (!d.ctx.isFault(e) || !owner) throw e;
    countDrop(d.counters, owner, 'revoked');
    return d.kill(owner);
  }
  const r = demultiplex(prefix, done.length, (ip) => d.byIp.get(ip));
  if ('drop' in r) {
    countDrop(d.counters, undefined, r.drop);
    return giveBack(d, t);
  }
  const dest = r.session;
  if (!owner) {
    yield* copyInto(d, dest, t.va, undefined, done.length);
    return giveBack(d, t);
  }
  if (owner === dest) {
    if (!(yield* ringHasRoom(d, dest))) return giveBack(d, t);
    owner.lastLength[t.index] = Math.max(owner.lastLength[t.index]!, done.length + 4); // the card wrote the FCS too
    return yield* deliver(d, dest, t.index, done.length, DELIVER_FLIPPED);
  }
  if (d.strategy === 'hybrid' && done.length < d.hybridThreshold) {
    yield* copyInto(d, dest, t.va, owner, done.length);
    return giveBack(d, t);
  }
  yield* exchangeInto(d, dest, owner, t.index, done.length);
}

/** A buffer that delivered nothing goes back where it came from. */
function giveBack(d: Driver, t: RxTarget): void {
  if (!t.session) d.poolFree.push(t.index);
  else if (!t.session.dead) {
    t.session.buffers[t.index] = 'posted';
    t.session.posted.unshift(t.index);
  }
}

/** Whether the session's deliver ring has room (a hostile index counts as no room; a dead session has none, and the frame is counted). */
function* ringHasRoom(d: Driver, s: Session): GuestCode<boolean> {
  const space = yield* d.guard(s, s.rings.deliver.space());
  if (space === undefined) {
    countDrop(d.counters, s, 'revoked');
    return false;
  }
  if (space === 'index-jump') {
    countReject(d.counters, s, 'index-jump');
    countDrop(d.counters, s, 'ring-full');
    return false;
  }
  if (space === 0) countDrop(d.counters, s, 'ring-full');
  return space > 0;
}

/** Copy `length` bytes at the driver's `src` (a pool buffer, or `from`'s buffer) into a posted buffer of `dest`. */
function* copyInto(d: Driver, dest: Session, src: number, from: Session | undefined, length: number): GuestCode {
  const j = dest.takePosted();
  if (j === undefined) return countDrop(d.counters, dest, 'no-buffer');
  if (!(yield* ringHasRoom(d, dest))) return void dest.posted.unshift(j);
  try {
    yield* d.ctx.copy(dest.rxVa(j), src, length);
  } catch (e) {
    if (!d.ctx.isFault(e)) throw e;
    // Whose storage went away? The destination's mirror, or the source stack's.
    const victim = from && !inMirror(dest, e.linear) ? from : dest;
    countDrop(d.counters, dest, 'revoked');
    if (victim !== dest) dest.posted.unshift(j);
    return d.kill(victim);
  }
  dest.lastLength[j] = Math.max(dest.lastLength[j]!, length);
  yield* deliver(d, dest, j, length, DELIVER_COPIED);
}

function inMirror(s: Session, va: number): boolean {
  return va >= s.mirrorVa && va < s.mirrorVa + (1 << 22);
}

/** Move the frame in `from`'s buffer i to `dest` by exchanging the page with one `dest` posted. */
function* exchangeInto(d: Driver, dest: Session, from: Session, i: number, length: number): GuestCode {
  const j = dest.takePosted();
  if (j === undefined) {
    countDrop(d.counters, dest, 'no-buffer');
    return giveBack(d, bufferOf(from, i));
  }
  if (!(yield* ringHasRoom(d, dest))) {
    dest.posted.unshift(j);
    return giveBack(d, bufferOf(from, i));
  }
  const ctx = d.ctx;
  // Older bytes of `from` past this frame must not travel with the page.
  const stale = from.lastLength[i]! - length;
  if (stale > 0) {
    yield* d.guard(from, ctx.zero(from.rxVa(i) + length, stale));
    if (from.dead) {
      countDrop(d.counters, dest, 'revoked');
      return void dest.posted.unshift(j);
    }
  }
  const r = yield* ctx.invoke(from.slots.rx[i]!, 'exchange', { other: dest.slots.rx[j]! });
  if (!r.ok) {
    countDrop(d.counters, dest, r.error === 'busy' ? 'no-buffer' : 'revoked');
    dest.posted.unshift(j);
    if (r.error === 'busy') return giveBack(d, bufferOf(from, i));
    const fromAlive = (yield* ctx.invoke(from.slots.rx[i]!, 'identify', {})).ok;
    return d.kill(fromAlive ? dest : from);
  }
  // Both pages lost every mapping: map them again, read-only for the stacks. `from`'s page now
  // holds `dest`'s old buffer: what `dest` had left in it is zeroed before `from` can see it.
  const old = dest.lastLength[j]!;
  dest.lastLength[j] = length;
  from.lastLength[i] = 0;
  yield* d.mapRx(from, i, old);
  const okDest = yield* d.mapRx(dest, j);
  if (!from.dead) giveBack(d, bufferOf(from, i));
  if (okDest) yield* deliver(d, dest, j, length, DELIVER_EXCHANGED);
  else countDrop(d.counters, dest, 'revoked');
}

function bufferOf(s: Session, i: number): RxTarget {
  return { va: s.rxVa(i), bus: 0, session: s, index: i, token: undefined };
}

/** Put buffer j on the session's deliver ring (room was checked) and note the doorbell. */
function* deliver(d: Driver, s: Session, j: number, length: number, how: number): GuestCode {
  yield* d.guard(s, s.rings.deliver.put([j, length, how, 0]));
  if (s.dead) return countDrop(d.counters, s, 'revoked');
  s.buffers[j] = 'stack';
  d.onDeliver?.({ session: s, buffer: j, length, how });
  count(d.counters, s, 'delivered');
  count(d.counters, s, how === DELIVER_COPIED ? 'copied' : how === DELIVER_FLIPPED ? 'flipped' : 'exchanged');
  d.notify(s, NOTIFY_RX);
}

/** Posted buffers per session kept out of the card in flip and hybrid. */
export const EXCHANGE_RESERVE = 1;

/** Arm free card slots: the pool (copy) or posted stack buffers, one per session per turn, within pin limits (flip, hybrid). */
export function* arm(d: Driver): GuestCode {
  const b = d.backend;
  if (d.strategy === 'copy') {
    while (b.freeRxSlots() > 0 && d.poolFree.length > 0) yield* b.arm(d.poolTarget(d.poolFree.shift()!));
    return;
  }
  yield* d.armTurns.serve(d.sessions, () => b.freeRxSlots() > 0, (s) => armOne(d, s));
}

/** Arm one posted buffer of the session; false if it has none to spare, is at its pin limit, or is dead. */
function* armOne(d: Driver, s: Session): GuestCode<boolean> {
  const b = d.backend;
  // Keep EXCHANGE_RESERVE posted buffers unarmed: a frame for this session that lands in
  // another's page needs one of its unpinned pages to exchange with.
  if (s.dead || s.posted.length <= EXCHANGE_RESERVE || (b.pinsPayload && s.pins >= d.pinLimit)) return false;
  const i = s.posted.shift()!;
  let bus = 0;
  let token: number | undefined;
  if (b.pinsPayload) {
    const p = yield* d.pin(s, s.slots.rx[i]!, 'from-device');
    if (p === 'dead') return false;
    if (p === 'limit') {
      s.posted.unshift(i);
      return false;
    }
    bus = wrongBus(d, s) ?? p.bus;
    token = p.token;
    if (d.config.unsafe?.wrongBufferDma) d.lastArmed = { session: s, bus: p.bus };
  }
  s.buffers[i] = 'armed';
  yield* b.arm({ va: s.rxVa(i), bus, session: s, index: i, token });
  return true;
}

/** Planted bug wrongBufferDma: the bus address of the buffer last armed for another session (the record still names this session's). */
function wrongBus(d: Driver, s: Session): number | undefined {
  const last = d.lastArmed;
  return last && last.session !== s ? last.bus : undefined;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ receive, arm });
