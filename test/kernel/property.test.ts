// Acceptance 4 (issue 4): random sequences of kernel operations from several domains, with
// hostile arguments, checking every invariant after every step. Three domains each hold a
// client bank (slot 0) and their own space (slot 3); domain 0 also holds the card's device
// privileges (slot 1). The harness adds what IPC would do (handing a capability from one
// domain to another) and what the card would do (DMA to the bus address of a live pin).
// Domains also run bulk memory operations with hostile operands (negative, wrapping and
// fractional addresses, bad lengths, forged write data); after each, every frame the domain
// cannot write through its own page tables must be unchanged.
// Failures shrink to the shortest command list, printed one command per line.
//
// The seed is fixed so that the suite is deterministic; set FC_SEED to explore others.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainContext, GuestCode, Op } from '../../guest/kernel/api/context.js';
import { boot } from './helpers.js';

const DOMAINS = 3;
const OPS: Op[] = [
  'pin', 'pin', 'map', 'map', 'allocPage', 'allocSpace', 'allocBank', 'allocEndpoint', 'allocNotification', 'allocDomain', 'free', 'destroy', 'setLimit',
  'setPinLimit', 'query', 'revokePage', 'map', 'unmap', 'delegate', 'claim', 'exchange', 'copy', 'drop', 'identify', 'signal', 'poll',
  'pin', 'unpin', 'in', 'out', 'wait', 'recv',
];

type Cmd =
  | { kind: 'invoke'; who: number; slot: unknown; op: Op; args: Record<string, unknown> }
  | { kind: 'give'; from: number; to: number; slot: number; dst: number }
  | { kind: 'touch'; who: number; va: number; write: boolean }
  | { kind: 'dma'; pick: number; offset: number; len: number }
  | { kind: 'bulk'; who: number; op: BulkOp; va: number; src: number; len: number; forged: boolean };

type BulkOp = 'read' | 'write' | 'copy' | 'checksum' | 'zero';

const VAS = [0x1000, 0x2000, 0x00401000, 0x40000000, 0x40001000, 0x40400000];
const slot = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(4, 5) }, { weight: 12, arbitrary: fc.integer({ min: 0, max: 11 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 256, 1.5, NaN, 'x', null) });
const va = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...VAS) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0x1001, -4096, 2 ** 32, NaN, '0x1000') });
const rights = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(['read'], ['read', 'write']) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], ['write'], ['read', 'fly'], 'rw') },
);
const args = fc.record({
  dst: slot, target: slot, page: slot, other: slot, bank: slot, space: slot, notification: slot,
  va, rights,
  limit: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom<unknown>(-1, 1e12, 0.5)),
  bits: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constant<unknown>(-1)),
  // 'last': the token of the domain's latest pin (so unpins, and double unpins, really happen)
  token: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.constant<unknown>('last'), fc.constant<unknown>('last')),
  dir: fc.constantFrom<unknown>('to-device', 'from-device', 'sideways'),
  port: fc.integer({ min: 0x2f0, max: 0x330 }), width: fc.constantFrom<unknown>(1, 2, 4, 3), value: fc.integer({ min: 0, max: 255 }),
  // waits always carry a timeout here (else a domain would wait for ever and stall the sequence)
  timeout: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constant<unknown>(-1)),
  capSlots: fc.constantFrom<unknown>([], [10, 11], [99]),
  badge: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
});
const who = fc.integer({ min: 0, max: DOMAINS - 1 });
/** The slot an operation is usually aimed at (bank 0, card 1, space 3, or any object slot); sometimes any slot at all. */
function slotFor(op: Op): fc.Arbitrary<unknown> {
  const usual = op.startsWith('alloc') || ['free', 'destroy', 'setLimit', 'setPinLimit', 'query', 'revokePage'].includes(op)
    ? fc.constantFrom(0, 0, 0, 6, 7)
    : ['pin', 'unpin', 'in', 'out'].includes(op) ? fc.constant(1)
    : ['map', 'unmap', 'delegate', 'claim'].includes(op) ? fc.constantFrom(3, 3, 8, 9)
    : fc.integer({ min: 4, max: 11 });
  return fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: slot });
}
const DEVICE_OPS: Op[] = ['pin', 'unpin', 'in', 'out'];
const invoke = fc.constantFrom(...OPS).chain((op) => fc.record({
  kind: fc.constant('invoke' as const),
  who: DEVICE_OPS.includes(op) ? fc.constantFrom(0, 0, 0, 1) : who, // mostly the domain that holds the card
  slot: slotFor(op), op: fc.constant(op), args,
}));
/** Bulk operands: the mapped pages and their edges, and the hostile ones (wrap-around, negative, fractional, beyond 2^32). */
const BULK_VAS = [0x1000, 0x1fe0, 0x2000, 0x2ff0, 0x40001000, -31, 0xffffffe1, 4095.5, 2 ** 32, -4096];
const BULK_LENS = [0, 1, 32, 64, 4096, 8192, -1, 1.5, 2 ** 32];
const bulk = fc.record({
  kind: fc.constant('bulk' as const), who, op: fc.constantFrom<BulkOp>('read', 'write', 'copy', 'checksum', 'zero'),
  va: fc.constantFrom(...BULK_VAS), src: fc.constantFrom(...BULK_VAS), len: fc.constantFrom(...BULK_LENS), forged: fc.boolean(),
});
/** Weights of the command kinds (the tally's floors are derived from them). */
const W = { invoke: 10, give: 2, touch: 3, dma: 2, bulk: 2 };
const W_TOTAL = W.invoke + W.give + W.touch + W.dma + W.bulk;
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: W.invoke, arbitrary: invoke },
  { weight: W.give, arbitrary: fc.record({ kind: fc.constant('give' as const), from: who, to: who, slot: fc.integer({ min: 0, max: 11 }), dst: fc.integer({ min: 4, max: 11 }) }) },
  { weight: W.touch, arbitrary: fc.record({ kind: fc.constant('touch' as const), who, va: fc.constantFrom(...VAS), write: fc.boolean() }) },
  { weight: W.dma, arbitrary: fc.record({ kind: fc.constant('dma' as const), pick: fc.nat(10), offset: fc.nat(4000), len: fc.integer({ min: 1, max: 600 }) }) },
  { weight: W.bulk, arbitrary: bulk },
);
const sequences = fc.array(cmd, { minLength: 1, maxLength: 40, size: 'max' });

