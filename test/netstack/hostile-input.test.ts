// Hostile input through the stack's receive path: random and mutated frames (truncated,
// bit-flipped with and without a refilled header checksum, length fields overwritten,
// garbage), fragmented, shuffled and duplicated, through ipv4Input, reassembly and the
// ICMP/UDP parsers. Nothing may throw, and every frame is accounted for at every step: it
// reached an upper layer, is held for reassembly, or was counted under a drop reason.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { put16 } from '../../guest/net/bytes.js';
import { ETH_HEADER } from '../../guest/net/ethernet.js';
import { putIpv4Checksum } from '../../guest/net/ipv4.js';
import { countDrop, newDropCounters, STACK_DROP_REASONS, totalDrops, type StackDropReason } from '../../guest/netstack/drops.js';
import { buildEchoReply, buildIcmp, ICMP_ECHO_REQUEST, IPPROTO_ICMP, parseEchoRequest, parseIcmp } from '../../guest/netstack/icmp.js';
import { IPV4_LIMITED_BROADCAST, ipv4Input } from '../../guest/netstack/ipv4-input.js';
import { Reassembler } from '../../guest/netstack/reassembly.js';
import { buildUdp, parseUdp } from '../../guest/netstack/udp.js';
import { datagramFrame, LOCAL, PEER, pattern } from './frames.js';

const IPPROTO_UDP = 17;
const TIMEOUT = 1000;

const datagramArb = fc.record({
  protocol: fc.constantFrom(IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_UDP, 6, 99),
  id: fc.integer({ min: 0, max: 3 }), // few ids, so fragments of different datagrams collide
  data: fc.tuple(fc.integer({ min: 0, max: 1400 }), fc.nat(255)).map(([n, start]) => pattern(n, start)), // fast-check's default size would keep byte arrays tiny
  fragmentUnits: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }), // fragment size in 8-byte units
  dst: fc.constantFrom(LOCAL, LOCAL, LOCAL, LOCAL + 1, IPV4_LIMITED_BROADCAST),
  checksumless: fc.boolean(),
});

const mutationArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(1600) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(120), bit: fc.nat(7), refill: fc.boolean() }),
  fc.record({ kind: fc.constant('set16' as const), at: fc.nat(60), value: fc.integer({ min: 0, max: 0xffff }), refill: fc.boolean() }),
);
type DatagramInput = typeof datagramArb extends fc.Arbitrary<infer D> ? D : never;
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function transportPayload(d: DatagramInput): Uint8Array {
  if (d.protocol === IPPROTO_UDP) {
    const u = buildUdp({ src: PEER, dst: d.dst, srcPort: 5000, dstPort: 7, data: d.data });
    if (d.checksumless) u[6] = u[7] = 0;
    return u;
  }
  if (d.protocol === IPPROTO_ICMP) return buildIcmp(ICMP_ECHO_REQUEST, 0, d.id, 1, d.data);
  return d.data;
}

/** The frames carrying `d`: one, or its fragments. */
function framesOf(d: DatagramInput): Uint8Array[] {
  const payload = transportPayload(d);
  const spec = { protocol: d.protocol, id: d.id, dst: d.dst };
  if (d.fragmentUnits === undefined || payload.length <= d.fragmentUnits * 8) return [datagramFrame({ ...spec, payload })];
  const size = d.fragmentUnits * 8;
  const out: Uint8Array[] = [];
  for (let o = 0; o < payload.length; o += size) out.push(datagramFrame({ ...spec, payload: payload.subarray(o, o + size), offset: o, more: o + size < payload.length }));
  return out;
}

function mutate(f: Uint8Array, m: Mutation): Uint8Array {
  const g = f.slice();
  if (m.kind === 'truncate') return g.subarray(0, m.at % (g.length + 1));
  if (m.kind === 'flip') g[ETH_HEADER + m.at]! ^= 1 << m.bit;
  if (m.kind === 'set16') put16(g, ETH_HEADER + m.at, m.value);
  if (m.kind !== 'none' && m.refill) putIpv4Checksum(g);
  return g;
}

const inputArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(datagramArb, fc.array(mutationArb, { maxLength: 40 }), fc.boolean()).map(([d, ms, dup]) => {
    const frames = framesOf(d).map((f, i) => mutate(f, ms[i] ?? { kind: 'none' }));
    return dup ? [...frames, ...frames.slice(1, 3)] : frames;
  }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => [b]) }, // garbage
);

const scenarioArb = fc.record({
  inputs: fc.array(inputArb, { maxLength: 12 }),
  shuffleSeed: fc.array(fc.nat(), { maxLength: 40 }),
  steps: fc.array(fc.nat(Math.floor(TIMEOUT / 3)), { maxLength: 60 }),
  maxBytes: fc.constantFrom(256, 4096, 1 << 18),
});

/** Deterministic shuffle by a list of generated numbers (swap i with a later index). */
function shuffled<T>(xs: T[], seed: number[]): T[] {
  const out = xs.slice();
  for (let i = 0; i < out.length && i < seed.length; i++) {
    const j = i + (seed[i]! % (out.length - i));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('hostile frames through ipv4Input, reassembly, ICMP and UDP', () => {
  it('nothing throws; every frame reaches an upper layer, is held, or is counted under a reason', () => {
    const seen = new Set<StackDropReason>();
    let delivered = 0;
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const drops = newDropCounters();
        const reassembler = new Reassembler({ timeoutCycles: TIMEOUT, maxBytes: s.maxBytes, maxDatagrams: 4 }, drops);
        let fed = 0;
        let reachedUpperLayer = 0; // in frames: a reassembled datagram counts each of its fragments
        let now = 0;
        const frames = shuffled(s.inputs.flat(), s.shuffleSeed);
        frames.forEach((frame, i) => {
          now += s.steps[i] ?? 1;
          fed++;
          const before = totalDrops(drops);
          const d = ipv4Input(frame, frame.length, LOCAL);
          if (typeof d === 'string') countDrop(drops, d);
          else {
            const r = reassembler.accept(d, now);
            if ('datagram' in r) {
              const dropAll = (reason: StackDropReason) => countDrop(drops, reason, r.fragments);
              const p = r.datagram;
              if (p.protocol === IPPROTO_ICMP) {
                const m = parseEchoRequest(p.payload);
                if (typeof m === 'string') dropAll(m);
                else {
                  const back = parseIcmp(buildEchoReply(m));
                  expect(typeof back).toBe('object');
                  reachedUpperLayer += r.fragments;
                }
              } else if (p.protocol === IPPROTO_UDP) {
                const u = parseUdp(p.payload, p.src, p.dst);
                if (typeof u === 'string') dropAll(u);
                else reachedUpperLayer += r.fragments;
              } else dropAll('unknown-protocol');
            } else if ('dropped' in r) {
              expect(totalDrops(drops)).toBeGreaterThan(before); // the reassembler counted it
            }
          }
          expect(fed).toBe(reachedUpperLayer + reassembler.fragmentsHeld + totalDrops(drops));
          expect(reassembler.bytesHeld).toBeLessThanOrEqual(s.maxBytes);
          expect(reassembler.datagramsHeld).toBeLessThanOrEqual(4);
        });
        reassembler.expire(now + TIMEOUT);
        expect(reassembler.fragmentsHeld).toBe(0);
        expect(reassembler.bytesHeld).toBe(0);
        expect(fed).toBe(reachedUpperLayer + totalDrops(drops));
        for (const r of STACK_DROP_REASONS) if (drops[r] > 0) seen.add(r);
        delivered += reachedUpperLayer;
      }),
      { numRuns: 300 },
    );
    // not vacuous: good frames got through, and hostile ones hit the rules at every layer
    expect(delivered).toBeGreaterThan(0);
    for (const r of ['truncated-header', 'bad-checksum', 'bad-length', 'bad-fragment', 'not-for-us', 'unknown-protocol', 'duplicate-fragment', 'reassembly-timeout', 'reassembly-memory-full'] as const) {
      expect(seen, r).toContain(r);
    }
  });
});
