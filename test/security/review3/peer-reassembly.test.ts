// A hostile client against the peer host's reassembly memory, which all clients share (the
// peer runs one NetStack for everyone: guest/netstack/reassembly.ts, at most 64 datagrams
// and 4 x 64 KiB held). The client sends the peer nothing but first fragments of datagrams it
// never completes, as fast as its transmit slots free, so the peer's reassembler is always
// full of its debris; the neighbour's UDP echo answers of more than 1472 bytes come back to
// the peer in two fragments and need a reassembly slot of their own.
//
// THE DEFENCE HOLDS. A full reassembler evicts its oldest reassembly, and a neighbour's
// datagram is the youngest when its first fragment arrives; the driver serves sessions one
// frame per turn, so only a few hostile fragments can come between the neighbour's two,
// never the 64 it would take to make the neighbour's the oldest. The reassembly key holds
// the source address, which the driver will not let the hostile spoof, so it cannot
// overlap (and so drop) the neighbour's fragments either. Every eviction is of the hostile's
// own debris, and the neighbour's answers come back whole.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun, runBootScenario } from '../../../emulator/cli/scenario/boot.js';
import { PEER_IP, PEER_MAC } from '../../../emulator/cli/scenario/net.js';
import type { App } from '../../../guest/apps/app.js';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { IPPROTO_UDP } from '../../../guest/net/build.js';
import { ethernetFrame, ipv4Packets } from '../../../guest/netstack/ipv4-output.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import { formatIpv4 } from '../../../guest/net/bytes.js';
import { RawHand } from './raw.js';

const servers = (stack: NetStack): App[] => [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];

/** First fragments (1480 bytes each) of datagrams that never complete, one new datagram per frame. */
function debris(stack: NetStack, sent: { fragments: number }): App {
  const hand = new RawHand(stack, () => false);
  let id = 0;
  return {
    advance() {
      while (hand.waiting < 8) {
        const p = ipv4Packets({ src: stack.ip, dst: PEER_IP, protocol: IPPROTO_UDP, id: id++ & 0xffff, payload: new Uint8Array(2960) });
        if (p === 'bad-length') return;
        hand.frame(ethernetFrame(PEER_MAC, stack.mac, p[0]!));
        sent.fragments++;
      }
    },
    deadline: () => stack.now + 20_000,
  };
}

describe("a client filling the peer's reassembly memory", () => {
  it("evicts only its own debris: the neighbour's fragmented answers come back whole", () => {
    const baseline = runBootScenario({ ...BOOT_DEFAULTS, millis: 40, revokes: 'none' }).sessions[1]!.peer!;
    const sent = { fragments: 0 };
    const r = new BootRun({ ...BOOT_DEFAULTS, millis: 40, revokes: 'none', apps: (i: number, stack: NetStack) => (i === 0 ? [debris(stack, sent)] : servers(stack)) });
    // The test's own look at the (trusted) peer: whose reassemblies its reassembler gives up, and why.
    const ra = (r.world.peer!.stack as unknown as { reassembler: Record<string, unknown> }).reassembler;
    const forget = (ra.forget as (key: string, x: unknown, why: string) => void).bind(ra);
    const givenUp = new Map<string, number>(); // "source reason" -> fragments
    Object.defineProperty(ra, 'forget', {
      value: (key: string, x: unknown, why: string) => {
        const k = `${formatIpv4(Number(key.split('/')[0]))} ${why}`;
        givenUp.set(k, (givenUp.get(k) ?? 0) + 1);
        forget(key, x, why);
      },
    });
    while (!r.done) {
      r.machine.runUntil(r.target());
      r.afterStride();
    }
    const held = (r.world.peer!.stack as unknown as { reassembler: { datagramsHeld: number } }).reassembler.datagramsHeld;
    const rep = r.finish();
    const evicted = rep.peer!.drops['reassembly-memory-full'] ?? 0;
    // Only the neighbour's datagrams ever complete at the peer: its answers cut in two, and every one reassembled.
    const neighbourDatagramsCut = rep.sessions[1]!.ipv4.fragmentsOut / 2;
    const neighbour = rep.sessions[1]!.peer!;
    expect(evicted).toBeGreaterThan(100); // the reassembler was kept full
    expect(held).toBe(64);
    expect([...givenUp]).toEqual([['10.0.0.2 reassembly-memory-full', evicted]]); // every datagram given up was the hostile's
    expect(evicted + held).toBeLessThanOrEqual(sent.fragments);
    expect(rep.peer!.ipv4.reassembled).toBeGreaterThanOrEqual(neighbourDatagramsCut - 1); // the last may still be on its way
    expect(neighbour.udpMismatched).toBe(0);
    expect(neighbour.udpEchoed).toBeGreaterThanOrEqual(baseline.udpEchoed - 1);
    expect(rep.problems).toEqual([]);
  });
});
