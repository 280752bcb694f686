// A hostile stack against the page's frame detail: a domain may map one page of its own at
// every page its page tables cover (1,024 per table; a stack's bank pays for a hundred or so),
// and the page's worker listed every mapping of a hovered frame, which the tab drew a line
// each: one hover over that frame made the worker name some 100,000 mappings and the tab lay
// out as many lines, again at every hover. Here the stack maps its page 3,000 times.
// Defence: a frame detail lists at most MAPPINGS_SHOWN mappings and says how many there are
// (live/snapshot.ts frameDetail). With the test-only switch `everyMapping` it lists them all.

import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import { world } from '../../emulator/cli/scenario/frame-world.js';
import { runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { WorldNames } from '../../emulator/cli/explore/names.js';
import { frameDetail, MAPPINGS_SHOWN } from '../../emulator/web/live/snapshot.js';
import { HOSTILE, NEIGHBOUR, nap } from './red-team.js';

const S = STACK_SLOTS;
const PAGE = 10;
const TIMES = 3_000;

function* mapper(ctx: DomainContext): GuestCode {
  yield* ctx.invoke(S.bank, 'allocPage', { dst: PAGE });
  for (let k = 0; k < TIMES; k++) yield* ctx.invoke(S.space, 'map', { va: 0x0100_0000 + k * 4096, page: PAGE, rights: ['read'] });
  for (;;) yield* nap(ctx, 1_000_000);
}

function attack() {
  const w = world({ mode: 'busmaster', strategy: 'copy', stacks: 2, body: (i) => (i === HOSTILE ? mapper : undefined) });
  runUntilOpen(w);
  w.machine.runUntil(w.machine.now + 20_000_000);
  const frame = (w.clients[HOSTILE]!.domain!.slots[PAGE]!.obj as { frame: number }).frame;
  return { w, frame, names: new WorldNames(w) };
}

describe('a stack maps one page thousands of times for the frame detail', () => {
  it('the detail lists a bounded number of them and the count', () => {
    const { w, frame, names } = attack();
    expect(w.kernel.state.frames.rmap[frame]!.size).toBe(TIMES);
    const d = frameDetail(w, names, frame);
    expect(d.mappings.length).toBe(MAPPINGS_SHOWN);
    expect(d.mappingCount).toBe(TIMES);
    expect(JSON.stringify(d).length).toBeLessThan(10_000);
    expect(w.view.driver!.sessions.map((s) => s.badge)).toContain(NEIGHBOUR + 1);
  });

  it('with the defence off, every mapping is listed', () => {
    const { w, frame, names } = attack();
    expect(frameDetail(w, names, frame, { everyMapping: true }).mappings.length).toBe(TIMES);
  });
});