/** The arguments each operation reads (the record carries all of them; a report shows these). */
const USES: Partial<Record<Op, string[]>> = {
  allocPage: ['dst'], allocSpace: ['dst'], allocEndpoint: ['dst'], allocNotification: ['dst'], allocBank: ['dst', 'limit'],
  allocDomain: ['dst', 'space'], free: ['target'], revokePage: ['target'], setLimit: ['limit'], setPinLimit: ['limit'],
  map: ['va', 'page', 'rights'], unmap: ['va'], delegate: ['va', 'bank', 'dst'], claim: ['dst'], exchange: ['other'], copy: ['dst', 'rights', 'badge'],
  signal: ['bits'], wait: ['timeout', 'notification'], recv: ['timeout', 'capSlots', 'notification'], pin: ['page', 'dir'], unpin: ['token'], in: ['port', 'width'], out: ['port', 'value', 'width'],
};

function describeCmd(c: Cmd): string {
  switch (c.kind) {
    case 'invoke': {
      const shown = (USES[c.op] ?? []).map((k) => `${k}: ${typeof c.args[k] === 'number' && k === 'va' ? `0x${(c.args[k] as number).toString(16)}` : JSON.stringify(c.args[k])}`);
      return `d${c.who}: invoke(${String(c.slot)}, ${c.op}, { ${shown.join(', ')} })`;
    }
    case 'give': return `d${c.from} gives slot ${c.slot} to d${c.to} slot ${c.dst}`;
    case 'touch': return `d${c.who} ${c.write ? 'writes' : 'reads'} 0x${c.va.toString(16)}`;
    case 'dma': return `card DMA-writes ${c.len} bytes at +${c.offset} of live pin #${c.pick}`;
    case 'bulk': {
      const hex = (x: number) => (Number.isInteger(x) && x >= 0 ? `0x${x.toString(16)}` : String(x));
      const data = c.forged ? 'forged Uint8Array subclass' : 'Uint8Array';
      const operands = c.op === 'copy' ? `${hex(c.va)}, ${hex(c.src)}, ${c.len}` : c.op === 'write' ? `${hex(c.va)}, ${data} of ${c.len}` : `${hex(c.va)}, ${c.len}`;
      return `d${c.who}: ${c.op}(${operands})`;
    }
  }
}

