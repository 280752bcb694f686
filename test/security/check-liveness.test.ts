// DESIGN.md §6 item 8 (issue 9, attack 6): the progress monitor (emulator/cli/scenario/progress.ts)
// flags a session whose posted transmit work waits longer than its bound while the driver is
// alive. In classic mode, with the driver offering the transmitter in list order (the
// behaviour before round-robin service, kept by the test switch `unsafe.transmitInListOrder`;
// transmit-starvation.test.ts shows fair service), a flooding first session starves its
// neighbour: the monitor names the neighbour, and only it.
// Two normal sessions are served within the bound, and a card that stops completing frames is
// flagged as taken-and-not-completed work.

import { describe, expect, it } from 'vitest';
import { runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { transmitBound } from '../../emulator/cli/scenario/progress.js';
import { world, type World, type WorldOptions } from '../../emulator/cli/scenario/frame-world.js';
import { flood, paced } from './senders.js';
import { runWatched } from './watched.js';

function open(o: WorldOptions): World {
  const w = world(o);
  runUntilOpen(w);
  expect(w.clients.map((c) => c.probe.status)).toEqual(['open', 'open']);
  return w;
}

const MS = 133_000;

const liveness = (seen: string[]) => seen.filter((v) => v.startsWith('8 liveness'));

describe('liveness: the progress monitor', () => {
  it('names the neighbour a flooding first session starves (classic, list-order service), and only it', () => {
    const w = open({ mode: 'classic', strategy: 'copy', stacks: 2, unsafe: { transmitInListOrder: true }, stack: (i) => (i === 0 ? flood(0) : paced(1, 50_000)) });
    const [flooder, neighbour] = w.view.driver!.sessions;
    expect([flooder!.badge, neighbour!.badge]).toEqual([1, 2]); // the flooder is first in the driver's list
    const start = w.machine.now;
    const bound = transmitBound(w);
    expect(bound).toBe(2 * 5 * (16_364 + 100_000) + 266_000);
    const seen = runWatched(w, bound + 5 * MS);
    // The starvation is real: the flooder sends a frame every ~81,000 cycles, its neighbour nothing.
    expect(flooder!.counters.transmitted).toBeGreaterThan(Math.floor(bound / 90_000));
    expect(neighbour!.counters.transmitted).toBe(0);
    // The monitor names the neighbour's first entry, waiting since its first check after the session opened, and nothing else.
    const flagged = liveness(seen);
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatch(new RegExp(`^8 liveness: session #${neighbour!.id} \\(badge 2\\): transmit entry 0 published and not taken since cycle (\\d+), longer than the bound of ${bound} cycles`));
    const since = Number(/since cycle (\d+)/.exec(flagged[0]!)![1]);
    expect(since).toBeGreaterThanOrEqual(start);
    expect(since).toBeLessThan(start + 200_000);
    expect(seen).toEqual(flagged); // every other check holds
  });

  it('reports nothing while the flooder is alone', () => {
    const w = world({ mode: 'classic', strategy: 'copy', stacks: 1, unsafe: { transmitInListOrder: true }, stack: () => flood(0) });
    runUntilOpen(w);
    const seen = runWatched(w, transmitBound(w) + 5 * MS);
    expect(w.view.driver!.sessions[0]!.counters.transmitted).toBeGreaterThan(Math.floor(transmitBound(w) / 90_000));
    expect(seen).toEqual([]);
  });

  it('reports nothing for two normal sessions, both served', () => {
    for (const mode of ['classic', 'busmaster'] as const) {
      const w = open({ mode, strategy: 'copy', stacks: 2, stack: (i) => paced(i, 50_000) });
      const seen = runWatched(w, transmitBound(w) + 5 * MS);
      expect(seen).toEqual([]);
      // Each sends a frame, waits for its completion and pauses: ~130,000 cycles a frame in classic mode, less in bus-master mode.
      for (const s of w.view.driver!.sessions) expect(s.counters.transmitted).toBeGreaterThan(Math.floor(transmitBound(w) / 150_000));
    }
  });

  it('flags frames the driver took and the card never completes (bus-master, transmit ring length broken)', () => {
    const w = open({ mode: 'busmaster', strategy: 'copy', stacks: 2, stack: (i) => paced(i, 50_000) });
    expect(runWatched(w, 2 * MS)).toEqual([]);
    // The card's transmit ring length becomes invalid (HARDWARE.md §3.2: that engine stops, a frame in progress is
    // abandoned with its descriptors still the card's): the frames the driver handed it never complete.
    w.card.bm.regs.tdlen = 0;
    const stoppedAt = w.machine.now;
    const sent = w.view.driver!.sessions.map((s) => s.counters.transmitted);
    const seen = runWatched(w, transmitBound(w) + 2 * MS);
    expect(w.view.driver!.sessions.map((s) => s.counters.transmitted)).toEqual(sent);
    const flagged = liveness(seen);
    expect(flagged.length).toBeGreaterThan(0);
    for (const v of flagged) {
      expect(v).toMatch(/^8 liveness: session #\d+ \(badge [12]\): transmit entry \d+ taken and not completed since cycle \d+/);
      expect(Number(/since cycle (\d+)/.exec(v)![1])).toBeGreaterThanOrEqual(stoppedAt - 200_000);
    }
    expect(seen).toEqual(flagged);
  });
});
