// Transmit (DESIGN.md §5): take a session's submitted frames, copy each header into the
// driver's memory and check the copy (source MAC the card's, source address the session's,
// EtherType, lengths), then hand the card the checked header and the payload: pinned and read
// by DMA in bus-master mode, copied through the data port in classic mode. A rejected frame
// completes at once with its reason; a frame is taken only when its completion has room.

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

export function* transmit(d: Driver, s: Session): GuestCode {
  const b = d.backend;
  let ready = 0;
  while (!s.dead && b.canTransmit() && s.txInFlight < TX_PER_SESSION) {
    const room = yield* d.guard(s, s.rings.txDone.space());
    if (room === undefined) return;
    if (room === 'index-jump') return countReject(d.counters, s, 'index-jump');
    if (room <= s.txInFlight) return; // every frame taken must be able to complete
    if (ready === 0) {
      const n = yield* d.guard(s, s.rings.txSubmit.poll());
      if (n === undefined) return;
      if (n === 'index-jump') return countReject(d.counters, s, 'index-jump');
      if (n === 0) return;
      ready = n;
    }
    if (b.pinsPayload && s.pins >= d.pinLimit) return; // wait for completions to release pins
    const e = yield* d.guard(s, s.rings.txSubmit.take());
    if (!e) return;
    ready--;
    const req = checkTxEntry(e, s.geometry);
    if (typeof req === 'string') {
      yield* reject(d, s, e[2], req);
      continue;
    }
    const headerBytes = headerCopyBytes(req.length);
    const header = yield* d.guard(s, d.ctx.read(s.txVa(req.offset), headerBytes));
    if (header === undefined) return countReject(d.counters, s, 'revoked');
    const bad = checkTransmitHeader(header, req.length, { mac: d.mac, ip: s.ip });
    if (bad) {
      yield* reject(d, s, req.cookie, bad);
      continue;
    }
    const payloadOffset = req.offset + headerBytes;
    let payloadBus = 0;
    let token: number | undefined;
    if (b.pinsPayload && req.length > headerBytes) {
      const page = Math.floor(req.offset / PAGE_BYTES);
      const p = yield* d.pin(s, s.slots.tx[page]!, 'to-device');
      if (p === 'dead') return countReject(d.counters, s, 'revoked');
      if (p === 'limit') {
        yield* reject(d, s, req.cookie, 'pin-limit');
        continue;
      }
      payloadBus = p.bus + (payloadOffset % PAGE_BYTES);
      token = p.token;
    }
    const frame = { session: s, cookie: req.cookie, header, length: req.length, payloadVa: s.txVa(payloadOffset), payloadBus, token };
    s.txInFlight++;
    yield* d.guard(s, b.transmit(frame));
    if (s.dead) {
      // Classic mode read the payload from a page the client revoked: nothing reached the card.
      s.txInFlight--;
      countReject(d.counters, s, 'revoked');
      return;
    }
  }
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
  if (f.token !== undefined) yield* d.unpin(f.token, s);
  s.txInFlight--;
  if (done.ok) count(d.counters, s, 'transmitted');
  if (!s.dead) yield* complete(d, s, f.cookie, done.ok ? TX_SENT : TX_FAILED);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ transmit, transmitted });