/** A Uint8Array whose overridable parts lie (its real bytes are 0x5b): the kernel must copy the real ones, running none of this. */
function forgedData(len: number): Uint8Array {
  class Forged extends Uint8Array {}
  const lie = () => new Uint8Array(3 * 4096).fill(0xf0);
  Object.defineProperty(Forged.prototype, 'subarray', { value: lie });
  Object.defineProperty(Forged.prototype, 'slice', { value: lie });
  Object.defineProperty(Forged, Symbol.species, { get: () => { throw new Error('species consulted'); } });
  const data = new Forged(len).fill(0x5b);
  Object.defineProperty(data, 'length', { get: () => 3 * 4096 });
  return data;
}

function* runBulk(ctx: DomainContext, c: Extract<Cmd, { kind: 'bulk' }>): GuestCode<unknown> {
  const len = Number.isSafeInteger(c.len) && c.len >= 0 && c.len <= 8192 ? c.len : 16; // write data needs a real length
  switch (c.op) {
    case 'read': return yield* ctx.read(c.va, c.len);
    case 'write': return yield* ctx.write(c.va, c.forged ? forgedData(len) : new Uint8Array(len).fill(0x5b));
    case 'copy': return yield* ctx.copy(c.va, c.src, c.len);
    case 'checksum': return yield* ctx.checksum(c.va, c.len);
    case 'zero': return yield* ctx.zero(c.va, c.len);
  }
}

/** Outcomes of invocations and bulk operations, and counts of what the harness did. */
type Tally = Map<string, number>;
const bump = (tally: Tally, key: string, n = 1) => tally.set(key, (tally.get(key) ?? 0) + n);

