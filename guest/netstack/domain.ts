// A client's TCP/IP stack as a domain (DESIGN.md §1: one untrusted stack per client): it
// opens a session with the driver from its own bank, then runs the stack (stack.ts) and its
// applications over the session's rings. Every frame is read out of its receive buffer and
// written into a transmit buffer through the domain's memory view, so every byte the stack
// touches costs cycles and can race with the card's DMA; the protocol work itself is charged
// as computation (costs.ts). The loop sleeps on the session's notification until a frame, a
// completion or the next timer of the stack or an application is due. Domain code: it uses
// only its context, the session library and the stack.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import { openSession, type ClientSlots } from '../session/client.js';
import type { Geometry } from '../session/layout.js';
import { nextDue } from './due.js';
import type { App } from './sockets.js';
import type { StackCounters } from './counters.js';
import { FramePump, readMac, sessionTcpOptions } from './pump.js';
import { NetStack, type StackConfig } from './stack.js';

export { TX_SLOT_BYTES } from './pump.js';

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

export function stackDomain(o: StackDomainOptions, probe: StackProbe): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const s = yield* openSession(ctx, o.slots, { geometry: o.geometry, regionVa: o.regionVa, frames: o.frames, pins: o.pins });
    if (typeof s === 'string') {
      probe.status = s;
      return;
    }
    probe.status = 'open';
    const stack = new NetStack({ mac: yield* readMac(ctx, s), ip: s.ip, cpuHz: o.cpuHz, secret: o.secret, tcp: sessionTcpOptions(o.geometry, o.tcp) });
    probe.counters = stack.counters;
    const apps = o.apps(stack);
    const pump = new FramePump(ctx, s, stack);
    if (!(yield* pump.start())) return;
    for (;;) {
      yield* pump.receive();
      stack.tick(ctx.now());
      for (const a of apps) a.advance();
      if (!(yield* pump.transmit())) break;
      const due = nextDue(stack, apps);
      const timeout = due === undefined ? ctx.constants.maxTimeout : Math.min(ctx.constants.maxTimeout, Math.max(1, due - ctx.now()));
      const r = yield* ctx.invoke(s.notification, 'wait', { timeout });
      if (!r.ok) break; // the session is gone (its bank destroyed)
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newStackProbe, stackDomain });
