// Acceptance 2, second half (issue 5): the driver checks its own copy of a transmitted
// header, so a stack that rewrites the header in its transmit page after submitting cannot
// change what goes on the wire (the test compares the wire bytes), and a spoofed header is
// rejected with its reason and never sent. Both card modes.

import { describe, expect, it } from 'vitest';
import { ipv4Frame } from '../../guest/net/build.js';
import { TX_HEADER_COPY } from '../../guest/net/txcheck.js';
import { TX_SENT } from '../../guest/session/layout.js';
import { reasonOfTxStatus } from '../../guest/session/reasons.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { world } from '../../emulator/cli/scenario/frame-world.js';

const frameFrom = (i: number, size: number, src = ipOf(i), srcMac = CARD_MAC) =>
  ipv4Frame({ dstMac: PEER_MAC, srcMac, src, dst: PEER_IP, payload: new Uint8Array(size).map((_, b) => (b * 5 + i) & 0xff) });

describe('transmit', () => {
  for (const mode of ['busmaster', 'classic'] as const) {
    it(`${mode}: rewriting a submitted header does not change the wire; spoofing is rejected`, () => {
      const first = frameFrom(0, 1400); // keeps the wire busy: the card reads the next frame only after it
      const good = frameFrom(0, 1200);
      const spoofIp = frameFrom(0, 300, ipOf(1)); // stack 0 claiming stack 1's address
      const spoofMac = frameFrom(0, 300, ipOf(0), PEER_MAC);
      let rewroteAt = 0;
      const w = world({
        mode, strategy: 'copy', stacks: 2,
        stack: (i) => i === 0 ? {
          send: [first, good, spoofIp, spoofMac],
          *afterSubmit(ctx, s) {
            // Wait until the driver has taken all the submissions (its consumer index), then forge the
            // header of the second frame in place (another stack's address, a foreign source MAC)
            // while the first is still on the wire, before the card has read any of the second.
            while ((yield* s.rings.txSubmit.space()) !== s.geometry.ringSize) yield;
            const forged = frameFrom(0, 1200, ipOf(1), PEER_MAC).subarray(0, TX_HEADER_COPY);
            yield* ctx.write(s.txVa((first.length + 63) & ~63), forged); // where the world's stack packed it
            rewroteAt = ctx.now();
          },
        } : {},
      });
      runUntilOpen(w);
      runChecked(w, 3_000_000);
      const heard = w.peer.heard;
      expect(heard.map((h) => h.frame)).toEqual([first, good]); // byte for byte the checked frames, and nothing else
      expect(w.clients[0]!.domain!.thread?.error).toBeUndefined();
      expect(rewroteAt).toBeGreaterThan(0);
      // Bus-master: the rewrite lands before the first frame has left, so before the card read a byte
      // of the second. (Classic: the driver copies a frame into the card in one pass the
      // lower-priority stack cannot interrupt; the rewrite comes after the check either way.)
      if (mode === 'busmaster') expect(rewroteAt).toBeLessThan(heard[0]!.cycle);
      const done = w.clients[0]!.probe.completions.map(([cookie, status]) => [cookie, status === TX_SENT ? 'sent' : reasonOfTxStatus(status)]);
      expect(done.sort()).toEqual([[1, 'sent'], [2, 'sent'], [3, 'spoofed-ip'], [4, 'spoofed-mac']]);
      const s0 = w.view.driver!.sessions[0]!.counters;
      expect([s0.transmitted, s0.rejected['spoofed-ip'], s0.rejected['spoofed-mac'], s0.pinnedNow]).toEqual([2, 1, 1, 0]);
      w.kernel.assertInvariants();
    });
  }
});
