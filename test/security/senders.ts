// Shared by the tests of transmit service (test/security/check-liveness.test.ts,
// transmit-starvation.test.ts): stack bodies that send full-size frames to the peer, written
// against the session client only (ClientSession and the stack's context), as any stack could.

import type { DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { ipv4Frame } from '../../guest/net/build.js';
import type { ClientSession } from '../../guest/session/client.js';
import type { StackOptions } from '../../guest/apps/raw-stack.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../emulator/cli/scenario/net.js';

/** A full-size IPv4 frame from stack i to the peer. */
export const fullFrame = (i: number) => ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(i), dst: PEER_IP, payload: new Uint8Array(1500 - 20).fill(0x40 + i) });

/**
 * Submit full-size frames as fast as the ring takes them (its transmit ring is always full),
 * for as long as the session lives or, with `closeAt`, until that cycle, when the stack
 * destroys its session's sub-bank (the client's own way to end its session).
 */
export function flood(i: number, closeAt = Infinity): StackOptions {
  const frame = fullFrame(i);
  return {
    *body(ctx: DomainContext, s: ClientSession): GuestCode {
      for (let cookie = 1; ctx.now() < closeAt; ) {
        let n = 0;
        while (yield* s.submit(frame, 0, cookie++)) n++;
        if (n > 0 && !(yield* s.kick())) return;
        if ((yield* s.wait()) === 0) return;
        yield* s.completions();
      }
      yield* ctx.invoke(s.bankSlot, 'destroy', {});
    },
  };
}

/** A normal sender: one frame, wait for its completion, pause `gap` cycles, again. */
export function paced(i: number, gap: number): StackOptions {
  const frame = fullFrame(i);
  return {
    *body(ctx: DomainContext, s: ClientSession): GuestCode {
      for (let cookie = 1; ; cookie++) {
        yield* s.submit(frame, 0, cookie);
        if (!(yield* s.kick())) return;
        while ((yield* s.completions()).length === 0) if ((yield* s.wait()) === 0) return;
        yield* ctx.invoke(s.notification, 'wait', { timeout: gap });
      }
    },
  };
}
