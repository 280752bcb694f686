// A hostile stack makes the composition root report a DMA invariant violation that did not
// happen: the per-transfer DMA check reads the driver's record of what it armed before the
// driver has written it.
//
// WHAT HAPPENS. guest/netdriver/busmaster.ts transmit() stores the descriptors and their OWN
// bits first and only then records the frame as in flight (this.inflight.push); armedTx(i),
// which the check (emulator/cli/scenario/transfers.ts transmitBeat) asks at every beat of the
// card, answers from that record. Each store32 of a domain is a preemption point after the
// store (guest/kernel/context.ts), so an interrupt can be taken between the OWN store and
// the push; and the card, finishing its previous frame, polls the next descriptor 16 cycles
// after its last status write. The hostile (client 1, a raw session with 32-entry rings)
// submits a short frame A, a row of n entries the driver rejects (a spoofed source: each costs
// the driver about 30 cycles and no descriptor), then a two-descriptor frame B, with one kick,
// and sweeps the length of A and n so that the driver arms B just as the card finishes A.
// Seen here: the driver's OWN store for B's header descriptor 0 at cycle 7,247,438, A's
// completion interrupt taken at that preemption point, the card reading descriptor 0 at
// 7,247,452 and B's payload descriptor at 7,247,480 while the driver's record is still
// empty: "transmit descriptor 0: no frame of the driver is in it", and the same for
// descriptor 1. The frame that went out (134 bytes, cycle 7,249,178) is exactly B, from the
// pinned header page and B's pinned payload: nothing was wrong but the record.
//
// WHY IT MATTERS. Any client can turn the invariant checks red at will: the boot report then
// lists "distinct invariant violations" and `reloaded run` exits 2, blaming the system for a
// breach that did not happen, and a real violation of the same kind would read the same.
//
// THE DEFENCE. The driver records the frame as in flight before its first OWN store, so its
// record is never behind what the card may read. With the test switch recordArmedAfterOwn
// (the old order) the sweep makes the check report the false alarm again.

import { describe, expect, it } from 'vitest';
import { EchoPeer } from '../../../devices/peers/echo.js';
import { violations } from '../../../emulator/cli/scenario/checks.js';
import { CARD_MAC, composeNet, PEER_IP, PEER_MAC } from '../../../emulator/cli/scenario/net.js';
import { echoClient, newEchoStats } from '../../../guest/apps/echo-client.js';
import { ipv4Frame } from '../../../guest/net/build.js';
import { bytesEqual } from '../../../guest/net/bytes.js';
import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import type { ClientSession } from '../../../guest/session/client.js';

/** A short frame, a row of rejected entries, a two-descriptor frame; A's length and the row's length swept. */
function* sweeper(_ctx: DomainContext, s: ClientSession): GuestCode {
  const B = ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: s.ip, dst: PEER_IP, payload: new Uint8Array(100) });
  const rejected = ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: PEER_IP, dst: PEER_IP, payload: new Uint8Array(26) });
  let cookie = 0;
  for (let t = 0; ; t++) {
    const lenA = 60 + (t % 15);
    const n = 10 + (Math.floor(t / 15) % 7);
    yield* s.submit(ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: s.ip, dst: PEER_IP, payload: new Uint8Array(lenA - 34) }), 0, ++cookie);
    for (let j = 0; j < n; j++) yield* s.submit(rejected, 1024, ++cookie);
    yield* s.submit(B, 2048, ++cookie);
    yield* s.kick();
    for (let done = 0; done < n + 2; ) {
      done += (yield* s.completions()).length;
      if (done < n + 2 && (yield* s.wait()) === 0) return;
    }
  }
}

describe("the driver's record of an armed transmit descriptor", () => {
  function sweep(unsafe: boolean) {
    const neighbour = newEchoStats();
    const net = composeNet({
      mode: 'busmaster', strategy: 'flip', stacks: 2, unsafe: unsafe ? { recordArmedAfterOwn: true } : undefined,
      onWire: (wire) => void new EchoPeer(wire, 'echo'),
      stack: (i) => (i === 0
        ? { geometry: { ringSize: 32, txPages: 1, rxBuffers: 4 }, body: sweeper }
        : { body: echoClient({ cardMac: CARD_MAC, peerMac: PEER_MAC, sizes: [60, 600, 1514], tag: 0x22 }, neighbour) }),
    });
    const unchecked: number[] = [];
    net.wire.attach({ name: 'tap', frame: (b) => void (!bytesEqual(b, 6, CARD_MAC) && !bytesEqual(b, 6, PEER_MAC) && unchecked.push(net.machine.now)) });
    const seen: string[] = [];
    while (net.machine.now < 60 * 133_000) {
      net.machine.runUntil(net.machine.now + 20_000);
      for (const v of violations(net)) if (!seen.includes(v)) seen.push(v);
    }
    return { neighbour, seen, unchecked };
  }

  it('is there before the card can read the descriptor: no violation is reported for a frame sent right', () => {
    const { neighbour, seen, unchecked } = sweep(false);
    expect(neighbour.echoed).toBeGreaterThan(100);
    expect(neighbour.mismatched).toBe(0);
    expect(seen).toEqual([]);
    expect(unchecked).toEqual([]); // what went out was the frame the driver checked
  });

  it('with the record made after the OWN stores (the old order), the check reports the card reading a descriptor the record lacks', () => {
    const { seen, unchecked } = sweep(true);
    expect(seen.some((v) => /transmit descriptor \d+: no frame of the driver is in it/.test(v))).toBe(true);
    expect(unchecked).toEqual([]); // still nothing unchecked on the wire: the alarm was false
  });
});
