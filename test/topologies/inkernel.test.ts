// The in-kernel topology (guest/inkernel/domain.ts): every client's stack and applications in
// the one domain that holds the card's device privilege, no sessions and no client banks.
// It must carry the same traffic as the factored topology, byte-exact, with every invariant
// holding (the per-transfer DMA check included: every beat lands in a page the in-kernel
// network pinned for that transfer), in both card modes, deterministically.

import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { ipOf, PEER_IP } from '../../emulator/cli/scenario/net.js';
import { composeStackNet, type StackNet } from '../../emulator/cli/scenario/stacks.js';
import { BulkReceiver, BulkSender } from '../../guest/apps/bulk.js';
import type { CardMode } from '../../guest/netdriver/config.js';

const BYTES = 1 << 20;
const PORT = 5001;
const STRIDE = 200_000;
const LIMIT = 20 * 133_000_000;

function run(w: StackNet, done: () => boolean): string[] {
  const m = w.net.machine;
  const bad: string[] = [];
  while (m.now < LIMIT && !done()) {
    m.runUntil(m.now + STRIDE);
    bad.push(...violations(w.net));
  }
  return [...bad, ...violations(w.net, true)];
}

describe('inkernel topology', () => {
  for (const mode of ['busmaster', 'classic'] as CardMode[]) {
    it(`${mode}: 1 MB peer to client and client to peer, byte-exact, every invariant holding, no client domain`, () => {
      let rx: BulkReceiver | undefined;
      let peerRx: BulkReceiver | undefined;
      const w = composeStackNet({
        topology: 'inkernel', mode, strategy: 'flip', clients: 2, seed: 3, noExercisers: true,
        apps: (i, stack) => (i === 0 ? [(rx = new BulkReceiver(stack, PORT))] : [new BulkSender(stack, PEER_IP, PORT, BYTES)]),
      });
      w.peer!.run((stack) => [(peerRx = new BulkReceiver(stack, PORT)), new BulkSender(stack, ipOf(0), PORT, BYTES)]);
      const bad = run(w, () => rx?.stats.completed === 1 && peerRx?.stats.completed === 1);
      expect(bad).toEqual([]);
      expect(rx!.stats).toMatchObject({ bytes: BYTES, mismatched: 0, completed: 1 });
      expect(peerRx!.stats).toMatchObject({ bytes: BYTES, mismatched: 0, completed: 1 });
      expect(w.probes.map((p) => p.status)).toEqual(['open', 'open']);
      expect(w.probes[0]!.counters!.tcp.bytesIn).toBe(BYTES);
      // One domain holds the network: no client domains, no sessions, no client banks.
      expect(w.net.clients).toEqual([]);
      expect(w.net.view.driver).toBeUndefined();
      expect(w.net.kernel.state.domains.map((d) => d.name)).toEqual(['netdriver']);
      if (mode === 'busmaster') expect(w.net.watch.transfers.beats).toBeGreaterThan(BYTES / 4);
    }, 120_000);
  }

  it('serves the peer\'s exercisers on every client (echo, discard, HTTP), the same trace for the same seed', () => {
    const once = () => {
      const w = composeStackNet({ topology: 'inkernel', mode: 'busmaster', strategy: 'flip', clients: 2, seed: 5 });
      expect(run(w, () => w.net.machine.now >= 40_000_000)).toEqual([]);
      return { w, hash: w.net.machine.trace.hash() };
    };
    const a = once();
    for (const e of a.w.exercisers) {
      expect(e!.stats.udpEchoed).toBeGreaterThan(0);
      expect(e!.stats.pingsAnswered).toBeGreaterThan(0);
      expect(e!.stats.tcpEchoBytes).toBeGreaterThan(0);
      expect(e!.stats.discardBytes).toBeGreaterThan(0);
      expect(e!.stats.httpBytes).toBeGreaterThan(0);
      expect(e!.stats.udpMismatched + e!.stats.tcpEchoMismatched).toBe(0);
    }
    expect(once().hash).toBe(a.hash);
  }, 120_000);
});
