// The boot scenario's client traffic, a stack body for stack.ts: it sends UDP datagrams
// through its session to the echo peer on the wire and takes the echoes back, keeping a
// small window in flight. The built-in echo peer (devices/peers/echo.ts) is a layer-2 mirror
// that swaps only the MAC addresses, so a datagram comes back to the stack whose IPv4 address
// is its destination: each client addresses its datagrams to itself, through the peer's MAC.
// Every echo is compared byte for byte with what the client sent. Domain code: it uses only
// its context and the session library.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import { get32, put32 } from '../net/bytes.js';
import { ipv4Frame } from '../net/build.js';
import { ETH_HEADER } from '../net/ethernet.js';
import { IPV4_MIN_HEADER } from '../net/ipv4.js';
import type { ClientSession } from '../session/client.js';
import { TX_SENT } from '../session/layout.js';
import type { Probe } from './raw-stack.js';

/** Datagrams in flight at once, each in its own half of the one transmit page (a frame is at most 1514 bytes). */
export const WINDOW = 2;
const TX_SLOT_BYTES = 2048;
/**
 * Without a delivery for this many cycles (2 ms at 133 MHz, several round trips in bus-master
 * mode), the awaited echoes are counted lost and new datagrams go out: the client's
 * retransmission timer. An echo that turns up later (classic mode is slower) still counts, and
 * is no longer lost.
 */
export const ECHO_TIMEOUT = 266_000;
/** Where a datagram's sequence number sits: the first word of the IPv4 payload. */
const SEQ_OFFSET = ETH_HEADER + IPV4_MIN_HEADER;

/** What a client counted, as plain data for the report. */
export interface EchoStats {
  /** Datagrams submitted, completed by the driver as sent or refused, echoes received intact, mangled, or given up on. */
  sent: number;
  txSent: number;
  txFailed: number;
  echoed: number;
  echoedBytes: number;
  mismatched: number;
  /** Echoes still missing after ECHO_TIMEOUT (less those that came later). */
  lost: number;
  /** Frames delivered that were not an echo the client was waiting for. */
  strangers: number;
}

export function newEchoStats(): EchoStats {
  return { sent: 0, txSent: 0, txFailed: 0, echoed: 0, echoedBytes: 0, mismatched: 0, lost: 0, strangers: 0 };
}

export interface EchoClientOptions {
  /** The card's MAC (the session's source address) and the echo peer's. */
  cardMac: Uint8Array;
  peerMac: Uint8Array;
  /** Frame lengths to send, cycled through (60..1514). */
  sizes: readonly number[];
  /** Payload filler, so two clients' bytes differ. */
  tag: number;
}

function datagram(o: EchoClientOptions, ip: number, seq: number): Uint8Array {
  const length = o.sizes[seq % o.sizes.length]!;
  const payload = new Uint8Array(Math.max(4, length - SEQ_OFFSET));
  const fill = new DataView(payload.buffer); // setUint8 stays fast where indexed typed-array stores do not (a frozen realm)
  for (let b = 0; b < payload.length; b++) fill.setUint8(b, (b * 31 + seq * 7 + o.tag) & 0xff);
  const f = ipv4Frame({ dstMac: o.peerMac, srcMac: o.cardMac, src: ip, dst: ip, payload });
  put32(f, SEQ_OFFSET, seq);
  return f;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The body: window-limited echo traffic until the session ends (its bank destroyed, or the run stops). */
export function echoClient(o: EchoClientOptions, stats: EchoStats): (ctx: DomainContext, s: ClientSession, p: Probe) => GuestCode {
  return function* (ctx, s) {
    const freeSlots = Array.from({ length: WINDOW }, (_, k) => k);
    const slotOf = new Map<number, number>(); // cookie -> transmit slot, until its completion
    let waiting = new Map<number, Uint8Array>(); // seq -> the frame whose echo is awaited
    let overdue = new Map<number, Uint8Array>(); // ... given up on at the last timeout
    let seq = 0;
    for (;;) {
      let submitted = false;
      while (waiting.size < WINDOW && freeSlots.length > 0) {
        const f = datagram(o, s.ip, seq);
        const slot = freeSlots.pop()!;
        if (!(yield* s.submit(f, slot * TX_SLOT_BYTES, seq + 1))) {
          freeSlots.push(slot);
          break;
        }
        slotOf.set(seq + 1, slot);
        waiting.set(seq, f);
        stats.sent++;
        seq = (seq + 1) >>> 0;
        submitted = true;
      }
      if (submitted && !(yield* s.kick())) return;
      const r = yield* ctx.invoke(s.notification, 'wait', { timeout: ECHO_TIMEOUT });
      if (!r.ok) return; // the session is gone
      if (r.value === 0) {
        // Nothing for a while: whatever is awaited is lost (a drop on a full ring, say).
        stats.lost += waiting.size;
        overdue = waiting;
        waiting = new Map();
      }
      for (const [cookie, status] of yield* s.completions()) {
        const slot = slotOf.get(cookie);
        if (slot === undefined) continue;
        slotOf.delete(cookie);
        freeSlots.push(slot);
        if (status === TX_SENT) stats.txSent++;
        else stats.txFailed++;
      }
      const back: number[] = [];
      for (const [buffer, length] of yield* s.deliveries()) {
        const frame = yield* ctx.read(s.rxVa(buffer), length);
        back.push(buffer);
        const n = frame.length >= SEQ_OFFSET + 4 ? get32(frame, SEQ_OFFSET) : -1;
        const sent = waiting.get(n) ?? overdue.get(n);
        if (!sent) {
          stats.strangers++;
          continue;
        }
        if (overdue.delete(n)) stats.lost--;
        else waiting.delete(n);
        // The mirror swapped the MAC addresses back.
        const expected = sent.slice();
        expected.set(sent.subarray(6, 12), 0);
        expected.set(sent.subarray(0, 6), 6);
        if (same(frame, expected)) {
          stats.echoed++;
          stats.echoedBytes += length;
        } else stats.mismatched++;
      }
      if (back.length > 0) {
        yield* s.post(back);
        if (!(yield* s.kick())) return;
      }
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newEchoStats, echoClient });
