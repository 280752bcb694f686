// Acceptance 5 (issue 5): a hostile stack runs 100,000 operations drawn by fast-check:
// scribbling anywhere in its control page, posting out-of-range and duplicate buffers,
// submitting frames with spoofed, truncated and oversized headers and lengths, jumping ring
// indexes both ways, sending the driver garbage messages, writing to its read-only buffers;
// and kernel operations on every capability it holds or can name (issue 9): changing limits,
// receiving on the driver's endpoint, allocating, exchanging, OPENs with bad or foreign
// capabilities, copying capabilities with other rights and badges, mapping, dropping.
// Meanwhile the peer sends frames to it, to a well-behaved neighbour and to nobody. The
// driver never crashes, every frame it delivers to the hostile is addressed to the hostile,
// the neighbour receives every frame sent to it, intact and in order, and the kernel
// invariants and read-only receive buffers hold throughout.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode, Right } from '../../guest/kernel/api/context.js';
import { LABEL_OPEN } from '../../guest/session/protocol.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { destinationOf } from '../../guest/net/demux.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';
import type { ClientSession } from '../../guest/session/client.js';
import { ENTRY_BYTES, RX_DELIVER, RX_FILL, TX_DONE, TX_SUBMIT, type RingLayout } from '../../guest/session/layout.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { REGION_VA } from '../../guest/apps/raw-stack.js';
import { world } from '../../emulator/cli/scenario/frame-world.js';

type Op =
  | { k: 'poke'; off: number; v: number }
  | { k: 'fill'; buf: number; bump: number }
  | { k: 'submit'; off: number; len: number; cookie: number; forge: number; bump: number }
  | { k: 'index'; ring: number; v: number }
  | { k: 'kick' }
  | { k: 'msg'; label: number; words: number[] }
  | { k: 'touch'; buf: number }
  | { k: 'take' }
  // kernel operations, on every capability it holds or names
  | { k: 'limit'; slot: number; limit: number; pins: boolean }
  | { k: 'recv'; slot: number }
  | { k: 'alloc'; bank: number; what: 'allocPage' | 'allocEndpoint' | 'allocNotification' | 'allocBank' | 'allocSpace'; dst: number }
  | { k: 'exchange'; a: number; b: number }
  | { k: 'open'; words: number[]; caps: number[] }
  | { k: 'transfer'; src: number; dst: number; rights: Right[] | undefined; badge: number | undefined }
  | { k: 'drop'; slot: number }
  | { k: 'map'; page: number; va: number; write: boolean }
  | { k: 'sendCaps'; label: number; caps: number[] };

const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Slots the hostile writes capabilities to (its own are 0-6); any slot it may name, in range or not. */
const scratch = fc.integer({ min: 10, max: 15 });
const anySlot = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 15 }), weight: 6 }, { arbitrary: fc.integer({ min: -2, max: 300 }), weight: 1 });
const small = fc.oneof(fc.integer({ min: 0, max: 6 }), u32);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('poke' as const), off: fc.integer({ min: 0, max: 1023 }).map((x) => x * 4), v: u32 }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('fill' as const), buf: small, bump: fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 40 })) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('submit' as const), off: fc.oneof(fc.integer({ min: 0, max: 4200 }), u32), len: fc.oneof(fc.integer({ min: 0, max: 1600 }), u32), cookie: u32, forge: fc.integer({ min: 0, max: 5 }), bump: fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 40 })) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('index' as const), ring: fc.integer({ min: 0, max: 3 }), v: u32 }), weight: 1 },
  { arbitrary: fc.constant({ k: 'kick' as const }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('msg' as const), label: fc.oneof(fc.integer({ min: 0, max: 5 }), u32), words: fc.array(u32, { maxLength: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('touch' as const), buf: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  { arbitrary: fc.constant({ k: 'take' as const }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('limit' as const), slot: anySlot, limit: fc.oneof(fc.integer({ min: 0, max: 200 }), u32), pins: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('recv' as const), slot: anySlot }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('alloc' as const), bank: anySlot, what: fc.constantFrom('allocPage' as const, 'allocEndpoint' as const, 'allocNotification' as const, 'allocBank' as const, 'allocSpace' as const), dst: scratch }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('exchange' as const), a: anySlot, b: anySlot }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('open' as const), words: fc.array(fc.oneof(small, u32), { maxLength: 4 }), caps: fc.array(anySlot, { maxLength: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('transfer' as const), src: anySlot, dst: scratch, rights: fc.option(fc.subarray(['read', 'write', 'destroy', 'free', 'limits', 'query'] as Right[]), { nil: undefined }), badge: fc.option(u32, { nil: undefined }) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('drop' as const), slot: scratch }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('map' as const), page: anySlot, va: fc.oneof(fc.constant(REGION_VA), fc.integer({ min: 0, max: 0xfffff }).map((p) => p * 4096)), write: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('sendCaps' as const), label: fc.oneof(fc.integer({ min: 0, max: 5 }), u32), caps: fc.array(anySlot, { maxLength: 2 }) }), weight: 1 },
);

