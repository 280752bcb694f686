// Attack 9b (issue 9): keeping control of the delegated region. A stack delegates a 4 MiB
// region of its space and hands the region capability to the driver in OPEN, so that the
// driver alone builds it (control and transmit pages read-write, receive buffers read-only).
// Capabilities can be copied: a stack that kept a copy could map its own writable page where
// a receive buffer is, or unmap the control page, behind the driver's back. Defence: the
// driver claims the region before building anything (kernel `claim`: the region's version
// is bumped, every other capability to it is void, everything mapped in it is unmapped).
//
// The hostile opens a session by hand, keeping a copy of its region capability and mapping two
// of its own writable pages in the region first (over receive buffer 0, and far beyond the
// session's pages). After OPEN it tries to map and unmap through its copy, to claim the region
// back, and to reach the region through its space capability; then it takes frames like any
// stack. A second hostile claims the region itself before OPEN: it only breaks its own OPEN.
// With the defence off (the composition's test-only `driverLeavesRegionsUnclaimed`) the same
// moves succeed and the read-only receive buffer check sees a writable one.

import { describe, expect, it } from 'vitest';
import type { DomainBody, DomainContext, GuestCode, Right } from '../../guest/kernel/api/context.js';
import { GEOMETRY, REGION_VA, SESSION_FRAMES, SESSION_PINS, STACK_SLOTS, type Probe } from '../../guest/apps/raw-stack.js';
import { ClientSession } from '../../guest/session/client.js';
import { PAGE_BYTES, rxPage } from '../../guest/session/layout.js';
import { LABEL_OPEN, OPEN_STATUS } from '../../guest/session/protocol.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { runUntilOpen, type UnsafeOptions } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world } from '../../emulator/cli/scenario/frame-world.js';
import { framesTo, HOSTILE, NEIGHBOUR, outcome } from './red-team.js';

const S = STACK_SLOTS;
const [SUB, OPAQUE, REGION, NOTIFICATION] = S.free;
/** The hostile's copy of its region capability, the fresh one a claim gives, and its own page. */
const KEPT = 10;
const RECLAIMED = 11;
const OWN_PAGE = 12;
const RW: Right[] = ['read', 'write'];
const RX0_VA = REGION_VA + rxPage(GEOMETRY, 0) * PAGE_BYTES;
/** A page of the region far beyond the session's pages. */
const STRAY_VA = REGION_VA + 0x20_0000;
const FRAMES = 12;

interface Moves {
  before: string[];
  claimFirst?: string;
  status?: string;
  after: Record<string, string>;
}

function regionKeeper(m: Moves, claimFirst: boolean) {
  return (_i: number, probe: Probe): DomainBody =>
    function* (ctx: DomainContext): GuestCode {
      const g = GEOMETRY;
      yield* ctx.invoke(S.bank, 'allocBank', { dst: SUB, limit: SESSION_FRAMES, pinLimit: SESSION_PINS });
      yield* ctx.invoke(SUB, 'copy', { dst: OPAQUE, rights: [] });
      yield* ctx.invoke(S.space, 'delegate', { va: REGION_VA, bank: SUB, dst: REGION });
      yield* ctx.invoke(REGION, 'copy', { dst: KEPT });
      yield* ctx.invoke(S.bank, 'allocPage', { dst: OWN_PAGE });
      // Before OPEN the region is still the stack's own: it may map what it likes there.
      for (const va of [RX0_VA, STRAY_VA]) m.before.push(outcome(yield* ctx.invoke(KEPT, 'map', { va, page: OWN_PAGE, rights: RW })));
      if (claimFirst) m.claimFirst = outcome(yield* ctx.invoke(KEPT, 'claim', { dst: RECLAIMED }));
      const reply = yield* ctx.invoke(S.driver, 'call', { label: LABEL_OPEN, words: [g.ringSize, g.txPages, g.rxBuffers, REGION_VA], caps: [OPAQUE, REGION], capSlots: [NOTIFICATION] });
      const [status, id, ip] = reply.ok ? reply.value.words : [];
      probe.status = reply.ok ? (status === 0 ? 'open' : (OPEN_STATUS[status!] ?? 'bad-status')) : reply.error;
      m.status = probe.status;
      if (probe.status !== 'open') return;
      const s = (probe.session = new ClientSession(ctx, S, g, REGION_VA, id!, ip!, SUB, NOTIFICATION));
      // After OPEN: every move on the region, through the copy (or what claiming it back gave) and through the space.
      m.after.claimBack = outcome(yield* ctx.invoke(KEPT, 'claim', { dst: RECLAIMED }));
      const mine = m.after.claimBack === 'ok' ? RECLAIMED : KEPT;
      m.after.mapOverReceiveBuffer = outcome(yield* ctx.invoke(mine, 'map', { va: RX0_VA, page: OWN_PAGE, rights: RW }));
      m.after.unmapControlPage = outcome(yield* ctx.invoke(mine, 'unmap', { va: REGION_VA }));
      m.after.spaceMap = outcome(yield* ctx.invoke(S.space, 'map', { va: RX0_VA, page: OWN_PAGE, rights: RW }));
      m.after.spaceUnmap = outcome(yield* ctx.invoke(S.space, 'unmap', { va: REGION_VA }));
      // Then it takes frames like any stack.
      yield* s.post(Array.from({ length: g.rxBuffers }, (_, b) => b));
      yield* s.kick();
      while ((yield* s.wait()) !== 0) {
        const back: number[] = [];
        for (const [buffer, length, how] of yield* s.deliveries()) {
          probe.received.push({ frame: yield* ctx.read(s.rxVa(buffer), length), buffer, how, cycle: ctx.now() });
          back.push(buffer);
        }
        yield* s.post(back);
        yield* s.kick();
      }
    };
}

