// Classic mode under receive load. The driver copies every received byte through the data
// port, ~65,000 cycles a full-size frame, while the wire delivers one every 16,364 cycles at
// 100 Mbit/s: the card's ring stays full for as long as the peer keeps sending. A service pass
// takes only RX_FRAMES_PER_PASS frames from the ring (classic.ts), so every pass reaches the
// transmitter: a stack's frames complete within the liveness bound (DESIGN.md §6 item 8)
// however long the flood lasts, where a pass that drained the ring kept a completed frame
// waiting for over a million cycles. The frames a pass leaves in the ring are taken by the
// next passes without another interrupt.

import { describe, expect, it } from 'vitest';
import { ipv4Frame } from '../../guest/net/build.js';
import { ETH_HEADER, ETH_MAX_FRAME, ETH_MIN_FRAME } from '../../guest/net/ethernet.js';
import { IPV4_MIN_HEADER } from '../../guest/net/ipv4.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { SERVICE_LATENCY_CYCLES, transmitBound } from '../../emulator/cli/scenario/progress.js';
import { flood } from '../security/senders.js';
import { runWatched } from '../security/watched.js';
import { sendSpaced, world, type World } from '../../emulator/cli/scenario/frame-world.js';

/** A frame of `bytes` from the peer to an address no session has: copied out of the card, then dropped by the demultiplexer. */
const stranger = (k: number, bytes: number) => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(50), payload: new Uint8Array(bytes - ETH_HEADER - IPV4_MIN_HEADER).fill(k & 0xff) });

/** One stack: a sender that keeps its transmit ring full (32 entries: it gets no CPU while the driver is busy, so it cannot refill it), or an idle one. */
function opened(sending: boolean, servicePasses?: number): World {
  const stack = () => (sending ? { ...flood(0), geometry: { ringSize: 32, txPages: 1, rxBuffers: 4 } } : {});
  const w = world({ mode: 'classic', strategy: 'copy', stacks: 1, stack, ...(servicePasses !== undefined && { driverLimits: { servicePasses } }) });
  runUntilOpen(w);
  expect(w.clients[0]!.probe.status).toBe('open');
  return w;
}

/** Send `n` stranger frames of `bytes` back to back at line rate; returns the cycle after the last. */
function flow(w: World, n: number, bytes = ETH_MAX_FRAME): number {
  return sendSpaced(w, Array.from({ length: n }, (_, k) => stranger(k, bytes)), w.wire.frameSlot(bytes));
}

describe('classic mode under receive load', () => {
  it("completes a stack's frames within the liveness bound while the peer floods the card at line rate", () => {
    const w = opened(true);
    const d = w.view.driver!;
    const s = d.sessions[0]!;
    const start = { cycle: w.machine.now, sent: s.counters.transmitted, received: d.counters.received, stored: w.card.totals.received };
    const bound = transmitBound(w);
    const end = flow(w, Math.ceil((3 * bound) / w.wire.frameSlot(ETH_MAX_FRAME)));
    const seen = runWatched(w, end - w.machine.now);
    expect(seen).toEqual([]);
    const flooded = w.machine.now - start.cycle;
    // A frame waits for at most two passes (the one that starts while it is on the wire, the one that reads its PTX).
    expect(s.counters.transmitted - start.sent).toBeGreaterThanOrEqual(Math.floor(flooded / (2 * SERVICE_LATENCY_CYCLES)));
    // And the driver kept receiving, two full-size frames a pass.
    expect(d.counters.received - start.received).toBeGreaterThan(Math.floor(flooded / 150_000));
    expect(w.card.totals.missed).toBeGreaterThan(0); // the ring did overflow: the load was more than the driver can copy
    // Once the flood ends, the frames left in the ring are all taken.
    runWatched(w, 2_000_000);
    expect(d.counters.received - start.received).toBe(w.card.totals.received - start.stored);
  });

  // Nothing transmits, so no PTX either: only the frames left in the ring bring the driver back.
  // Small frames, one ring page each: all of them are in the ring (58 pages) a few passes after
  // the first, long before the driver, two a pass, has taken them; none is missed.
  const burst = 40;
  const takesAll = (servicePasses?: number) => {
    const w = opened(false, servicePasses);
    const d = w.view.driver!;
    const before = { received: d.counters.received, unknown: d.counters.dropped['unknown-destination'], stored: w.card.totals.received };
    const end = flow(w, burst, ETH_MIN_FRAME);
    expect(runWatched(w, end - w.machine.now + burst * 20_000)).toEqual([]);
    expect(w.card.totals.received - before.stored).toBe(burst);
    expect(d.counters.received - before.received).toBe(burst);
    expect(d.counters.dropped['unknown-destination'] - before.unknown).toBe(burst);
  };

  it('takes every frame a pass left in the ring, though no interrupt follows', () => takesAll());

  // A service that ends at its pass limit with frames in the ring: the driver only looks at its endpoint and comes back.
  it('takes them too when every service stops after one pass', () => takesAll(1));
});