const RINGS: RingLayout[] = [TX_SUBMIT, TX_DONE, RX_FILL, RX_DELIVER];
/**
 * The neighbour shares the CPU with a hostile that never waits, so it runs every other timer
 * quantum; in flip a frame for it that lands in another stack's page needs one of its posted
 * pages to exchange with. Eight receive buffers (the driver's most) cover the quanta it waits.
 */
const NEIGHBOUR_GEOMETRY = { ringSize: 8, txPages: 1, rxBuffers: 8 };

/** A frame the hostile might submit: honest, or with someone else's address or MAC, or junk. */
function hostileFrame(forge: number, len: number): Uint8Array {
  const n = Math.max(14, Math.min(len, 1514));
  const f = ipv4Frame({ dstMac: PEER_MAC, srcMac: forge === 1 ? PEER_MAC : CARD_MAC, src: forge === 2 ? ipOf(1) : ipOf(0), dst: PEER_IP, payload: new Uint8Array(Math.max(0, n - 34)).fill(0xbd) });
  if (forge === 3) f[12] = 0x86; // EtherType 0x86xx
  if (forge === 4) f[14] = 0x4f; // IHL 15 with no options
  return f.subarray(0, n);
}

/** The hostile's body: open honestly, then run `ops`, surviving its own faults. */
interface Done {
  ops: number;
  faults: number;
  /** How the kernel answered each kind of kernel operation: 'recv:no-rights' -> count. */
  answers: Record<string, number>;
}

function hostileBody(ops: Op[], done: Done) {
  return function* (ctx: DomainContext, s: ClientSession): GuestCode {
    const note = (k: string, r: { ok: boolean; error?: string }) => {
      const key = `${k}:${r.ok ? 'ok' : r.error}`;
      done.answers[key] = (done.answers[key] ?? 0) + 1;
    };
    const ctl = REGION_VA;
    const prod = [0, 0, 0, 0];
    for (const op of ops) {
      done.ops++;
      try {
        switch (op.k) {
          case 'poke':
            yield* ctx.store32(ctl + op.off, op.v);
            break;
          case 'fill': {
            yield* ctx.store32(ctl + RX_FILL.entriesOffset + (prod[2]! & 7) * ENTRY_BYTES, op.buf);
            prod[2] = (prod[2]! + op.bump) >>> 0;
            yield* ctx.store32(ctl + RX_FILL.prodOffset, prod[2]!);
            break;
          }
          case 'submit': {
            if (op.off < 4096) {
              const f = hostileFrame(op.forge, op.len);
              yield* ctx.write(s.txVa(op.off), f.subarray(0, Math.min(f.length, 4096 - op.off)));
            }
            const at = ctl + TX_SUBMIT.entriesOffset + (prod[0]! & 7) * ENTRY_BYTES;
            yield* ctx.store32(at, op.off);
            yield* ctx.store32(at + 4, op.len);
            yield* ctx.store32(at + 8, op.cookie);
            prod[0] = (prod[0]! + op.bump) >>> 0;
            yield* ctx.store32(ctl + TX_SUBMIT.prodOffset, prod[0]!);
            break;
          }
          case 'index': {
            const r = RINGS[op.ring]!;
            yield* ctx.store32(ctl + (op.ring % 2 === 0 ? r.prodOffset : r.consOffset), op.v);
            if (op.ring % 2 === 0) prod[op.ring] = op.v;
            break;
          }
          case 'kick':
            yield* s.kick();
            break;
          case 'msg':
            yield* ctx.invoke(s.slots.driver, 'send', { label: op.label, words: op.words });
            break;
          case 'touch':
            yield* ctx.store32(s.rxVa(op.buf), 0xbadbad);
            break;
          case 'take':
            yield* s.post((yield* s.deliveries()).map(([b]) => b));
            yield* s.completions();
            break;
          case 'limit':
            note(op.k, yield* ctx.invoke(op.slot, op.pins ? 'setPinLimit' : 'setLimit', { limit: op.limit }));
            break;
          case 'recv':
            note(op.k, yield* ctx.invoke(op.slot, 'recv', { timeout: 500 }));
            break;
          case 'alloc':
            note(op.k, yield* ctx.invoke(op.bank, op.what, { dst: op.dst, limit: 4 } as never));
            break;
          case 'exchange':
            note(op.k, yield* ctx.invoke(op.a, 'exchange', { other: op.b }));
            break;
          case 'open':
            note(op.k, yield* ctx.invoke(s.slots.driver, 'call', { label: LABEL_OPEN, words: op.words, caps: op.caps, capSlots: [14, 15] }));
            break;
          case 'transfer':
            note(op.k, yield* ctx.invoke(op.src, 'copy', { dst: op.dst, ...(op.rights && { rights: op.rights }), ...(op.badge !== undefined && { badge: op.badge }) }));
            break;
          case 'drop':
            note(op.k, yield* ctx.invoke(op.slot, 'drop', {}));
            break;
          case 'map':
            note(op.k, yield* ctx.invoke(s.slots.space, 'map', { va: op.va, page: op.page, rights: op.write ? ['read', 'write'] : ['read'] }));
            break;
          case 'sendCaps':
            note(op.k, yield* ctx.invoke(s.slots.driver, 'send', { label: op.label, caps: op.caps }));
            break;
        }
      } catch (e) {
        if (!ctx.isFault(e)) throw e;
        done.faults++;
      }
      if (done.ops % 64 === 0) yield* s.kick();
    }
  };
}