/** Run one command sequence; returns a violation report, or undefined if every step kept every invariant. */
function runSequence(cmds: Cmd[], iommu: boolean, tally: Tally = new Map()): string | undefined {
  const { kernel, machine } = boot({ memoryBytes: 2 << 20, iommu }, { reservedBytes: 1 << 20 });
  const system = kernel.createBank(kernel.primeBank, 60);
  const dp = kernel.devicePrivilege('card', 0x300, 0x20, 9);
  const queues: Cmd[][] = [];
  const busy: boolean[] = [];
  const crashes: string[] = [];
  const doms = Array.from({ length: DOMAINS }, (_, i) => {
    queues.push([]);
    busy.push(false);
    const bank = kernel.createBank(kernel.primeBank, 30, 6);
    return kernel.spawn({
      name: `d${i}`, bank: system, priority: 1, caps: [kernel.cap(bank), i === 0 ? kernel.cap(dp) : null],
      *body(ctx: DomainContext) {
        let lastToken = 0;
        for (;;) {
          const c = queues[i]!.shift();
          if (!c) { busy[i] = false; yield* ctx.compute(200); yield; continue; }
          try {
            if (c.kind === 'invoke') {
              const a = c.op === 'allocDomain' ? { ...c.args, *body() {} } : c.args.token === 'last' ? { ...c.args, token: lastToken } : c.args;
              const r = yield* ctx.invoke(c.slot as number, c.op, a as never);
              if (c.op === 'pin' && r.ok) lastToken = (r.value as { token: number }).token;
              bump(tally, `${c.op}:${r.ok ? 'ok' : r.error}`);
            } else if (c.kind === 'touch') {
              if (c.write) yield* ctx.store32(c.va, 0xc0ffee00 + i);
              else yield* ctx.load32(c.va);
            } else if (c.kind === 'bulk') {
              yield* runBulk(ctx, c);
              bump(tally, 'bulk:ok');
            }
          } catch (e) {
            const name = ctx.isFault(e) ? 'fault' : (e as Error).name;
            if (c.kind === 'bulk') bump(tally, `bulk:${name}`);
            if (name !== 'fault' && !(c.kind === 'bulk' && name === 'BadAccess')) crashes.push(`d${i}: ${String(e)}`);
          }
          busy[i] = false;
        }
      },
    });
  });
  // Each domain starts with two pages of its bank (slots 4, 5) mapped writable at 0x1000 and 0x2000.
  doms.forEach((d) => {
    d.slots[3] = kernel.cap(d.space);
    const bank = d.slots[0]!.obj as import('../../guest/kernel/banks.js').Bank;
    [4, 5].forEach((s, j) => {
      const page = kernel.allocPage(bank);
      d.slots[s] = kernel.cap(page);
      kernel.map(d.space, VAS[j]!, page, true);
    });
  });
  /** Copies of every allocated, unpinned frame domain `i` has no writable mapping of. */
  const othersFrames = (i: number): Map<number, Uint8Array> => {
    const own = new Set(kernel.mappings(doms[i]!.space).filter((m) => m.writable).map((m) => m.frame));
    const fr = kernel.state.frames;
    const copies = new Map<number, Uint8Array>();
    for (let f = 0; f < fr.state.length; f++) if (fr.state[f] === 'allocated' && fr.pins[f] === 0 && !own.has(f)) copies.set(f, machine.memory.bytes.slice(f * 4096, (f + 1) * 4096));
    return copies;
  };
  const done: string[] = [];
  for (const c of cmds) {
    done.push(describeCmd(c));
    if (c.kind === 'give') {
      doms[c.to]!.slots[c.dst] = doms[c.from]!.slots[c.slot] ?? null;
    } else if (c.kind === 'dma') {
      const tokens = [...dp.tokens.values()].filter((t) => t.writable);
      if (tokens.length > 0) {
        const t = tokens[c.pick % tokens.length]!;
        const len = Math.min(c.len, 4096 - c.offset);
        if (len > 0) {
          machine.dma.write('card', t.frame * 4096 + c.offset, new Uint8Array(len).fill(0xd0));
          bump(tally, 'dmaIssued');
        }
      }
    } else {
      const i = c.kind === 'invoke' ? c.who : c.who;
      // Without an IOMMU the kernel trusts the driver to unpin only when the card is done: model that driver.
      if (c.kind === 'invoke' && c.op === 'unpin' && !iommu) while (!machine.dma.idle) machine.runFor(500);
      if (doms[i]!.state !== 'ready' && doms[i]!.state !== 'waiting') continue;
      // A bulk operation may change only frames the domain can write through its own page tables.
      const kept = c.kind === 'bulk' ? othersFrames(i) : undefined;
      busy[i] = true;
      queues[i]!.push(c);
      // Round-robin at equal priority hands the CPU over once a tick: wait for the command to finish.
      for (let n = 0; n < 2500 && busy[i]; n++) machine.runFor(2000);
      if (busy[i] && (doms[i]!.state === 'ready' || doms[i]!.state === 'waiting')) crashes.push(`harness: d${i} did not finish its command`);
      if (kept) {
        for (const [f, bytes] of kept) {
          const j = bytes.findIndex((b, j) => b !== machine.memory.bytes[f * 4096 + j]);
          if (j >= 0) crashes.push(`d${i}'s ${c.kind} changed frame ${f} (${kernel.state.frames.owner[f]?.kind}) at +${j}: ${bytes[j]} -> ${machine.memory.bytes[f * 4096 + j]}, which it cannot write`);
        }
      }
    }
    machine.runFor(300);
    const bad = [...kernel.checkInvariants(), ...crashes];
    if (bad.length > 0) return `after:\n  ${done.join('\n  ')}\nviolations:\n  ${bad.join('\n  ')}`;
  }
  while (!machine.dma.idle) machine.runFor(1000);
  bump(tally, 'quarantined', kernel.counters.quarantined);
  bump(tally, 'revokedMappings', kernel.counters.revokedMappings);
  bump(tally, 'dmaBeats', kernel.counters.dmaBeatsChecked);
  const bad = [...kernel.checkInvariants(), ...crashes];
  return bad.length > 0 ? `at the end of:\n  ${done.join('\n  ')}\nviolations:\n  ${bad.join('\n  ')}` : undefined;
}

/**
 * The probability that one generated command is a well-formed attempt at `what`, from the
 * generator's own weights (each factor names the choice it comes from). Refusals that depend
 * on the state (a freed page, a reached limit, a pinned frame) are not in it.
 */
