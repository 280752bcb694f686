// Acceptance 4 (issue 4): random sequences of kernel operations from several domains, with
// hostile arguments, checking every invariant after every step. Three domains each hold a
// client bank (slot 0) and their own space (slot 3); domain 0 also holds the card's device
// privileges (slot 1). The harness adds what IPC would do (handing a capability from one
// domain to another) and what the card would do (DMA to the bus address of a live pin).
// Failures shrink to the shortest command list, printed one command per line.
//
// The seed is fixed so that the suite is deterministic; set FC_SEED to explore others.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DomainContext, Op } from '../../guest/kernel/api/context.js';
import { boot } from './helpers.js';

const DOMAINS = 3;
const OPS: Op[] = [
  'pin', 'pin', 'map', 'map', 'allocPage', 'allocSpace', 'allocBank', 'allocEndpoint', 'allocNotification', 'allocDomain', 'free', 'destroy', 'setLimit',
  'setPinLimit', 'query', 'revokePage', 'map', 'unmap', 'delegate', 'exchange', 'copy', 'drop', 'identify', 'signal', 'poll',
  'pin', 'unpin', 'in', 'out', 'wait', 'recv',
];

type Cmd =
  | { kind: 'invoke'; who: number; slot: unknown; op: Op; args: Record<string, unknown> }
  | { kind: 'give'; from: number; to: number; slot: number; dst: number }
  | { kind: 'touch'; who: number; va: number; write: boolean }
  | { kind: 'dma'; pick: number; offset: number; len: number };

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
    : ['map', 'unmap', 'delegate'].includes(op) ? fc.constantFrom(3, 3, 8, 9)
    : fc.integer({ min: 4, max: 11 });
  return fc.oneof({ weight: 4, arbitrary: usual }, { weight: 1, arbitrary: slot });
}
const DEVICE_OPS: Op[] = ['pin', 'unpin', 'in', 'out'];
const invoke = fc.constantFrom(...OPS).chain((op) => fc.record({
  kind: fc.constant('invoke' as const),
  who: DEVICE_OPS.includes(op) ? fc.constantFrom(0, 0, 0, 1) : who, // mostly the domain that holds the card
  slot: slotFor(op), op: fc.constant(op), args,
}));
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 10, arbitrary: invoke },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('give' as const), from: who, to: who, slot: fc.integer({ min: 0, max: 11 }), dst: fc.integer({ min: 4, max: 11 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('touch' as const), who, va: fc.constantFrom(...VAS), write: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dma' as const), pick: fc.nat(10), offset: fc.nat(4000), len: fc.integer({ min: 1, max: 600 }) }) },
);

/** The arguments each operation reads (the record carries all of them; a report shows these). */
const USES: Partial<Record<Op, string[]>> = {
  allocPage: ['dst'], allocSpace: ['dst'], allocEndpoint: ['dst'], allocNotification: ['dst'], allocBank: ['dst', 'limit'],
  allocDomain: ['dst', 'space'], free: ['target'], revokePage: ['target'], setLimit: ['limit'], setPinLimit: ['limit'],
  map: ['va', 'page', 'rights'], unmap: ['va'], delegate: ['va', 'bank', 'dst'], exchange: ['other'], copy: ['dst', 'rights', 'badge'],
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
  }
}

/** Outcomes of every invocation across all runs, to show the sequences reach deep states. */
const tally = new Map<string, number>();