function attack(o: { claimFirst?: boolean; unsafe?: UnsafeOptions } = {}) {
  const moves: Moves = { before: [], after: {} };
  const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2, unsafe: o.unsafe, body: (i, probe) => (i === HOSTILE ? regionKeeper(moves, o.claimFirst ?? false)(i, probe) : undefined) });
  runUntilOpen(w);
  return { w, moves, hostile: w.clients[HOSTILE]!, neighbour: w.clients[NEIGHBOUR]! };
}

/** Frames to both stacks, interleaved (flip puts some in the other stack's buffers: exchanges through the region). */
function traffic(w: ReturnType<typeof attack>['w']) {
  const toHostile = framesTo(HOSTILE, FRAMES);
  const toNeighbour = framesTo(NEIGHBOUR, FRAMES);
  const end = sendSpaced(w, toHostile.flatMap((f, k) => [f, toNeighbour[k]!]), 60_000);
  return { toHostile, toNeighbour, cycles: end - w.machine.now + 2_000_000 };
}

describe('attack 9b: keeping control of the delegated region', () => {
  it('after OPEN the kept copy is void and the space cannot reach the region; both sessions work', () => {
    const { w, moves, hostile, neighbour } = attack();
    expect(moves.before).toEqual(['ok', 'ok']);
    expect(moves.status).toBe('open');
    expect(moves.after).toEqual({ claimBack: 'invalid-cap', mapOverReceiveBuffer: 'invalid-cap', unmapControlPage: 'invalid-cap', spaceMap: 'delegated', spaceUnmap: 'delegated' });
    // What it mapped before OPEN went with the claim: its own page is mapped nowhere in its space.
    const own = (hostile.domain!.slots[OWN_PAGE]!.obj as { frame: number }).frame;
    const mapped = w.kernel.mappings(hostile.space);
    expect(mapped.filter((p) => p.frame === own)).toEqual([]);
    expect(mapped.some((p) => p.va === STRAY_VA)).toBe(false);
    expect(mapped.find((p) => p.va === RX0_VA)?.writable).toBe(false);
    const { toHostile, toNeighbour, cycles } = traffic(w);
    runChecked(w, cycles, 100_000); // kernel invariants and read-only receive buffers, all along
    expect(hostile.probe.received.map((r) => r.frame)).toEqual(toHostile);
    expect(neighbour.probe.received.map((r) => r.frame)).toEqual(toNeighbour);
    expect(w.view.driver!.counters.sessionsClosed).toBe(0);
  });

  it('a stack that claims its region before OPEN only fails its own OPEN', () => {
    const { w, moves, neighbour } = attack({ claimFirst: true });
    expect(moves.claimFirst).toBe('ok');
    expect(moves.status).toBe('setup-failed');
    const toNeighbour = framesTo(NEIGHBOUR, FRAMES);
    const end = sendSpaced(w, toNeighbour, 60_000);
    runChecked(w, end - w.machine.now + 2_000_000, 100_000);
    expect(neighbour.probe.received.map((r) => r.frame)).toEqual(toNeighbour);
    expect(w.view.driver!.sessions.map((s) => s.badge)).toEqual([NEIGHBOUR + 1]);
  });

  it('with the defence off (the driver does not claim), the stack takes its region back and maps a writable page over a receive buffer', () => {
    const { w, moves, hostile } = attack({ unsafe: { driverLeavesRegionsUnclaimed: true } });
    expect(moves.status).toBe('open');
    expect(moves.after).toMatchObject({ claimBack: 'ok', mapOverReceiveBuffer: 'ok', unmapControlPage: 'ok' });
    // The stack's own page now sits writable where its receive buffer was: the region is the stack's again, not the driver's.
    expect(w.kernel.mappings(hostile.space).find((m) => m.va === RX0_VA)?.writable).toBe(true);
    expect(w.kernel.mappings(hostile.space).some((p) => p.va === REGION_VA)).toBe(false); // the control page is gone
  });
});