const P_INVOKE = W.invoke / W_TOTAL;
const pOp = (op: Op) => OPS.filter((o) => o === op).length / OPS.length;
const P_USUAL = 4 / 5; // slotFor: the usual slot, weight 4 of 5
const P_PAGE_SLOT = 6 / 19 + (12 / 19) * (2 / 12); // slot: constantFrom(4, 5) (6 of 19), or integer 0..11 hitting 4 or 5
const P_VALID_VA = 8 / 9; // va: one of VAS, weight 8 of 9
const P_READ_RIGHTS = 6 / 7; // rights: ['read'] or ['read', 'write'], weight 6 of 7
const WELL_FORMED = {
  // from domain 0 (constantFrom(0, 0, 0, 1)), on the card (slot 1), a page slot, a valid direction (2 of 3)
  'pin:ok': P_INVOKE * pOp('pin') * (3 / 4) * P_USUAL * P_PAGE_SLOT * (2 / 3),
  // on the domain's space (slot 3: 2 of the 4 usual choices), a valid va, a page slot, valid rights
  'map:ok': P_INVOKE * pOp('map') * P_USUAL * (2 / 4) * P_VALID_VA * P_PAGE_SLOT * P_READ_RIGHTS,
  // on a page slot (usual integer 4..11: 2 of 8) with another page slot
  'exchange:ok': P_INVOKE * pOp('exchange') * P_USUAL * (2 / 8) * P_PAGE_SLOT,
  // on the domain's bank (usual constantFrom(0, 0, 0, 6, 7): 3 of 5)
  'destroy:ok': P_INVOKE * pOp('destroy') * P_USUAL * (3 / 5),
  // on the domain's bank, of one of its pages
  'revokePage:ok': P_INVOKE * pOp('revokePage') * P_USUAL * (3 / 5) * P_PAGE_SLOT,
  // hostile operands: va or len outside BULK_VAS' and BULK_LENS' valid ones (at least 5 of 10 vas, 3 of 9 lens)
  'bulk:BadAccess': (W.bulk / W_TOTAL) * (1 - (5 / 10) * (6 / 9)),
};

describe('kernel operations under random hostile sequences', () => {
  const seed = Number(process.env.FC_SEED ?? 0x4b45524e);
  for (const iommu of [false, true]) {
    it(`keep every invariant after every step (IOMMU ${iommu ? 'on' : 'off'})`, () => {
      fc.assert(
        fc.property(sequences.map((cmds) => Object.defineProperty(cmds, fc.toStringMethod, { value: () => `\n  ${cmds.map(describeCmd).join('\n  ')}` })), (cmds) => {
          const report = runSequence(cmds, iommu);
          if (report) throw new Error(report);
        }),
        { numRuns: 150, seed: seed + (iommu ? 1 : 0), endOnFailure: false },
      );
    });
  }

  it('reach the interesting states (successful pins, maps, exchanges, revocations of pinned frames, refused bulk operands)', () => {
    // Its own pass over the generator (independent of the tests above, of their order and of -t).
    const tally: Tally = new Map();
    const samples = fc.sample(sequences, { numRuns: 250, seed: seed + 2 });
    let commands = 0;
    for (const cmds of samples) {
      commands += cmds.length;
      expect(runSequence(cmds, true, tally)).toBeUndefined();
    }
    console.log(`${commands} commands: ${[...tally.entries()].sort().map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const at = (k: string) => tally.get(k) ?? 0;
    // Floors: a quarter of the expected number of well-formed attempts. The state refuses
    // some of them (freed pages, pin and frame limits, pinned frames, a bank destroyed once
    // per sequence), at most about half here; the other half is slack for the sample's spread.
    for (const [key, p] of Object.entries(WELL_FORMED)) {
      const floor = Math.floor((commands * p) / 4);
      expect(floor, `${key}: too few attempts to mean anything`).toBeGreaterThanOrEqual(1);
      expect(at(key), `${key} (expected ${(commands * p).toFixed(1)} well-formed attempts)`).toBeGreaterThanOrEqual(floor);
    }
    // What follows from those: every issued DMA is at least one checked beat; a revoked or
    // destroyed page mapped at 0x1000 or 0x2000 clears at least one PTE; a revoked pinned page
    // is quarantined at least once in the pass.
    expect(at('dmaIssued')).toBeGreaterThanOrEqual(1);
    expect(at('dmaBeats')).toBeGreaterThanOrEqual(at('dmaIssued'));
    expect(at('revokedMappings')).toBeGreaterThanOrEqual(1);
    expect(at('quarantined')).toBeGreaterThanOrEqual(1);
    expect(at('exchange:busy') + at('unpin:ok')).toBeGreaterThanOrEqual(1);
  });

  it('the harness notices a broken invariant (a DMA into a frame nobody pinned)', () => {
    const { kernel, machine } = boot({ memoryBytes: 2 << 20 }, { reservedBytes: 1 << 20 });
    const page = kernel.allocPage(kernel.createBank(kernel.primeBank, 4));
    machine.dma.write('card', page.frame * 4096, new Uint8Array(4).fill(1));
    machine.runFor(1000);
    expect(kernel.checkInvariants()).not.toEqual([]);
  });
});
