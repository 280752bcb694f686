// Transmit (DESIGN.md §5): take sessions' submitted frames, copy each header into the
// driver's memory and check the copy (source MAC the card's, source address the session's,
// EtherType, lengths), then hand the card the checked header and the payload: pinned and read
// by DMA in bus-master mode, copied through the data port in classic mode. A rejected frame
// completes at once with its reason; a frame is taken only when its completion has room.
//
// Sessions share the transmitter round-robin (turns.ts): one submitted entry per session per
// turn while the card can take more, so one that keeps its ring full gets the same share as
// any other busy session (issue 9, attack 6). The test switch `unsafe.transmitInListOrder`
// restores list order, each session sending all it can before the next is looked at.

import type { GuestCode } from '../kernel/api/context.js';
import { checkTransmitHeader, headerCopyBytes } from '../net/txcheck.js';
import { PAGE_BYTES, TX_FAILED, TX_SENT } from '../session/layout.js';
import { NOTIFY_TX } from '../session/protocol.js';
import { txStatusOf, type RejectReason } from '../session/reasons.js';
import { checkTxEntry } from '../session/validate.js';
import type { TxDone } from './backend.js';
import { count, countReject } from './counters.js';
import type { Driver } from './driver.js';
import type { Session } from './session.js';

/** Most frames of one session in flight at once. */
export const TX_PER_SESSION = 4;

/** Offer the transmitter to every session: in turns, or (test switch) in list order. */
export function* transmit(d: Driver): GuestCode {
  const b = d.backend;
  const take = (s: Session) => transmitOne(d, s);
  if (!d.config.unsafe?.transmitInListOrder) return yield* d.transmitTurns.serve(d.sessions, () => b.canTransmit(), take);
  for (const s of [...d.sessions]) while (b.canTransmit() && (yield* take(s)));
}

/**
 * Take the session's next submitted entry, if it has one the driver may take now, and send it
 * or reject it. Returns whether the session took its turn (an entry taken, the session still
 * alive). The caller checked that the card has room.
 */
function* transmitOne(d: Driver, s: Session): GuestCode<boolean> {
  const b = d.backend;
  if (s.dead || s.txInFlight >= TX_PER_SESSION) return false;
  const room = yield* d.guard(s, s.rings.txDone.space());
  if (room === undefined) return false;
  if (room === 'index-jump') return refuse(d, s, 'index-jump');
  if (room <= s.txInFlight) return false; // every frame taken must be able to complete
  const submit = s.rings.txSubmit;
  if (submit.ready === 0) {
    const n = yield* d.guard(s, submit.poll());
    if (n === undefined) return false;
    if (n === 'index-jump') return refuse(d, s, 'index-jump');
    if (n === 0) return false;
  }
  if (b.pinsPayload && s.pins >= d.pinLimit) return false; // wait for completions to release pins
  const e = yield* d.guard(s, submit.take());
  if (!e) return false;
  const req = checkTxEntry(e, s.geometry);
  if (typeof req === 'string') {
    yield* reject(d, s, e[2], req);
    return true;
  }
  const headerBytes = headerCopyBytes(req.length);
  const header = yield* d.guard(s, d.ctx.read(s.txVa(req.offset), headerBytes));
  if (header === undefined) return refuse(d, s, 'revoked');
  const bad = checkTransmitHeader(header, req.length, { mac: d.mac, ip: s.ip });
  if (bad) {
    yield* reject(d, s, req.cookie, bad);
    return true;
  }
  const payloadOffset = req.offset + headerBytes;
  let payloadBus = 0;
  let token: number | undefined;
  if (b.pinsPayload && req.length > headerBytes) {
    const page = Math.floor(req.offset / PAGE_BYTES);
    const p = yield* d.pin(s, s.slots.tx[page]!, 'to-device');
    if (p === 'dead') return refuse(d, s, 'revoked');
    if (p === 'limit') {
      yield* reject(d, s, req.cookie, 'pin-limit');
      return true;
    }
    payloadBus = p.bus + (payloadOffset % PAGE_BYTES);
    token = p.token;
  }
  const headerBus = d.config.unsafe?.skipHeaderCopy && token !== undefined ? payloadBus - headerBytes : undefined;
  const frame = { session: s, cookie: req.cookie, header, length: req.length, payloadVa: s.txVa(payloadOffset), payloadBus, token, headerBus };
  s.txInFlight++;
  yield* d.guard(s, b.transmit(frame));
  if (s.dead) {
    // Classic mode read the payload from a page the client revoked: nothing reached the card.
    s.txInFlight--;
    return refuse(d, s, 'revoked');
  }
  return true;
}

/** Count a reject the session cannot be told of (no entry to complete, or it is dead): its turn ends. */
function refuse(d: Driver, s: Session, reason: RejectReason): false {
  countReject(d.counters, s, reason);
  return false;
}

function* reject(d: Driver, s: Session, cookie: number, reason: RejectReason): GuestCode {
  countReject(d.counters, s, reason);
  yield* complete(d, s, cookie, txStatusOf(reason));
}

function* complete(d: Driver, s: Session, cookie: number, status: number): GuestCode {
  yield* d.guard(s, s.rings.txDone.put([cookie, status, 0, 0]));
  if (!s.dead) d.notify(s, NOTIFY_TX);
}

/** A frame left the wire (or failed): release its pin and tell its session. */
export function* transmitted(d: Driver, done: TxDone): GuestCode {
  const f = done.frame;
  const s = f.session;
  if (!s) throw new Error('driver: a frame of no session came back from the transmitter');
  if (f.token !== undefined) yield* d.unpin(f.token, s);
  s.txInFlight--;
  if (done.ok) count(d.counters, s, 'transmitted');
  if (!s.dead) yield* complete(d, s, f.cookie, done.ok ? TX_SENT : TX_FAILED);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ transmit, transmitted });
