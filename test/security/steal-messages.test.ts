// Attack 1 (issue 9): stealing the driver's messages. Every message to the driver arrives on
// its one endpoint: stacks' OPEN calls (carrying the client's opaque bank and delegated
// region) and doorbells, and the IRQ forwarder's interrupt messages. A stack holding that
// endpoint with the receive right could take a neighbour's OPEN (and with it the neighbour's
// bank), or the forwarder's message (the IRQ would stay masked). Defence: stacks hold send-only
// capabilities, badged with their identity (net.ts); only the driver can receive.
//
// The hostile stack tries to receive on the driver's endpoint (with and without a timeout), to
// widen its capability by copying it, to take another badge, and goes on trying while its
// neighbour opens a session and takes 20 frames. It is ahead of the neighbour in the
// endpoint's queue when the neighbour calls OPEN: a child of the hostile rings the driver's
// doorbell while the hostile waits, so the driver queues behind it; the neighbour runs at a
// lower priority. With the defence switched off (the composition's test-only
// `stacksReceiveOnDriverEndpoint`) the same hostile receives the neighbour's OPEN and
// allocates from the neighbour's bank: the test sees the attack it guards against.

import { describe, expect, it } from 'vitest';
import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import type { CardMode } from '../../guest/netdriver/config.js';
import { LABEL_KICK, LABEL_OPEN } from '../../guest/session/protocol.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { runUntilOpen, type UnsafeOptions } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world } from '../../emulator/cli/scenario/frame-world.js';
import { framesTo, HOSTILE, kindsIn, nap, NEIGHBOUR, outcome } from './red-team.js';

const S = STACK_SLOTS;
/** Slots where the hostile asks received capabilities to go, and where it keeps its copies. */
const LOOT = [10, 11];
const COPY = 12;
const FRAMES = 20;

interface Loot {
  /** The first recv, waiting (no timeout); what it got, or why not. */
  first?: string | { label: number; badge: number; kinds: string[] };
  /** Allocating from the bank capability the first message carried. */
  allocFromStolen?: string;
  timed?: string;
  widened?: unknown;
  widenedRecv?: string;
  rebadge?: string[];
  /** Later recv attempts, one every 100,000 cycles while the neighbour works. */
  later: string[];
}

/** Rings the driver's doorbell once: the driver takes it, and goes back to wait behind the hostile. */
function* kicker(ctx: DomainContext): GuestCode {
  yield* ctx.invoke(0, 'send', { label: LABEL_KICK });
}

function thief(loot: Loot): DomainBody {
  return function* (ctx) {
    yield* ctx.invoke(S.bank, 'allocDomain', { dst: 20, space: S.space, caps: [S.driver], body: kicker, name: 'kicker' });
    const first = yield* ctx.invoke(S.driver, 'recv', { capSlots: LOOT });
    if (first.ok) {
      loot.first = { label: first.value.label, badge: first.value.badge, kinds: yield* kindsIn(ctx, first.value.caps) };
      loot.allocFromStolen = outcome(yield* ctx.invoke(LOOT[0]!, 'allocPage', { dst: 13 }));
    } else loot.first = first.error;
    loot.timed = outcome(yield* ctx.invoke(S.driver, 'recv', { capSlots: LOOT, timeout: 50_000 }));
    // Copying cannot add a right, nor change the badge (the kernel's copy: diminish, badge once).
    yield* ctx.invoke(S.driver, 'copy', { dst: COPY, rights: ['read', 'write'] });
    const id = yield* ctx.invoke(COPY, 'identify', {});
    loot.widened = id.ok ? id.value : id.error;
    loot.widenedRecv = outcome(yield* ctx.invoke(COPY, 'recv', { capSlots: LOOT, timeout: 50_000 }));
    loot.rebadge = [outcome(yield* ctx.invoke(S.driver, 'copy', { dst: COPY, badge: NEIGHBOUR + 1 })), outcome(yield* ctx.invoke(S.driver, 'copy', { dst: COPY, badge: 0 }))];
    for (;;) {
      loot.later.push(outcome(yield* ctx.invoke(S.driver, 'recv', { capSlots: LOOT, timeout: 1000 })));
      yield* nap(ctx, 100_000);
    }
  };
}

function attack(mode: CardMode, unsafe?: UnsafeOptions) {
  const loot: Loot = { later: [] };
  const w = world({
    mode, strategy: 'flip', stacks: 2, unsafe,
    body: (i) => (i === HOSTILE ? thief(loot) : undefined),
    priority: (i) => (i === HOSTILE ? 5 : 3), // the neighbour below the hostile's kicker child (4: children run below their parent)
  });
  const neighbour = w.clients[NEIGHBOUR]!;
  runUntilOpen(w, 20_000_000, [neighbour]);
  return { w, loot, neighbour };
}

describe('attack 1: stealing the driver\'s messages', () => {
  for (const mode of ['busmaster', 'classic'] as const) {
    it(`${mode}: the hostile cannot receive on the driver's endpoint; the neighbour opens and gets every frame`, () => {
      const { w, loot, neighbour } = attack(mode);
      expect(neighbour.probe.status).toBe('open');
      const frames = framesTo(NEIGHBOUR, FRAMES);
      const end = sendSpaced(w, frames, mode === 'classic' ? 150_000 : 60_000);
      runChecked(w, end - w.machine.now + 2_000_000, 100_000);
      expect(loot.first).toBe('no-rights');
      expect(loot.timed).toBe('no-rights');
      expect(loot.widened).toEqual({ kind: 'endpoint', rights: ['write'], badge: HOSTILE + 1 });
      expect(loot.widenedRecv).toBe('no-rights');
      expect(loot.rebadge).toEqual(['no-rights', 'no-rights']);
      expect(loot.later.length).toBeGreaterThan(10); // it kept trying while the frames came in
      expect(new Set(loot.later)).toEqual(new Set(['no-rights']));
      // The neighbour got all 20 frames, in order: the driver took every IRQ message.
      expect(neighbour.probe.received.map((r) => r.frame)).toEqual(frames);
      expect(w.view.driver!.counters.sessionsOpened).toBe(1);
    });
  }

  it('with the defence off (stacks may receive), the hostile takes the neighbour\'s OPEN and allocates from its bank', () => {
    const { loot, neighbour } = attack('busmaster', { stacksReceiveOnDriverEndpoint: true });
    expect(loot.first).toEqual({ label: LABEL_OPEN, badge: NEIGHBOUR + 1, kinds: ['bank', 'region'] });
    expect(loot.allocFromStolen).toBe('ok');
    expect(neighbour.probe.status).toBeUndefined(); // still waiting for a reply that never comes
  });
});
