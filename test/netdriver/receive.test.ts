// Acceptance 1 (issue 5): raw frames in all three receive strategies and both card modes.
// Every frame reaches exactly the stack it is addressed to (IPv4 by destination, ARP by
// target, a broadcast ARP only to the stack it asks for), unknown destinations are dropped
// and counted; in flip a frame that landed in another stack's page is exchanged, and no stack
// ever has a writable mapping of a receive buffer (checked after every stride of the run).

import { describe, expect, it } from 'vitest';
import { arpFrame, ipv4Frame } from '../../guest/net/build.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';
import { DELIVER_COPIED, DELIVER_EXCHANGED, DELIVER_FLIPPED } from '../../guest/session/layout.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world } from '../../emulator/cli/scenario/frame-world.js';

const STACKS = 3;

/** A mixed workload: for each stack small and large IPv4 frames and a broadcast ARP; plus strangers. */
function workload(): { frames: Uint8Array[]; expected: Uint8Array[][]; strangers: number } {
  const frames: Uint8Array[] = [];
  const expected: Uint8Array[][] = Array.from({ length: STACKS }, () => []);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < STACKS; i++) {
      const k = (i + round) % STACKS; // rotate so frames land in other stacks' buffers
      for (const size of [60, 1400]) {
        const payload = new Uint8Array(size).map((_, b) => (b * 13 + k * 7 + round) & 0xff);
        const f = ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(k), payload });
        frames.push(f);
        expected[k]!.push(f);
      }
      if (round === 1) {
        const arp = arpFrame({ senderMac: PEER_MAC, senderIp: PEER_IP, targetIp: ipOf(k) });
        frames.push(arp);
        expected[k]!.push(arp);
      }
    }
  }
  // for nobody: an IPv4 destination and an ARP target no session has
  frames.push(ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(50), payload: new Uint8Array(200) }));
  frames.push(arpFrame({ senderMac: PEER_MAC, senderIp: PEER_IP, targetIp: ipOf(51) }));
  return { frames, expected, strangers: 2 };
}

const cases: [CardMode, Strategy][] = (['busmaster', 'classic'] as const).flatMap((m) => (['copy', 'flip', 'hybrid'] as const).map((s): [CardMode, Strategy] => [m, s]));

describe('receive: each frame reaches exactly its stack', () => {
  for (const [mode, strategy] of cases) {
    it(`${mode} / ${strategy}`, () => {
      const w = world({ mode, strategy, stacks: STACKS, hybridThreshold: 512, stack: () => ({ tryWrite: true }) });
      runUntilOpen(w);
      expect(w.clients.map((c) => c.probe.status)).toEqual(['open', 'open', 'open']);
      const { frames, expected, strangers } = workload();
      const end = sendSpaced(w, frames, mode === 'classic' ? 150_000 : 60_000);
      runChecked(w, end - w.machine.now + 2_000_000);
      const d = w.view.driver!;
      for (let i = 0; i < STACKS; i++) {
        const got = w.clients[i]!.probe.received.map((r) => r.frame);
        expect(got.length, `stack ${i}`).toBe(expected[i]!.length);
        expect(got).toEqual(expected[i]); // in order, byte for byte, and nothing else
      }
      const hows = w.clients.flatMap((c) => c.probe.received.map((r) => r.how));
      const c = d.counters;
      expect(c.dropped['unknown-destination']).toBe(strangers);
      expect(c.delivered).toBe(frames.length - strangers);
      expect(c.missed).toBe(0);
      expect(c.copied + c.flipped + c.exchanged).toBe(c.delivered);
      if (strategy === 'copy') expect(hows.every((h) => h === DELIVER_COPIED)).toBe(true);
      if (strategy === 'flip') {
        expect(c.copied).toBe(0);
        expect(c.exchanged).toBeGreaterThan(0);
        expect(c.flipped).toBeGreaterThan(0);
        expect(hows.filter((h) => h === DELIVER_EXCHANGED).length).toBe(c.exchanged);
      }
      if (strategy === 'hybrid') {
        // misplaced small frames are copied, misplaced large ones exchanged
        expect(c.copied).toBeGreaterThan(0);
        expect(c.exchanged).toBeGreaterThan(0);
        const small = w.clients.flatMap((cl) => cl.probe.received.filter((r) => r.how === DELIVER_COPIED).map((r) => r.frame.length));
        const large = w.clients.flatMap((cl) => cl.probe.received.filter((r) => r.how === DELIVER_EXCHANGED).map((r) => r.frame.length));
        expect(Math.max(...small)).toBeLessThan(512);
        expect(Math.min(...large)).toBeGreaterThanOrEqual(512);
        expect(hows.filter((h) => h === DELIVER_FLIPPED).length).toBe(c.flipped);
      }
      // Acceptance 2, first half: a stack that writes to a delivered receive buffer faults (present, write, user).
      const attempts = w.clients.flatMap((cl) => cl.probe.writeAttempts);
      expect(attempts.length).toBe(frames.length - strangers);
      expect(new Set(attempts)).toEqual(new Set(['fault 7']));
      expect(w.driverDomain.state).not.toBe('faulted');
      w.kernel.assertInvariants();
    });
  }
});

describe('flip: pages that change hands', () => {
  it('carry no older bytes of their former owner (tails zeroed before and after the exchange)', () => {
    const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2 });
    runUntilOpen(w);
    // Large frames for stack 0 fill its pages with 0xA1; then short frames for stack 1 land in
    // those pages and are exchanged into stack 1.
    const big = Array.from({ length: 8 }, () => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(0), payload: new Uint8Array(1400).fill(0xa1) }));
    const small = Array.from({ length: 12 }, () => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(1), payload: new Uint8Array(40).fill(0xb2) }));
    const end = sendSpaced(w, [...big, ...small], 60_000);
    runChecked(w, end - w.machine.now + 2_000_000);
    expect(w.view.driver!.counters.exchanged).toBeGreaterThan(0);
    expect(w.clients[1]!.probe.received.length).toBe(12);
    const g = w.clients[1]!.probe.session!.geometry;
    const lo = 0x0800_0000 + (1 + g.txPages) * 4096;
    const pages = w.kernel.mappings(w.clients[1]!.space).filter((m) => m.va >= lo && m.va < lo + g.rxBuffers * 4096);
    expect(pages.length).toBe(g.rxBuffers);
    for (const m of pages) expect(w.machine.memory.bytes.subarray(m.frame * 4096, m.frame * 4096 + 4096).includes(0xa1)).toBe(false);
  });
});
