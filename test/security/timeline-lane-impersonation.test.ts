// A hostile stack against the page's timeline: domains name the domains they create
// (allocDomain's `name`), so the stack makes a child named `netdriver` (and another named
// `kernel (CPU)`, a fixed lane of the timeline) that reads its own page over and over. The
// page's recorder put a domain's CPU accesses on the lane named for the domain, so the
// impostor's accesses were drawn on the driver's (or the kernel's) lane, merged with theirs
// into one span: the page showed the driver touching a client's frame it never touched, or
// hid the attacker's work among the driver's. Defence: a domain's lane is keyed by the
// kernel's domain id, which no domain chooses (live/recorder.ts domainLane). With the
// test-only switch `laneByName` the impostor's accesses land on the driver's lane again.

import { describe, expect, it } from 'vitest';
import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import { world } from '../../emulator/cli/scenario/frame-world.js';
import { runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { domainLane, LANE_KERNEL, Recorder, type RecorderUnsafe } from '../../emulator/web/live/recorder.js';
import type { Span } from '../../emulator/web/protocol.js';
import { HOSTILE, NEIGHBOUR, nap } from './red-team.js';

const S = STACK_SLOTS;
const PAGE = 10;
const CHILD = 11;
const VA = 0x0100_0000;

/** The impostor: reads its parent's page, a word at a time, every 20,000 cycles. */
function* impostor(ctx: DomainContext): GuestCode {
  for (;;) {
    for (let i = 0; i < 64; i++) yield* ctx.load32(VA + 4 * i);
    yield* nap(ctx, 20_000);
  }
}

/** Stack 0: a page of its own, mapped, and a child domain with the name given, sharing its space. */
function namer(name: string, spawned: { result?: string }) {
  return (): DomainBody =>
    function* (ctx: DomainContext): GuestCode {
      yield* ctx.invoke(S.bank, 'allocPage', { dst: PAGE });
      yield* ctx.invoke(S.space, 'map', { va: VA, page: PAGE, rights: ['read', 'write'] });
      const r = yield* ctx.invoke(S.bank, 'allocDomain', { dst: CHILD, space: S.space, body: impostor, caps: [S.bank], name });
      spawned.result = r.ok ? 'ok' : r.error;
      for (;;) yield* nap(ctx, 1_000_000);
    };
}

function attack(name: string, unsafe: RecorderUnsafe = {}) {
  const spawned: { result?: string } = {};
  const w = world({ mode: 'busmaster', strategy: 'copy', stacks: 2, body: (i) => (i === HOSTILE ? namer(name, spawned)() : undefined) });
  const recorder = new Recorder(w, unsafe);
  runUntilOpen(w);
  w.machine.runUntil(w.machine.now + 400_000);
  const spans: Span[] = recorder.take();
  const hostile = w.clients[HOSTILE]!.domain!;
  const page = (hostile.slots[PAGE]!.obj as { frame: number }).frame;
  const child = w.kernel.state.domains.find((d) => d.name === name && d !== w.driverDomain)!;
  return { w, spawned, spans, page, child };
}

/** The frames a lane's spans touched. */
const framesOn = (spans: readonly Span[], lane: string) => new Set(spans.filter((s) => s.lane === lane).map((s) => s.frame));

describe('a stack names a child domain after the driver or a fixed lane of the timeline', () => {
  it('the impostor gets a lane of its own: the driver\'s lane shows only the driver\'s accesses', () => {
    const { w, spawned, spans, page, child } = attack('netdriver');
    expect(spawned.result).toBe('ok');
    const driverLane = domainLane(w.driverDomain);
    expect(framesOn(spans, driverLane).size).toBeGreaterThan(0); // the driver works, and its lane shows it
    expect(framesOn(spans, driverLane).has(page)).toBe(false);
    expect(framesOn(spans, domainLane(child)).has(page)).toBe(true);
    expect(domainLane(child)).not.toBe(driverLane);
    // The neighbour is unharmed: its session is open.
    expect(w.view.driver!.sessions.map((s) => s.badge)).toContain(NEIGHBOUR + 1);
  });

  it('a child named for the kernel\'s lane stays off it', () => {
    const { spans, page, child } = attack(LANE_KERNEL);
    expect(framesOn(spans, domainLane(child)).has(page)).toBe(true);
    // No user-mode access on the kernel's lane (the kernel's own, zeroing the page at allocPage, say 'kernel').
    expect(spans.some((s) => s.lane === LANE_KERNEL && s.frame === page && s.text.startsWith(LANE_KERNEL))).toBe(false);
  });

  it('with the defence off (lanes by name), the impostor\'s reads of a client page are drawn as the driver\'s', () => {
    const { spans, page } = attack('netdriver', { laneByName: true });
    expect(framesOn(spans, 'netdriver').has(page)).toBe(true);
    const { spans: k, page: p } = attack(LANE_KERNEL, { laneByName: true });
    expect(k.some((s) => s.lane === LANE_KERNEL && s.frame === p && s.text.startsWith(LANE_KERNEL))).toBe(true); // user-mode reads, on the kernel's lane
  });
});
