// A client's TCP/IP stack as a domain (DESIGN.md §1: one untrusted stack per client): it
// opens a session with the driver from its own bank, then runs the stack (stack.ts) and its
// applications over the session's rings. Every frame is read out of its receive buffer and
// written into a transmit buffer through the domain's memory view, so every byte the stack
// touches costs cycles and can race with the card's DMA; the protocol work itself is charged
// as computation (costs.ts). The loop sleeps on the session's notification until a frame, a
// completion or the next timer of the stack or an application is due. Domain code: it uses
// only its context, the session library and the stack.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import { openSession, type ClientSlots, type ClientSession } from '../session/client.js';
import { INFO_MAC_HI, INFO_MAC_LO, PAGE_BYTES, type Geometry } from '../session/layout.js';
import { nextDue } from './due.js';
import type { App } from './sockets.js';
import type { StackCounters } from './counters.js';
import { frameInputCost, frameOutputCost } from './costs.js';
import { ETHERNET_MSS, NetStack, type StackConfig } from './stack.js';
import { TCP_MAX_WINDOW } from './tcp/receive-queue.js';

/** Bytes of the transmit area each frame gets: a page holds two frames of up to 1514 bytes. */
export const TX_SLOT_BYTES = 2048;

export interface StackDomainOptions {
  readonly slots: ClientSlots;
  readonly geometry: Geometry;
  readonly regionVa: number;
  /** Frames and pins of the session sub-bank. */
  readonly frames: number;
  readonly pins: number;
  readonly cpuHz: number;
  readonly secret: number;
  readonly tcp?: StackConfig['tcp'];
  /** The applications, made once the stack has its address. */
  readonly apps: (stack: NetStack) => App[];
}

/** What the composition reads back: the session's status and the stack's counters. */
export interface StackProbe {
  status: string | undefined;
  counters: StackCounters | undefined;
}

export function newStackProbe(): StackProbe {
  return { status: undefined, counters: undefined };
}

function* readMac(ctx: DomainContext, s: ClientSession): GuestCode<Uint8Array> {
  const lo = yield* ctx.load32(s.regionVa + INFO_MAC_LO);
  const hi = yield* ctx.load32(s.regionVa + INFO_MAC_HI);
  return Uint8Array.of(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff);
}

export function stackDomain(o: StackDomainOptions, probe: StackProbe): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const s = yield* openSession(ctx, o.slots, { geometry: o.geometry, regionVa: o.regionVa, frames: o.frames, pins: o.pins });
    if (typeof s === 'string') {
      probe.status = s;
      return;
    }
    probe.status = 'open';
    // A window no larger than the receive buffers: a sender's whole window fits in them before the stack has run to repost any.
    const tcp = { receiveBuffer: Math.min(TCP_MAX_WINDOW, o.geometry.rxBuffers * ETHERNET_MSS), ...o.tcp };
    const stack = new NetStack({ mac: yield* readMac(ctx, s), ip: s.ip, cpuHz: o.cpuHz, secret: o.secret, tcp });
    probe.counters = stack.counters;
    const apps = o.apps(stack);
    const slots = (o.geometry.txPages * PAGE_BYTES) / TX_SLOT_BYTES;
    const freeSlots = Array.from({ length: slots }, (_, k) => slots - 1 - k);
    const slotOf = new Map<number, number>(); // cookie -> transmit slot, until its completion
    let cookie = 0;
    yield* s.post(Array.from({ length: o.geometry.rxBuffers }, (_, i) => i));
    if (!(yield* s.kick())) return;
    const back: number[] = []; // buffers to post again (kept until the fill ring takes them)
    for (;;) {
      for (const [buffer, length] of yield* s.deliveries()) {
        const frame = yield* ctx.read(s.rxVa(buffer), length);
        back.push(buffer); // the bytes are the stack's own now: the buffer can go back at once
        yield* ctx.compute(frameInputCost(frame));
        stack.input(frame, ctx.now());
      }
      const posted = back.length > 0 ? yield* s.post(back) : 0;
      back.splice(0, posted);
      for (const [c] of yield* s.completions()) {
        const slot = slotOf.get(c);
        if (slot === undefined) continue;
        slotOf.delete(c);
        freeSlots.push(slot);
      }
      stack.tick(ctx.now());
      for (const a of apps) a.advance();
      let submitted = 0;
      for (const f of stack.takeFrames(freeSlots.length)) {
        const slot = freeSlots.pop()!;
        cookie = (cookie + 1) >>> 0;
        yield* ctx.compute(frameOutputCost(f));
        if (!(yield* s.submit(f, slot * TX_SLOT_BYTES, cookie))) {
          freeSlots.push(slot);
          break; // cannot happen while slots and ring entries match; the frame is lost like a full queue's
        }
        slotOf.set(cookie, slot);
        submitted++;
      }
      if ((posted > 0 || submitted > 0) && !(yield* s.kick())) break;
      const due = nextDue(stack, apps);
      const timeout = due === undefined ? ctx.constants.maxTimeout : Math.min(ctx.constants.maxTimeout, Math.max(1, due - ctx.now()));
      const r = yield* ctx.invoke(s.notification, 'wait', { timeout });
      if (!r.ok) break; // the session is gone (its bank destroyed)
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newStackProbe, stackDomain });
