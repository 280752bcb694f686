// Acceptance of the stack as a domain (guest/netstack/domain.ts) on the default machine: a
// 4 MB TCP transfer between a client and the built-in peer host, under 5 % loss, 2 %
// duplication, 2 % reordering and 0.5 % corruption on the wire, arrives byte-exact in every
// receive strategy, with every invariant holding; and the same from the client to the peer.

import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { ipOf, PEER_IP } from '../../emulator/cli/scenario/net.js';
import { composeStackNet, type StackNet } from '../../emulator/cli/scenario/stacks.js';
import { BulkReceiver, BulkSender } from '../../guest/apps/bulk.js';
import type { Strategy } from '../../guest/netdriver/config.js';

const FAULTS = { loss: 0.05, duplicate: 0.02, reorder: 0.02, corrupt: 0.005 };
const BYTES = 4 << 20;
const PORT = 5001;
/** Cycles between invariant checks while the transfer runs. */
const STRIDE = 200_000;
/** Give up after 60 emulated seconds (the transfers take some 15 s: timeouts of 200 ms and more under 5 % loss). */
const LIMIT = 60 * 133_000_000;

function transfer(strategy: Strategy, direction: 'to-client' | 'to-peer') {
  let rx: BulkReceiver | undefined;
  let tx: BulkSender | undefined;
  const w: StackNet = composeStackNet({
    mode: 'busmaster', strategy, clients: 1, seed: 7, faults: FAULTS, noExercisers: true,
    apps: (_i, stack) => [direction === 'to-client' ? (rx = new BulkReceiver(stack, PORT)) : (tx = new BulkSender(stack, PEER_IP, PORT, BYTES))],
  });
  const m = w.net.machine;
  // The peer listens from the start when the client sends (its sender connects as soon as its stack runs).
  if (direction === 'to-peer') w.peer!.run((stack) => [(rx = new BulkReceiver(stack, PORT))]);
  let started = direction === 'to-peer';
  const bad: string[] = [];
  while (m.now < LIMIT && !(rx?.stats.completed && (direction === 'to-peer' ? tx?.stats.ended : true))) {
    m.runUntil(m.now + STRIDE);
    bad.push(...violations(w.net));
    if (!started && w.probes[0]!.status === 'open') {
      started = true;
      w.peer!.run((stack) => [(tx = new BulkSender(stack, ipOf(0), PORT, BYTES))]);
    }
  }
  bad.push(...violations(w.net, true));
  return { rx: rx!, tx: tx!, w, bad, seconds: m.now / m.config.cpuHz };
}

describe('4 MB of TCP through the stack domain under 5 % loss, 2 % duplication, 2 % reordering, 0.5 % corruption', () => {
  for (const strategy of ['copy', 'flip', 'hybrid'] as const) {
    it(`peer to client, ${strategy}: byte-exact, every invariant holding`, () => {
      const { rx, w, bad } = transfer(strategy, 'to-client');
      expect(rx.stats).toMatchObject({ bytes: BYTES, mismatched: 0, completed: 1 });
      expect(bad).toEqual([]);
      const f = w.net.wire.faults.counts;
      expect(Math.min(f.lost, f.duplicated, f.reordered, f.corrupted)).toBeGreaterThan(0);
      expect(w.peer!.stack.counters.tcp.retransmissions).toBeGreaterThan(0);
      const session = w.net.view.driver!.sessions[0]!.counters;
      if (strategy === 'copy') expect(session.copied).toBe(session.delivered);
      else expect(session.flipped).toBeGreaterThan(0);
    }, 120_000);
  }

  it('client to peer (copy): byte-exact, the client retransmitting', () => {
    const { rx, tx, w, bad } = transfer('copy', 'to-peer');
    expect(rx.stats).toMatchObject({ bytes: BYTES, mismatched: 0, completed: 1 });
    expect(tx.stats.ended).toBe('closed');
    expect(bad).toEqual([]);
    expect(w.probes[0]!.counters!.tcp.retransmissions).toBeGreaterThan(0);
  }, 120_000);
});