function run(mode: CardMode, strategy: Strategy, ops: Op[]) {
  const done: Done = { ops: 0, faults: 0, answers: {} };
  const w = world({ mode, strategy, stacks: 2, stack: (i) => (i === 0 ? { body: hostileBody(ops, done) } : { geometry: NEIGHBOUR_GEOMETRY }) }); // both stacks at the same priority
  const wrong: string[] = [];
  const seen = { deliveries: 0 };
  w.view.onDeliver = (e) => {
    seen.deliveries++;
    const page = w.driverDomain.slots[e.session.slots.rx[e.buffer]!]!.obj as { frame: number };
    const bytes = w.machine.memory.bytes.slice(page.frame * 4096, page.frame * 4096 + e.length);
    const d = destinationOf(bytes, e.length);
    if (typeof d === 'string' || d.ip !== e.session.ip) wrong.push(`session ${e.session.id} got a frame for ${JSON.stringify(d)}`);
  };
  runUntilOpen(w);
  // Traffic from the peer throughout: to the neighbour, to the hostile, to nobody.
  const src = w.machine.eventSource('test-peer');
  const toNeighbour: Uint8Array[] = [];
  const t0 = w.machine.now;
  for (let k = 0; k < 120; k++) {
    const dst = k % 3 === 0 ? ipOf(1) : k % 3 === 1 ? ipOf(0) : ipOf(40);
    const f = ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst, payload: new Uint8Array(k % 2 ? 1200 : 80).fill(k) });
    if (dst === ipOf(1)) toNeighbour.push(f);
    src.at(t0 + 10_000 + k * 150_000, () => w.peer.send(f));
  }
  const hostile = w.clients[0]!.domain!;
  while (done.ops < ops.length && hostile.state !== "faulted" && hostile.state !== "exited" && w.machine.now < t0 + 2_000_000_000) runChecked(w, 2_000_000, 500_000);
  runChecked(w, Math.max(0, t0 + 120 * 150_000 - w.machine.now) + 3_000_000, 500_000);
  return { w, done, wrong, toNeighbour, seen };
}

function check(r: ReturnType<typeof run>, ops: number): void {
  const { w, done, wrong, toNeighbour, seen } = r;
  expect(seen.deliveries).toBe(w.view.driver!.counters.delivered); // the address check saw every delivery
  expect(w.clients[0]!.domain!.thread?.error).toBeUndefined(); // (the hostile survives its own faults)
  expect(done.ops).toBe(ops);
  expect(w.driverDomain.thread?.error).toBeUndefined();
  expect(w.driverDomain.state).toBe('waiting');
  expect(wrong).toEqual([]); // every frame delivered to the hostile was addressed to it
  expect(w.clients[1]!.probe.received.map((x) => x.frame)).toEqual(toNeighbour); // the neighbour got all of its frames, intact, in order
  w.kernel.assertInvariants();
}

// The neighbour runs at the hostile's priority: the hostile never blocks for long, so the two
// share the CPU by the timer's round-robin (every context call is a preemption point: the
// hostile cannot keep it past a quantum). The driver runs above both.
describe('a hostile stack beside a well-behaved one', () => {
  for (const [mode, strategy, seed] of [['busmaster', 'flip', 5], ['classic', 'copy', 6]] as [CardMode, Strategy, number][]) {
    it(`${mode} / ${strategy}: 100,000 hostile operations (one fast-check draw)`, () => {
      const [ops] = fc.sample(fc.array(opArb, { minLength: 100_000, maxLength: 100_000 }), { numRuns: 1, seed });
      const r = run(mode, strategy, ops!);
      check(r, 100_000);
      const hostile = r.w.view.driver!.sessions.find((s) => s.badge === 1)!;
      const reasons = Object.entries(hostile.counters.rejected).filter(([, n]) => n > 0).map(([k]) => k);
      expect(reasons).toEqual(expect.arrayContaining(['index-jump', 'out-of-bounds', 'bad-length', 'duplicate'])); // it really was hostile, and was told so
      expect(r.done.faults).toBeGreaterThan(0); // its writes to read-only buffers faulted
      // The kernel refused what its capabilities do not carry: receiving on the driver's endpoint, changing its bank's limits.
      expect(Object.keys(r.done.answers)).toEqual(expect.arrayContaining(['recv:no-rights', 'limit:no-rights', 'open:ok', 'exchange:invalid-cap', 'map:bad-arg', 'transfer:ok']));
    });

    it(`${mode} / ${strategy}: short hostile runs, shrinking to a readable counterexample`, () => {
      fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 300 }), (ops) => check(run(mode, strategy, ops), ops.length)), { numRuns: 8, seed });
    });
  }
});
