// Attack 9a (issue 9): an exchanged page shown to its new holder before it is clean. In flip,
// a frame for the neighbour that lands in the hostile stack's buffer is exchanged: the
// hostile's page then gets the frame of one of the neighbour's posted buffers, which still
// holds an older frame the neighbour was delivered. The driver must zero those bytes before
// it maps the page into the hostile's region; zeroing after mapping leaves a window, across
// the zeroing's preemption points, in which the hostile can read the neighbour's old frame.
//
// The check looks at every CPU access (so no window escapes it, whatever the scheduling):
// no receive buffer mapped in the hostile's space may hold a neighbour frame that was already
// delivered to the neighbour. Frames for the neighbour carry their sequence number in every
// payload byte, so a byte names the frame. With the driver switch `mapBeforeZero` (the old
// order) the check sees the old frames.

import { describe, expect, it } from 'vitest';
import { ipv4Frame } from '../../guest/net/build.js';
import { ETH_HEADER } from '../../guest/net/ethernet.js';
import { IPV4_MIN_HEADER } from '../../guest/net/ipv4.js';
import { PAGE_BYTES } from '../../guest/session/layout.js';
import { REGION_VA } from '../../guest/apps/raw-stack.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world } from '../../emulator/cli/scenario/frame-world.js';
import { HOSTILE, NEIGHBOUR } from './red-team.js';

/** Frames for the neighbour: payload bytes all equal to FIRST_MARK + its number (never 0, fewer than 200). */
const FIRST_MARK = 0x40;
const NEIGHBOUR_FRAMES = 60;
const PAYLOAD = ETH_HEADER + IPV4_MIN_HEADER;

function run(mapBeforeZero: boolean) {
  const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2, unsafe: { mapBeforeZero } });
  const delivered = new Set<number>(); // marks of frames the neighbour has been delivered
  w.view.onDeliver = (e) => {
    if (e.session.badge !== NEIGHBOUR + 1) return;
    const page = w.driverDomain.slots[e.session.slots.rx[e.buffer]!]!.obj as { frame: number };
    delivered.add(w.machine.memory.bytes[page.frame * PAGE_BYTES + PAYLOAD]!);
  };
  runUntilOpen(w);
  const hostile = w.clients[HOSTILE]!;
  const g = hostile.probe.session!.geometry;
  const rxLo = REGION_VA + (1 + g.txPages) * PAGE_BYTES;
  const seen: string[] = [];
  w.machine.cpu.observers.add(() => {
    for (const m of w.kernel.mappings(hostile.space)) {
      if (m.va < rxLo || m.va >= rxLo + g.rxBuffers * PAGE_BYTES) continue;
      const mark = w.machine.memory.bytes[m.frame * PAGE_BYTES + PAYLOAD]!;
      if (delivered.has(mark) && seen.length < 10) seen.push(`cycle ${w.machine.now}: the hostile's buffer at 0x${m.va.toString(16)} shows neighbour frame ${mark - FIRST_MARK}, delivered before`);
    }
  });
  // Frames alternate between the two stacks, so the card, which takes buffers in the order they
  // were armed, puts many of the neighbour's frames into the hostile's pages.
  const frames: Uint8Array[] = [];
  for (let k = 0; k < NEIGHBOUR_FRAMES; k++) {
    frames.push(ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(NEIGHBOUR), payload: new Uint8Array(1200).fill(FIRST_MARK + k) }));
    frames.push(ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(HOSTILE), payload: new Uint8Array(60).fill(1) }));
  }
  const end = sendSpaced(w, frames, 40_000);
  runChecked(w, end - w.machine.now + 2_000_000);
  return { w, seen, delivered };
}

describe('attack 9a: an exchanged page seen before it is zeroed', () => {
  it('the hostile never sees a frame the neighbour was already delivered; every neighbour frame arrives', () => {
    const { w, seen, delivered } = run(false);
    expect(w.view.driver!.counters.exchanged).toBeGreaterThan(10);
    expect(delivered.size).toBe(NEIGHBOUR_FRAMES); // the check knew every delivery
    expect(w.clients[NEIGHBOUR]!.probe.received.length).toBe(NEIGHBOUR_FRAMES);
    expect(seen).toEqual([]);
  });

  it('with the old order (map, then zero), the hostile sees the neighbour\'s old frames', () => {
    const { seen } = run(true);
    expect(seen.length).toBeGreaterThan(0);
  });
});
