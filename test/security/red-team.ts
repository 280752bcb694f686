// Shared by the red-team tests (test/security/, one file per attack of issue 9): the product's
// composition (emulator/cli/scenario/net.ts, through the driver tests' world) with stack 0
// hostile and stack 1 its honest neighbour, frames from the peer on the wire, and the few
// things a hostile body needs beyond its context. A hostile body is domain code: it holds
// only the slots the composition gives every stack (raw-stack.ts STACK_SLOTS) and uses only
// its DomainContext.

import type { DomainContext, GuestCode, Result, Slot } from '../../guest/kernel/api/context.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../emulator/cli/scenario/net.js';

export const HOSTILE = 0;
export const NEIGHBOUR = 1;
/** A slot no stack uses, where a hostile body keeps the notification it naps on. */
const NAP_SLOT = 200;

/** `n` distinct IPv4 frames from the peer to stack i. */
export function framesTo(i: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(i), payload: new Uint8Array(100 + k).fill(k) }));
}

/** The error code of a result, or 'ok'. */
export const outcome = (r: Result<unknown>): string => (r.ok ? 'ok' : r.error);

/** Let `cycles` pass without running: a wait with a timeout on a notification nobody signals (allocated on first use). */
export function* nap(ctx: DomainContext, cycles: number): GuestCode {
  if ((yield* ctx.invoke(NAP_SLOT, 'identify', {})).ok === false) yield* ctx.invoke(STACK_SLOTS.bank, 'allocNotification', { dst: NAP_SLOT });
  yield* ctx.invoke(NAP_SLOT, 'wait', { timeout: cycles });
}

/** The kinds of the capabilities a received message placed in `slots`. */
export function* kindsIn(ctx: DomainContext, slots: readonly Slot[]): GuestCode<string[]> {
  const kinds: string[] = [];
  for (const s of slots) {
    const r = yield* ctx.invoke(s, 'identify', {});
    kinds.push(r.ok ? r.value.kind : r.error);
  }
  return kinds;
}