/** Run one command sequence; returns a violation report, or undefined if every step kept every invariant. */
function runSequence(cmds: Cmd[], iommu: boolean): string | undefined {
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
          if (!c) { busy[i] = false; ctx.compute(200); yield; continue; }
          try {
            if (c.kind === 'invoke') {
              const a = c.op === 'allocDomain' ? { ...c.args, *body() {} } : c.args.token === 'last' ? { ...c.args, token: lastToken } : c.args;
              const r = yield* ctx.invoke(c.slot as number, c.op, a as never);
              if (c.op === 'pin' && r.ok) lastToken = (r.value as { token: number }).token;
              const key = `${c.op}:${r.ok ? 'ok' : r.error}`;
              tally.set(key, (tally.get(key) ?? 0) + 1);
            } else if (c.kind === 'touch') {
              if (c.write) ctx.store32(c.va, 0xc0ffee00 + i);
              else ctx.load32(c.va);
            }
          } catch (e) {
            if (!ctx.isFault(e)) crashes.push(`d${i}: ${String(e)}`);
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
        if (len > 0) machine.dma.write('card', t.frame * 4096 + c.offset, new Uint8Array(len).fill(0xd0));
      }
    } else {
      const i = c.kind === 'invoke' ? c.who : c.who;
      // Without an IOMMU the kernel trusts the driver to unpin only when the card is done: model that driver.
      if (c.kind === 'invoke' && c.op === 'unpin' && !iommu) while (!machine.dma.idle) machine.runFor(500);
      if (doms[i]!.state !== 'ready' && doms[i]!.state !== 'waiting') continue;
      busy[i] = true;
      queues[i]!.push(c);
      for (let n = 0; n < 100 && busy[i]; n++) machine.runFor(2000);
    }
    machine.runFor(300);
    const bad = [...kernel.checkInvariants(), ...crashes];
    if (bad.length > 0) return `after:\n  ${done.join('\n  ')}\nviolations:\n  ${bad.join('\n  ')}`;
  }
  while (!machine.dma.idle) machine.runFor(1000);
  for (const [key, n] of [['quarantined', kernel.counters.quarantined], ['revokedMappings', kernel.counters.revokedMappings], ['dmaBeats', kernel.counters.dmaBeatsChecked]] as const) {
    tally.set(key, (tally.get(key) ?? 0) + n);
  }
  const bad = [...kernel.checkInvariants(), ...crashes];
  return bad.length > 0 ? `at the end of:\n  ${done.join('\n  ')}\nviolations:\n  ${bad.join('\n  ')}` : undefined;
}

/** Floors for the tally, about a third of what the fixed seed reaches: a generator that stopped reaching them fails. */
const MIN = { pin: 12, map: 8, exchange: 2, destroy: 15, revokedMappings: 40, dmaBeats: 400 };

describe('kernel operations under random hostile sequences', () => {
  const seed = Number(process.env.FC_SEED ?? 0x4b45524e);
  for (const iommu of [false, true]) {
    it(`keep every invariant after every step (IOMMU ${iommu ? 'on' : 'off'})`, () => {
      fc.assert(
        fc.property(fc.array(cmd, { minLength: 1, maxLength: 40, size: 'max' }).map((cmds) => Object.defineProperty(cmds, fc.toStringMethod, { value: () => `\n  ${cmds.map(describeCmd).join('\n  ')}` })), (cmds) => {
          const report = runSequence(cmds, iommu);
          if (report) throw new Error(report);
        }),
        { numRuns: 150, seed: seed + (iommu ? 1 : 0), endOnFailure: false },
      );
    });
  }

  it('reached the interesting states (successful pins, maps, exchanges, revocations of pinned frames)', () => {
    console.log([...tally.entries()].sort().map(([k, v]) => `${k}=${v}`).join(' '));
    const at = (k: string) => tally.get(k) ?? 0;
    expect(at('pin:ok')).toBeGreaterThanOrEqual(MIN.pin);
    expect(at('map:ok')).toBeGreaterThanOrEqual(MIN.map);
    expect(at('exchange:ok')).toBeGreaterThanOrEqual(MIN.exchange);
    expect(at('exchange:busy') + at('unpin:ok')).toBeGreaterThanOrEqual(1);
    expect(at('destroy:ok')).toBeGreaterThanOrEqual(MIN.destroy);
    expect(at('quarantined')).toBeGreaterThanOrEqual(1);
    expect(at('revokedMappings')).toBeGreaterThanOrEqual(MIN.revokedMappings);
    expect(at('dmaBeats')).toBeGreaterThanOrEqual(MIN.dmaBeats);
  });

  it('the harness notices a broken invariant (a DMA into a frame nobody pinned)', () => {
    const { kernel, machine } = boot({ memoryBytes: 2 << 20 }, { reservedBytes: 1 << 20 });
    const page = kernel.allocPage(kernel.createBank(kernel.primeBank, 4));
    machine.dma.write('card', page.frame * 4096, new Uint8Array(4).fill(1));
    machine.runFor(1000);
    expect(kernel.checkInvariants()).not.toEqual([]);
  });
});
