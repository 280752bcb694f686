// Hostile frames into a whole stack (guest/netstack/stack.ts) with its servers listening:
// frames recorded from a real exchange between two stacks (ARP, ICMP, UDP with fragments,
// TCP handshakes, data, FINs and RSTs, HTTP), then truncated, bit-flipped (with the IPv4 and
// TCP/UDP checksums refilled or not), with header fields overwritten, shuffled and repeated,
// or replaced by garbage. Nothing may throw, every frame is taken in (framesIn counts it),
// and afterwards the stack still serves a clean client byte-exact.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { Exerciser } from '../../../guest/apps/exerciser.js';
import { HttpGet } from '../../../guest/apps/http-client.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { put16 } from '../../../guest/net/bytes.js';
import { ETH_HEADER, ETH_TYPE } from '../../../guest/net/ethernet.js';
import { IPV4_PROTOCOL, putIpv4Checksum } from '../../../guest/net/ipv4.js';
import { putTcpChecksum, IPPROTO_TCP } from '../../../guest/netstack/tcp/segment.js';
import { A_IP, B_IP, HZ, Link } from './link.js';

const MS = HZ / 1000;

/** Frames b sent to a while an exerciser worked a's servers for 30 ms. */
function recorded(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const link = new Link({ tap: (dir, f) => void (dir === 'ba' && frames.push(f.slice())) });
  for (const app of [new EchoServer(link.a), new DiscardServer(link.a), new HttpServer(link.a)]) link.add(link.a, app);
  link.add(link.b, new Exerciser(link.b, { target: A_IP, cpuHz: HZ, udpPort: 6000, echoBytes: 20_000, discardBytes: 20_000, httpBytes: 10_000 }));
  link.run(30 * MS);
  return frames;
}
const FRAMES = recorded();

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(1514) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(1514), bit: fc.nat(7), refill: fc.boolean() }),
  fc.record({ kind: fc.constant('set16' as const), at: fc.nat(80), value: fc.integer({ min: 0, max: 0xffff }), refill: fc.boolean() }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 1600 }) }),
  fc.record({ kind: fc.constant('same' as const) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Refill the IPv4 header checksum, and the TCP checksum when the frame carries TCP, so a mutation gets past them. */
function refill(f: Uint8Array): void {
  if (f.length < ETH_HEADER + 20 || f[ETH_TYPE] !== 0x08 || f[ETH_TYPE + 1] !== 0x00) return;
  const ihl = (f[ETH_HEADER]! & 0x0f) * 4;
  if (ihl < 20 || f.length < ETH_HEADER + ihl) return;
  putIpv4Checksum(f);
  if (f[ETH_HEADER + IPV4_PROTOCOL] === IPPROTO_TCP && f.length >= ETH_HEADER + ihl + 20) {
    const view = f.subarray(ETH_HEADER + ihl);
    put16(view, 16, 0);
    putTcpChecksum(view, B_IP, A_IP);
  }
}

function mutate(f: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'truncate':
      return f.slice(0, Math.min(m.at, f.length));
    case 'flip': {
      const g = f.slice();
      if (g.length > 0) g[m.at % g.length] ^= 1 << m.bit;
      if (m.refill) refill(g);
      return g;
    }
    case 'set16': {
      const g = f.slice();
      if (m.at + 2 <= g.length) put16(g, m.at, m.value);
      if (m.refill) refill(g);
      return g;
    }
    case 'garbage':
      return m.bytes;
    case 'same':
      return f.slice();
  }
}

describe('a whole stack under hostile frames', () => {
  it('recorded enough traffic to mutate', () => {
    expect(FRAMES.length).toBeGreaterThan(50);
  });

  it('nothing throws, every frame is taken in, and the stack still serves a clean client afterwards', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(FRAMES.length - 1), mutation, fc.nat(3)), { minLength: 1, maxLength: 120 }), (plan) => {
        const link = new Link();
        // Put a's servers on the link's own stack a, then feed it the hostile frames at increasing cycles.
        const servers = [new EchoServer(link.a), new DiscardServer(link.a), new HttpServer(link.a)];
        for (const s of servers) link.add(link.a, s);
        let now = 0;
        let fed = 0;
        for (const [k, m, repeat] of plan) {
          const f = mutate(FRAMES[k]!, m);
          for (let r = 0; r <= repeat; r++) {
            now += 1000;
            link.a.input(f, now);
            fed++;
            for (const s of servers) s.advance();
            link.a.tick(now);
            link.a.takeFrames();
          }
        }
        expect(link.a.counters.ip.framesIn).toBe(fed);
        // Time passes (retransmissions, TIME-WAIT, reassembly timeouts), then a clean client.
        link.now = now + 120 * HZ;
        link.a.tick(link.now);
        link.a.takeFrames();
        const get = new HttpGet(link.b, A_IP, '/bytes/30000');
        link.add(link.b, get);
        link.run(link.now + 5 * HZ, () => get.done);
        expect(get.result).toBe('ok');
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });
});
