// The frame pump between a session's rings and a NetStack: what every domain that runs a
// stack over a driver session does each turn of its loop (the stack domain, domain.ts; the
// monolithic topology's server, guest/monolithic/server.ts, with one pump per session).
// Every frame is read out of its receive buffer and written into a transmit buffer through
// the domain's memory view, so every byte costs cycles and can race with the card's DMA; the
// protocol work around it is charged as computation (costs.ts). Domain code.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import type { ClientSession } from '../session/client.js';
import { INFO_MAC_HI, INFO_MAC_LO, PAGE_BYTES } from '../session/layout.js';
import { frameInputCost, frameOutputCost } from './costs.js';
import { ETHERNET_MSS, type NetStack, type StackConfig } from './stack.js';
import { TCP_MAX_WINDOW } from './tcp/receive-queue.js';
import type { Geometry } from '../session/layout.js';

/** Bytes of the transmit area each frame gets: a page holds two frames of up to 1514 bytes. */
export const TX_SLOT_BYTES = 2048;

/** A stack's TCP options over a session of geometry `g`: a window no larger than the receive buffers (a sender's whole window fits in them before the stack has run to repost any). */
export function sessionTcpOptions(g: Geometry, tcp?: StackConfig['tcp']): StackConfig['tcp'] {
  return { receiveBuffer: Math.min(TCP_MAX_WINDOW, g.rxBuffers * ETHERNET_MSS), ...tcp };
}

/** The card's address as the driver wrote it in the session's info words. */
export function* readMac(ctx: DomainContext, s: ClientSession): GuestCode<Uint8Array> {
  const lo = yield* ctx.load32(s.regionVa + INFO_MAC_LO);
  const hi = yield* ctx.load32(s.regionVa + INFO_MAC_HI);
  return Uint8Array.of(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff);
}

export class FramePump {
  private readonly freeSlots: number[];
  private readonly slotOf = new Map<number, number>(); // cookie -> transmit slot, until its completion
  private cookie = 0;
  /** Buffers to post again (kept until the fill ring takes them). */
  private readonly back: number[] = [];
  /** Buffers posted by the last receive(), so transmit() knows whether the driver needs a kick. */
  private posted = 0;

  constructor(
    private readonly ctx: DomainContext,
    readonly session: ClientSession,
    readonly stack: NetStack,
  ) {
    const slots = (session.geometry.txPages * PAGE_BYTES) / TX_SLOT_BYTES;
    this.freeSlots = Array.from({ length: slots }, (_, k) => slots - 1 - k);
  }

  /** Post every receive buffer and ring the doorbell; false if the session is gone. */
  *start(): GuestCode<boolean> {
    yield* this.session.post(Array.from({ length: this.session.geometry.rxBuffers }, (_, i) => i));
    return yield* this.session.kick();
  }

  /** Feed every delivered frame to the stack, post the buffers back, take the completions. Returns the frames delivered. */
  *receive(): GuestCode<number> {
    const s = this.session;
    let frames = 0;
    for (const [buffer, length] of yield* s.deliveries()) {
      const frame = yield* this.ctx.read(s.rxVa(buffer), length);
      this.back.push(buffer); // the bytes are the stack's own now: the buffer can go back at once
      yield* this.ctx.compute(frameInputCost(frame));
      this.stack.input(frame, this.ctx.now());
      frames++;
    }
    this.posted = this.back.length > 0 ? yield* s.post(this.back) : 0;
    this.back.splice(0, this.posted);
    for (const [c] of yield* s.completions()) {
      const slot = this.slotOf.get(c);
      if (slot === undefined) continue;
      this.slotOf.delete(c);
      this.freeSlots.push(slot);
    }
    return frames;
  }

  /** Submit what the stack has to send (as many frames as there are free slots) and kick the driver if anything was posted or submitted; false if the session is gone. */
  *transmit(): GuestCode<boolean> {
    let submitted = 0;
    for (const f of this.stack.takeFrames(this.freeSlots.length)) {
      const slot = this.freeSlots.pop()!;
      this.cookie = (this.cookie + 1) >>> 0;
      yield* this.ctx.compute(frameOutputCost(f));
      if (!(yield* this.session.submit(f, slot * TX_SLOT_BYTES, this.cookie))) {
        this.freeSlots.push(slot);
        break; // cannot happen while slots and ring entries match; the frame is lost like a full queue's
      }
      this.slotOf.set(this.cookie, slot);
      submitted++;
    }
    const kick = this.posted > 0 || submitted > 0;
    this.posted = 0;
    return !kick || (yield* this.session.kick());
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ FramePump, readMac, sessionTcpOptions });
