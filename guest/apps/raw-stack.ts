// A raw-frame stack domain (an application-level stack: guest/apps) written with the session client library (guest/session): it opens
// a session from its own bank (an opaque sub-bank), posts its receive buffers, submits the
// frames it was given, and then either records what it receives or runs a custom body. The
// driver tests and the boot scenario both build their stacks with it. It is domain code: it
// uses only its DomainContext and the session library, never the machine or the kernel.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import { openSession, type ClientSession } from '../session/client.js';
import type { Geometry } from '../session/layout.js';

/** Where every stack puts its session's 4 MiB region, and the session's default shape. */
export const REGION_VA = 0x0800_0000;
export const GEOMETRY: Geometry = Object.freeze({ ringSize: 8, txPages: 1, rxBuffers: 4 });
/** Frames and pins of the opaque sub-bank each stack hands the driver. */
export const SESSION_FRAMES = 40;
export const SESSION_PINS = 16;
/** The stack's capability slots, as the composition fills them: bank, space, the driver's endpoint, then free. */
export const STACK_SLOTS = Object.freeze({ bank: 0, space: 1, driver: 2, free: Object.freeze([3, 4, 5, 6] as const) } as const);

/** What a stack saw: its session, and (with the default loop) every delivery and completion. */
export interface Probe {
  session: ClientSession | undefined;
  status: string | undefined;
  received: { frame: Uint8Array; buffer: number; how: number; cycle: number }[];
  completions: [number, number][];
  /** Results of the stack trying to write into a buffer it was delivered. */
  writeAttempts: string[];
  /** Cycles at which a custom body kicked the driver after submitting (trigger-sender.ts). */
  kicks: number[];
}

export interface StackOptions {
  geometry?: Geometry;
  /** Frames to submit once the session is open (packed into the transmit area, cookies 1, 2, ...). */
  send?: Uint8Array[];
  /** Try to store into every delivered buffer (it must fault: receive buffers are read-only). */
  tryWrite?: boolean;
  /** Called with the open session before the loop (e.g. to rewrite a submitted header). */
  afterSubmit?: (ctx: DomainContext, s: ClientSession) => GuestCode;
  /** Return delivered buffers to the driver (default true). */
  repost?: boolean;
  /** A whole custom body after the session is open. */
  body?: (ctx: DomainContext, s: ClientSession, p: Probe) => GuestCode;
}

export function newProbe(): Probe {
  return { session: undefined, status: undefined, received: [], completions: [], writeAttempts: [], kicks: [] };
}

export function stackBody(probe: Probe, o: StackOptions): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const s = yield* openSession(ctx, STACK_SLOTS, { geometry: o.geometry ?? GEOMETRY, regionVa: REGION_VA, frames: SESSION_FRAMES, pins: SESSION_PINS });
    if (typeof s === 'string') {
      probe.status = s;
      return;
    }
    probe.session = s;
    probe.status = 'open';
    yield* s.post(Array.from({ length: s.geometry.rxBuffers }, (_, i) => i));
    let offset = 0;
    for (const [k, f] of (o.send ?? []).entries()) {
      if ((offset % 4096) + f.length > 4096) offset = Math.ceil(offset / 4096) * 4096;
      yield* s.submit(f, offset, k + 1);
      offset += (f.length + 63) & ~63;
    }
    yield* s.kick();
    if (o.afterSubmit) yield* o.afterSubmit(ctx, s);
    if (o.body) return yield* o.body(ctx, s, probe);
    for (;;) {
      const bits = yield* s.wait();
      if (bits === 0) return;
      const back: number[] = [];
      for (const [buffer, length, how] of yield* s.deliveries()) {
        probe.received.push({ frame: yield* ctx.read(s.rxVa(buffer), length), buffer, how, cycle: ctx.now() });
        if (o.tryWrite) {
          try {
            yield* ctx.store8(s.rxVa(buffer), 0xee);
            probe.writeAttempts.push('allowed');
          } catch (e) {
            probe.writeAttempts.push(ctx.isFault(e) ? `fault ${e.errorCode}` : 'other');
          }
        }
        back.push(buffer);
      }
      probe.completions.push(...(yield* s.completions()));
      if (o.repost !== false && back.length > 0) {
        yield* s.post(back);
        yield* s.kick();
      }
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newProbe, stackBody });
