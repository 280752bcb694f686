// Acceptance 1 (issue 4): every kernel operation and every refusal, driven from inside
// domains through their contexts, with the invariants checked after each scenario.

import { describe, expect, it } from 'vitest';
import type { DomainContext, Op, Ops } from '../../guest/kernel/api/context.js';
import { R_READ } from '../../guest/kernel/caps.js';
import { SLOT_COUNT } from '../../guest/kernel/domains.js';
import { PTE_P, PTE_RW, PTE_US } from '../../emulator/machine/paging.js';
import { boot, errorOf, runDomain, value } from './helpers.js';

const RW = ['read', 'write'] as const;

describe('capabilities', () => {
  it('a void capability behaves exactly like the null capability for every operation, in the same cycles', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 200);
    const sample: { [K in Op]: Ops[K]['args'] } = {
      copy: { dst: 20 }, drop: {}, identify: {}, allocPage: { dst: 20 }, allocSpace: { dst: 20 }, allocBank: { dst: 20, limit: 5 },
      allocEndpoint: { dst: 20 }, allocNotification: { dst: 20 }, allocDomain: { dst: 20, space: 2, *body() {} }, free: { target: 2 },
      destroy: {}, setLimit: { limit: 9 }, setPinLimit: { limit: 9 }, query: {}, revokePage: { target: 2 },
      map: { va: 0x400000, page: 3, rights: ['read'] }, unmap: { va: 0x400000 }, delegate: { va: 0x800000, bank: 0, dst: 20 }, claim: { dst: 20 },
      exchange: { other: 3 }, call: { label: 1 }, send: { label: 1 }, recv: {}, signal: { bits: 1 }, wait: {}, poll: {},
      in: { port: 0x300, width: 1 }, out: { port: 0x300, value: 1, width: 1 }, bindIrq: { notification: 4, bits: 1 }, ackIrq: {},
      pin: { page: 3, dir: 'to-device' }, unpin: { token: 1 },
    };
    const results: string[] = [];
    runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      // Slot 1: a sub-bank; 2: a space; 3: a page; 4: a notification. Then void copies of each in 10..13.
      value(yield* ctx.invoke(0, 'allocBank', { dst: 1, limit: 10 }));
      value(yield* ctx.invoke(1, 'allocSpace', { dst: 2 }));
      value(yield* ctx.invoke(1, 'allocPage', { dst: 3 }));
      value(yield* ctx.invoke(1, 'allocNotification', { dst: 4 }));
      for (let s = 1; s <= 4; s++) value(yield* ctx.invoke(s, 'copy', { dst: 9 + s }));
      value(yield* ctx.invoke(1, 'destroy', {})); // voids 1..4 and so 10..13
      for (const op of Object.keys(sample) as Op[]) {
        for (const voidSlot of [10, 11, 12, 13]) {
          const t0 = ctx.now();
          const v = yield* ctx.invoke(voidSlot, op, sample[op] as never);
          const t1 = ctx.now();
          const n = yield* ctx.invoke(30, op, sample[op] as never); // slot 30 was never filled
          const t2 = ctx.now();
          results.push(`${op}: void=${errorOf(v)} null=${errorOf(n)} cycles ${t1 - t0 === t2 - t1 ? 'same' : `${t1 - t0} vs ${t2 - t1}`}`);
        }
      }
    });
    for (const r of results) {
      const op = r.split(':')[0];
      expect(r).toBe(op === 'drop' ? `${op}: void=ok null=ok cycles same` : `${op}: void=invalid-cap null=invalid-cap cycles same`);
    }
    expect(results).toHaveLength(Object.keys(sample).length * 4);
    kernel.assertInvariants();
  });

  it('copy diminishes rights and sets a badge only once; identify reports them', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 50);
    const ep = kernel.allocEndpoint(bank);
    const got: unknown[] = [];
    runDomain(kernel, bank, [kernel.cap(bank), kernel.cap(ep)], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocPage', { dst: 2 }));
      value(yield* ctx.invoke(2, 'copy', { dst: 3, rights: ['read'] }));
      got.push(value(yield* ctx.invoke(3, 'identify', {})));
      value(yield* ctx.invoke(3, 'copy', { dst: 4, rights: ['read', 'write'] })); // cannot regain write
      got.push(value(yield* ctx.invoke(4, 'identify', {})));
      value(yield* ctx.invoke(1, 'copy', { dst: 5, badge: 77 }));
      got.push(errorOf(yield* ctx.invoke(5, 'copy', { dst: 6, badge: 78 })));
      got.push(value(yield* ctx.invoke(5, 'identify', {})));
      got.push(errorOf(yield* ctx.invoke(2, 'copy', { dst: 6, rights: ['fly'] as never })));
    });
    expect(got).toEqual([
      { kind: 'page', rights: ['read'], badge: 0 },
      { kind: 'page', rights: ['read'], badge: 0 },
      'no-rights',
      { kind: 'endpoint', rights: ['read', 'write'], badge: 77 },
      'bad-arg',
    ]);
  });

  it('hostile arguments are refused with bad-arg, never an exception', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 50);
    const got: string[] = [];
    runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocSpace', { dst: 1 }));
      value(yield* ctx.invoke(0, 'allocPage', { dst: 2 }));
      const hostile: [number, string, unknown][] = [
        [-1, 'allocPage', { dst: 1 }], [ctx.constants.slots, 'allocPage', { dst: 1 }], [0.5, 'query', {}], [0, 'allocPage', { dst: 'x' }],
        [0, 'allocPage', null], [0, 'nonsense', {}], [1, 'map', { va: 0x1001, page: 2, rights: ['read'] }],
        [1, 'map', { va: 2 ** 32, page: 2, rights: ['read'] }], [1, 'map', { va: NaN, page: 2, rights: ['read'] }],
        [1, 'map', { va: 0x1000, page: 2, rights: 'rw' }], [1, 'map', { va: 0x1000, page: 2, rights: ['write'] }],
        [0, 'allocBank', { dst: 3, limit: -1 }], [0, 'allocBank', { dst: 3, limit: Infinity }], [0, 'setLimit', { limit: 1.5 }],
        [0, 'allocDomain', { dst: 3, space: 1, body: 42 }], [0, 'allocDomain', { dst: 3, space: 1, body: function* () {}, priority: 9 }],
      ];
      for (const [slot, op, args] of hostile) got.push(errorOf(yield* ctx.invoke(slot, op as Op, args as never)));
    });
    expect(got).toEqual(new Array(16).fill('bad-arg'));
    kernel.assertInvariants();
  });

  it('arguments are plain data: a getter, a proxy or a class instance is refused without any of its code running', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 50);
    const got: string[] = [];
    let ran = 0;
    const d = runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      const sly = { get dst() { return ran++ === 0 ? 5 : 1e9; } };
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', sly as never)));
      const trap = () => { ran++; return undefined; };
      const args = new Proxy({ dst: 5 }, { get: trap, getOwnPropertyDescriptor: trap, ownKeys: () => (ran++, []), getPrototypeOf: () => (ran++, null) });
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', args as never)));
      const words = new Proxy([1], { get: (t, k) => (ran++, k === 'length' ? 99 : Reflect.get(t, k)) });
      got.push(errorOf(yield* ctx.invoke(0, 'copy', { dst: 6, rights: words } as never)));
      class Args { dst = 5; }
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', new Args() as never)));
      const list = [1];
      Object.defineProperty(list, 0, { get: () => (ran++, 1), enumerable: true });
      got.push(errorOf(yield* ctx.invoke(0, 'copy', { dst: 6, rights: list } as never)));
      // A getter that is not enumerable is read as an argument too (and refused); one under a
      // symbol key is not an argument of any operation (ignored, never run).
      const hidden = Object.defineProperty({ dst: 8 }, 'extra', { get: () => (ran++, 5), enumerable: false });
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', hidden as never)));
      const tagged = Object.defineProperty({ dst: 7 }, Symbol('dst'), { get: () => (ran++, 5), enumerable: true });
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', tagged as never)));
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', { dst: 5 })));
    });
    expect(got).toEqual(['bad-arg', 'bad-arg', 'bad-arg', 'bad-arg', 'bad-arg', 'bad-arg', 'ok', 'ok']);
    expect(ran).toBe(0);
    expect(d.slots.length).toBe(SLOT_COUNT);
    expect(d.slots[5]?.obj.kind).toBe('page');
    expect(d.slots[7]?.obj.kind).toBe('page');
    expect(d.slots[6]).toBeNull();
    expect(d.slots[8]).toBeNull();
    kernel.assertInvariants();
  });
});

describe('space banks', () => {
  it('a limit exceeded at any ancestor refuses the allocation and changes nothing', () => {
    const { kernel } = boot();
    const a = kernel.createBank(kernel.primeBank, 8); // b and c take one frame each (their own state) + 6 pages
    const b = kernel.createBank(a, 100);
    const c = kernel.createBank(b, 100);
    const got: string[] = [];
    runDomain(kernel, kernel.createBank(kernel.primeBank, 10), [kernel.cap(c), kernel.cap(b)], function* (ctx) {
      for (let i = 0; i < 6; i++) value(yield* ctx.invoke(0, 'allocPage', { dst: 10 + i }));
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', { dst: 20 }))); // a (the grandparent) is full
      got.push(errorOf(yield* ctx.invoke(0, 'allocSpace', { dst: 20 })));
      got.push(errorOf(yield* ctx.invoke(1, 'allocNotification', { dst: 20 })));
      value(yield* ctx.invoke(0, 'free', { target: 10 }));
      value(yield* ctx.invoke(1, 'setLimit', { limit: 6 })); // now b (the parent: c's frame + 5 pages) is the binding one
      got.push(errorOf(yield* ctx.invoke(1, 'setLimit', { limit: 5 }))); // below usage
      got.push(errorOf(yield* ctx.invoke(0, 'allocPage', { dst: 20 })));
      got.push(JSON.stringify(value(yield* ctx.invoke(1, 'query', {}))));
    });
    expect(got).toEqual(['limit', 'limit', 'limit', 'limit', 'limit', JSON.stringify({ usage: 6, reserved: 0, limit: 6, pins: 0, pinLimit: 100 })]);
    expect([a.usage, b.usage, c.usage]).toEqual([7, 6, 5]);
    kernel.assertInvariants();
  });

  it('an opaque bank allocates for its holder but refuses destroy, free, limits and query; the owner destroys it all', () => {
    const { kernel } = boot();
    const client = kernel.createBank(kernel.primeBank, 40);
    const driverBank = kernel.createBank(kernel.primeBank, 40);
    const ep = kernel.allocEndpoint(driverBank);
    const got: string[] = [];
    // The client makes a sub-bank, hands an opaque copy to the driver over IPC.
    kernel.spawn({ name: 'client', bank: client, caps: [kernel.cap(client), kernel.cap(ep)], priority: 1, *body(ctx) {
      value(yield* ctx.invoke(0, 'allocBank', { dst: 2, limit: 8 }));
      value(yield* ctx.invoke(2, 'copy', { dst: 3, rights: [] }));
      value(yield* ctx.invoke(1, 'call', { label: 1, caps: [3] }));
      got.push(`client sees usage ${value(yield* ctx.invoke(2, 'query', {})).usage}`);
      value(yield* ctx.invoke(2, 'destroy', {}));
      yield* ctx.invoke(1, 'call', { label: 2 });
    }});
    kernel.spawn({ name: 'driver', bank: driverBank, caps: [kernel.cap(ep)], priority: 1, *body(ctx) {
      const m = value(yield* ctx.invoke(0, 'recv', { capSlots: [5] }));
      value(yield* ctx.invoke(5, 'allocPage', { dst: 6 }));
      value(yield* ctx.invoke(5, 'allocPage', { dst: 7 }));
      for (const op of ['destroy', 'setLimit', 'setPinLimit', 'query'] as const) got.push(`${op} ${errorOf(yield* ctx.invoke(5, op, { limit: 1 } as never))}`);
      got.push(`free ${errorOf(yield* ctx.invoke(5, 'free', { target: 6 }))}`);
      got.push(`revokePage ${errorOf(yield* ctx.invoke(5, 'revokePage', { target: 6 }))}`);
      yield* ctx.reply({ label: m.label });
      value(yield* ctx.invoke(0, 'recv', {}));
      got.push(`driver's page after destroy: ${errorOf(yield* ctx.invoke(6, 'identify', {}))}`);
    }});
    kernel.machine.runFor(3_000_000);
    expect(got).toEqual([
      'destroy no-rights', 'setLimit no-rights', 'setPinLimit no-rights', 'query no-rights', 'free no-rights', 'revokePage no-rights',
      'client sees usage 2', "driver's page after destroy: invalid-cap",
    ]);
    expect(driverBank.usage).toBe(3); // endpoint, the driver's domain and space: nothing of the client's
    kernel.assertInvariants();
  });

  it('freeing an object the bank did not allocate is refused (not-owner)', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const got: string[] = [];
    runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocBank', { dst: 1, limit: 10 }));
      value(yield* ctx.invoke(0, 'allocBank', { dst: 2, limit: 10 }));
      value(yield* ctx.invoke(1, 'allocPage', { dst: 3 }));
      got.push(errorOf(yield* ctx.invoke(2, 'free', { target: 3 }))); // a sibling's page
      got.push(errorOf(yield* ctx.invoke(0, 'free', { target: 3 }))); // the parent did not allocate it either
      got.push(errorOf(yield* ctx.invoke(1, 'free', { target: 3 })));
      got.push(errorOf(yield* ctx.invoke(3, 'identify', {})));
    });
    expect(got).toEqual(['not-owner', 'not-owner', 'ok', 'invalid-cap']);
    kernel.assertInvariants();
  });

  it('destroy rescinds everything from the bank and its sub-banks, including running domains', () => {
    const { kernel, machine } = boot();
    const parent = kernel.createBank(kernel.primeBank, 100);
    const sub = kernel.createBank(parent, 50);
    const subsub = kernel.createBank(sub, 50);
    let ticks = 0;
    const victim = kernel.spawn({ name: 'victim', bank: subsub, priority: 1, *body(ctx) {
      for (;;) { yield* ctx.compute(1000); ticks++; yield; }
    }});
    const page = kernel.allocPage(subsub);
    kernel.map(victim.space, 0x10000, page, true);
    machine.runFor(200_000);
    const before = ticks;
    expect(before).toBeGreaterThan(0);
    kernel.destroy(sub);
    machine.runFor(200_000);
    expect(ticks).toBe(before);
    expect([victim.state, page.live, sub.live, subsub.live, parent.usage]).toEqual(['stopped', false, false, false, 0]);
    kernel.assertInvariants();
  });
});

describe('address spaces', () => {
  it('a read-only capability maps with R/W clear, and a user write faults to the keeper as a message', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const keeperEp = kernel.allocEndpoint(bank);
    const page = kernel.allocPage(bank);
    const faulty = kernel.allocSpace(bank);
    const got: unknown[] = [];
    // Map through a read-only capability while asking for read-write: the PTE must say read-only.
    runDomain(kernel, bank, [kernel.cap(faulty), kernel.cap(page, R_READ)], function* (ctx) {
      value(yield* ctx.invoke(0, 'map', { va: 0x5000, page: 1, rights: RW }));
    });
    const pte = machine.memory.read32(faulty.tables.get(0)!.frame * 4096 + 5 * 4);
    expect(pte & (PTE_P | PTE_RW | PTE_US)).toBe(PTE_P | PTE_US);
    kernel.spawn({ name: 'keeper', bank, priority: 2, caps: [kernel.cap(keeperEp)], *body(ctx) {
      got.push(value(yield* ctx.invoke(0, 'recv', {})));
    }});
    const d = kernel.spawn({ name: 'faulty', bank, space: faulty, priority: 1, keeper: kernel.cap(keeperEp, undefined, 0xbeef), *body(ctx) {
      got.push(yield* ctx.load32(0x5000));
      yield* ctx.store32(0x5000, 1);
      got.push('not reached');
    }});
    machine.runFor(1_000_000);
    expect(d.state).toBe('faulted');
    // error code 7: protection, write, user
    expect(got).toEqual([0, { label: 0xfa17, words: [0x5000, 7], badge: 0xbeef, caps: [] }]);
    kernel.assertInvariants();
  });

  it('a domain that catches a fault aborts just that access and goes on', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const got: string[] = [];
    runDomain(kernel, bank, [], function* (ctx) {
      try {
        yield* ctx.store8(0x7000, 1);
      } catch (e) {
        got.push(ctx.isFault(e) ? `fault 0x${e.linear.toString(16)} code ${e.errorCode}` : 'other');
      }
      got.push('still running');
    });
    expect(got).toEqual(['fault 0x7000 code 6', 'still running']);
  });

  it('map, unmap and remap through the domain\'s own space, with page tables paid by the space\'s bank', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const got: unknown[] = [];
    const d = runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocPage', { dst: 1 }));
      value(yield* ctx.invoke(0, 'allocSpace', { dst: 2 }));
      const before = value(yield* ctx.invoke(0, 'query', {})).usage;
      value(yield* ctx.invoke(2, 'map', { va: 0x00c00000, page: 1, rights: RW }));
      got.push(value(yield* ctx.invoke(0, 'query', {})).usage - before); // the page table
      value(yield* ctx.invoke(2, 'map', { va: 0x00c01000, page: 1, rights: ['read'] }));
      got.push(value(yield* ctx.invoke(0, 'query', {})).usage - before);
      value(yield* ctx.invoke(2, 'unmap', { va: 0x00c00000 }));
      value(yield* ctx.invoke(2, 'unmap', { va: 0x00c00000 })); // unmapping nothing is fine
    });
    expect(got).toEqual([1, 1]);
    const space = d.slots[2]!.obj as import('../../guest/kernel/spaces.js').Space;
    expect(kernel.mappings(space)).toEqual([{ va: 0x00c01000, frame: expect.any(Number), writable: false }]);
    kernel.assertInvariants();
  });

  it('a delegated 4 MiB region is built by another domain, paid by the owner, and read-only where it says so', () => {
    const { kernel, machine } = boot();
    const owner = kernel.createBank(kernel.primeBank, 40);
    const builderBank = kernel.createBank(kernel.primeBank, 40);
    const ep = kernel.allocEndpoint(builderBank);
    const got: string[] = [];
    const REGION = 0x40000000;
    kernel.spawn({ name: 'builder', bank: builderBank, caps: [kernel.cap(ep)], priority: 2, *body(ctx) {
      value(yield* ctx.invoke(0, 'recv', { capSlots: [1, 2] })); // region, opaque bank
      value(yield* ctx.invoke(2, 'allocPage', { dst: 3 }));
      value(yield* ctx.invoke(1, 'map', { va: REGION + 0x3000, page: 3, rights: ['read'] }));
      got.push(`outside region: ${errorOf(yield* ctx.invoke(1, 'map', { va: REGION + 0x400000, page: 3, rights: ['read'] }))}`);
      yield* ctx.reply({ label: 0 });
    }});
    const stack = kernel.spawn({ name: 'stack', bank: owner, caps: [kernel.cap(owner), kernel.cap(ep)], priority: 1, *body(ctx) {
      const space = 2;
      value(yield* ctx.invoke(0, 'copy', { dst: 5, rights: [] }));
      value(yield* ctx.invoke(0, 'allocPage', { dst: 6 }));
      // slot 2 = own space capability, given by the test below
      value(yield* ctx.invoke(space, 'delegate', { va: REGION, bank: 0, dst: 4 }));
      got.push(`usage ${value(yield* ctx.invoke(0, 'query', {})).usage}`);
      value(yield* ctx.invoke(1, 'call', { label: 1, caps: [4, 5] }));
      got.push(`usage ${value(yield* ctx.invoke(0, 'query', {})).usage}`);
      got.push(`owner maps there: ${errorOf(yield* ctx.invoke(space, 'map', { va: REGION, page: 6, rights: ['read'] }))}`);
      got.push(`owner unmaps there: ${errorOf(yield* ctx.invoke(space, 'unmap', { va: REGION + 0x3000 }))}`);
      got.push(`reads ${yield* ctx.load32(REGION + 0x3000)}`);
      try { yield* ctx.store32(REGION + 0x3000, 5); } catch (e) { got.push(ctx.isFault(e) ? `write faults (${e.errorCode})` : 'odd'); }
    }});
    stack.slots[2] = kernel.cap(stack.space);
    machine.runFor(2_000_000);
    // usage: domain + space directory + page, then + region table, then + the builder's page
    expect(got).toEqual([
      'usage 4', 'outside region: bad-arg', 'usage 5', 'owner maps there: delegated', 'owner unmaps there: delegated', 'reads 0', 'write faults (7)',
    ]);
    expect(builderBank.usage).toBe(3); // endpoint, the builder's domain and space: not the region or its page
    kernel.assertInvariants();
  });
});

describe('claim', () => {
  it('claiming a region voids every other capability to it, unmaps what was in it, and gives the claimer a fresh one', () => {
    const { kernel } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const REGION = 0x40000000;
    const got: unknown[] = [];
    const d = runDomain(kernel, bank, [kernel.cap(bank), null], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocPage', { dst: 2 }));
      value(yield* ctx.invoke(1, 'delegate', { va: REGION, bank: 0, dst: 3 }));
      value(yield* ctx.invoke(3, 'copy', { dst: 4 })); // the copy a delegating domain might keep
      value(yield* ctx.invoke(3, 'copy', { dst: 5, rights: [] })); // one without the write right
      value(yield* ctx.invoke(4, 'map', { va: REGION + 0x1000, page: 2, rights: ['read', 'write'] }));
      got.push(errorOf(yield* ctx.invoke(5, 'claim', { dst: 6 })));
      got.push(errorOf(yield* ctx.invoke(3, 'claim', { dst: 256 })));
      got.push(errorOf(yield* ctx.invoke(1, 'claim', { dst: 6 }))); // a space is not a region
      const t0 = ctx.now();
      value(yield* ctx.invoke(3, 'claim', { dst: 6 }));
      got.push(ctx.now() > t0);
      for (const slot of [3, 4, 5]) got.push(errorOf(yield* ctx.invoke(slot, 'map', { va: REGION, page: 2, rights: ['read'] })));
      got.push(errorOf(yield* ctx.invoke(4, 'claim', { dst: 7 }))); // the first claim wins
      got.push(value(yield* ctx.invoke(6, 'identify', {})));
      value(yield* ctx.invoke(6, 'map', { va: REGION + 0x2000, page: 2, rights: ['read'] }));
    }, undefined, (dom) => (dom.slots[1] = kernel.cap(dom.space))); // slot 1: its own space
    expect(got).toEqual(['no-rights', 'bad-arg', 'invalid-cap', true, 'invalid-cap', 'invalid-cap', 'invalid-cap', 'invalid-cap', { kind: 'region', rights: ['write'], badge: 0 }]);
    // The page mapped through the kept copy is gone; only the claimer's mapping is there.
    expect(kernel.mappings(d.space).map((m) => [m.va, m.writable])).toEqual([[REGION + 0x2000, false]]);
    kernel.assertInvariants();
  });
});

describe('pin, unpin and exchange', () => {
  function setup() {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40, 3);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, 9);
    return { kernel, machine, bank, dp };
  }

  it('pin returns a bus address and a single-use token; double unpin is bad-token; pins are limited per bank', () => {
    const { kernel, bank, dp } = setup();
    const got: unknown[] = [];
    runDomain(kernel, bank, [kernel.cap(bank), kernel.cap(dp)], function* (ctx) {
      for (let i = 0; i < 4; i++) value(yield* ctx.invoke(0, 'allocPage', { dst: 2 + i }));
      value(yield* ctx.invoke(2, 'copy', { dst: 9, rights: ['read'] }));
      got.push(errorOf(yield* ctx.invoke(1, 'pin', { page: 9, dir: 'from-device' }))); // device writes need a write cap
      const a = value(yield* ctx.invoke(1, 'pin', { page: 2, dir: 'from-device' }));
      got.push(a.bus % 4096);
      value(yield* ctx.invoke(1, 'pin', { page: 3, dir: 'to-device' }));
      value(yield* ctx.invoke(1, 'pin', { page: 9, dir: 'to-device' }));
      got.push(errorOf(yield* ctx.invoke(1, 'pin', { page: 4, dir: 'to-device' }))); // pin limit 3
      got.push(value(yield* ctx.invoke(0, 'query', {})).pins);
      got.push(errorOf(yield* ctx.invoke(1, 'unpin', { token: a.token })));
      got.push(errorOf(yield* ctx.invoke(1, 'unpin', { token: a.token })));
      got.push(errorOf(yield* ctx.invoke(1, 'unpin', { token: -3 })));
      got.push(value(yield* ctx.invoke(0, 'query', {})).pins);
    });
    expect(got).toEqual(['no-rights', 0, 'limit', 3, 'ok', 'bad-token', 'bad-token', 2]);
    kernel.assertInvariants();
  });

  it('exchange swaps frames and clears every mapping of both; refused (busy) while either is pinned', () => {
    const { kernel, bank, dp } = setup();
    const got: unknown[] = [];
    runDomain(kernel, bank, [kernel.cap(bank), kernel.cap(dp), kernel.cap(kernel.allocSpace(bank))], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocPage', { dst: 3 }));
      value(yield* ctx.invoke(0, 'allocPage', { dst: 4 }));
      value(yield* ctx.invoke(3, 'copy', { dst: 5, rights: ['read'] }));
      got.push(errorOf(yield* ctx.invoke(5, 'exchange', { other: 4 }))); // read-only cap
      const p = value(yield* ctx.invoke(1, 'pin', { page: 4, dir: 'from-device' }));
      got.push(errorOf(yield* ctx.invoke(3, 'exchange', { other: 4 })));
      value(yield* ctx.invoke(1, 'unpin', { token: p.token }));
      got.push(errorOf(yield* ctx.invoke(3, 'exchange', { other: 4 })));
    });
    expect(got).toEqual(['no-rights', 'busy', 'ok']);
    kernel.assertInvariants();
  });

  it('exchange moves contents between pages as seen through fresh mappings', () => {
    const { kernel, bank } = setup();
    const got: unknown[] = [];
    const d = runDomain(kernel, bank, [kernel.cap(bank)], function* (ctx) {
      value(yield* ctx.invoke(0, 'allocPage', { dst: 3 }));
      value(yield* ctx.invoke(0, 'allocPage', { dst: 4 }));
      // slot 2 = own space (set below before it runs)
      value(yield* ctx.invoke(2, 'map', { va: 0x1000, page: 3, rights: RW }));
      value(yield* ctx.invoke(2, 'map', { va: 0x2000, page: 4, rights: RW }));
      yield* ctx.store32(0x1000, 0xaaaa);
      yield* ctx.store32(0x2000, 0xbbbb);
      value(yield* ctx.invoke(3, 'exchange', { other: 4 }));
      try { yield* ctx.load32(0x1000); } catch (e) { got.push(ctx.isFault(e) ? 'unmapped' : 'odd'); }
      value(yield* ctx.invoke(2, 'map', { va: 0x1000, page: 3, rights: RW }));
      value(yield* ctx.invoke(2, 'map', { va: 0x2000, page: 4, rights: RW }));
      got.push((yield* ctx.load32(0x1000)).toString(16), (yield* ctx.load32(0x2000)).toString(16));
    }, 5_000_000, (dd) => (dd.slots[2] = kernel.cap(dd.space)));
    expect(got).toEqual(['unmapped', 'bbbb', 'aaaa']);
    expect(d.state).toBe('exited');
    kernel.assertInvariants();
  });
});

describe('IPC, notifications, interrupts, ports', () => {
  it('call/reply carries words and capabilities with the sender\'s badge; send waits for a receiver', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const ep = kernel.allocEndpoint(bank);
    const got: unknown[] = [];
    kernel.spawn({ name: 'server', bank, caps: [kernel.cap(ep)], priority: 1, *body(ctx) {
      const m = value(yield* ctx.invoke(0, 'recv', { capSlots: [7] }));
      got.push(m, value(yield* ctx.invoke(7, 'identify', {})).kind);
      value(yield* ctx.reply({ label: 9, words: [m.words[0]! * 2], caps: [7] }));
      got.push(value(yield* ctx.invoke(0, 'recv', {})).label);
      got.push(errorOf(yield* ctx.reply({ label: 1 })));
    }});
    kernel.spawn({ name: 'client', bank, caps: [kernel.cap(bank), kernel.cap(ep, undefined, 42)], priority: 1, *body(ctx) {
      value(yield* ctx.invoke(0, 'allocNotification', { dst: 2 }));
      const r = value(yield* ctx.invoke(1, 'call', { label: 5, words: [21, 0xffffffff], caps: [2], capSlots: [3] }));
      got.push(r);
      value(yield* ctx.invoke(1, 'send', { label: 6 }));
      got.push(errorOf(yield* ctx.invoke(1, 'call', { label: 1, words: [1, 2, 3, 4, 5] })));
    }});
    machine.runFor(2_000_000);
    expect(got).toEqual([
      { label: 5, words: [21, 0xffffffff], badge: 42, caps: [7] }, 'notification',
      // the send finds the server waiting, so the client runs on to its bad call before the server reports
      { label: 9, words: [42], badge: 0, caps: [3] }, 'bad-arg', 6, 'no-caller',
    ]);
  });

  it('an IRQ reaches the holder of its capability as notification bits, masked until acknowledged; ports are checked', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, 9);
    const n = kernel.allocNotification(bank);
    const got: unknown[] = [];
    const d = kernel.spawn({ name: 'driver', bank, caps: [kernel.cap(dp), kernel.cap(n)], priority: 3, *body(ctx) {
      value(yield* ctx.invoke(0, 'bindIrq', { notification: 1, bits: 0x10 }));
      got.push(errorOf(yield* ctx.invoke(0, 'in', { port: 0x31f, width: 2 }))); // crosses the end of the range
      got.push(errorOf(yield* ctx.invoke(0, 'out', { port: 0x2ff, value: 1, width: 1 })));
      got.push(value(yield* ctx.invoke(0, 'in', { port: 0x31e, width: 2 }))); // nothing claims it: all ones
      for (let i = 0; i < 2; i++) {
        got.push([value(yield* ctx.invoke(1, 'wait', {})), ctx.now() >= 500_000 * (i + 1)]);
        value(yield* ctx.invoke(0, 'ackIrq', {}));
      }
    }});
    // The 8259 is edge-triggered and withdraws a request whose line falls before INTA.
    const card = machine.eventSource('test-card');
    card.at(500_000, () => machine.irq(9).raise());
    card.at(700_000, () => machine.irq(9).lower());
    card.at(1_000_000, () => machine.irq(9).raise());
    machine.runFor(2_000_000);
    expect(got).toEqual(['bad-arg', 'bad-arg', 0xffff, [0x10, true], [0x10, true]]);
    expect(d.state).toBe('exited');
  });
});

describe('waiting for several things', () => {
  it('recv with a notification returns for an IRQ or a call, whichever comes first (the driver\'s loop)', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, 10);
    const ep = kernel.allocEndpoint(bank);
    const n = kernel.allocNotification(bank);
    const got: string[] = [];
    kernel.spawn({ name: 'driver', bank, priority: 2, caps: [kernel.cap(dp), kernel.cap(ep), kernel.cap(n)], *body(ctx) {
      value(yield* ctx.invoke(0, 'bindIrq', { notification: 2, bits: 1 }));
      for (let i = 0; i < 3; i++) {
        const m = value(yield* ctx.invoke(1, 'recv', { notification: 2 }));
        if (m.label === ctx.constants.notifyLabel) {
          got.push(`irq bits ${m.words[0]} at ${ctx.now() >= 300_000 ? 'after' : 'before'} 300000`);
          value(yield* ctx.invoke(0, 'ackIrq', {}));
        } else {
          got.push(`call from ${m.badge}`);
          value(yield* ctx.reply({ label: 0 }));
        }
      }
    }});
    kernel.spawn({ name: 'stack', bank, priority: 1, caps: [kernel.cap(ep, undefined, 5)], *body(ctx) {
      value(yield* ctx.invoke(0, 'call', { label: 1 }));
      yield* ctx.compute(500_000);
      yield;
      value(yield* ctx.invoke(0, 'call', { label: 1 }));
    }});
    machine.eventSource('test-card').at(300_000, () => machine.irq(10).raise());
    machine.runFor(2_000_000);
    expect(got).toEqual(['call from 5', 'irq bits 1 at after 300000', 'call from 5']);
    kernel.assertInvariants();
  });

  it('wait and recv time out at the exact cycle; a wake before the deadline cancels it', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const ep = kernel.allocEndpoint(bank);
    const n = kernel.allocNotification(bank);
    const got: unknown[] = [];
    kernel.spawn({ name: 'sleeper', bank, priority: 1, caps: [kernel.cap(ep), kernel.cap(n)], *body(ctx) {
      let t = ctx.now();
      got.push(value(yield* ctx.invoke(1, 'wait', { timeout: 50_000 })), ctx.now() - t >= 50_000);
      t = ctx.now();
      got.push(errorOf(yield* ctx.invoke(0, 'recv', { timeout: 10_000 })), ctx.now() - t >= 10_000);
      got.push(value(yield* ctx.invoke(1, 'wait', { timeout: 10_000_000 })));
      got.push(errorOf(yield* ctx.invoke(1, 'wait', { timeout: 0 })));
      got.push(value(yield* ctx.invoke(0, 'recv', { timeout: 1_000_000 })).label);
    }});
    kernel.spawn({ name: 'poker', bank, priority: 1, caps: [kernel.cap(ep), kernel.cap(n)], *body(ctx) {
      yield* ctx.compute(200_000);
      yield;
      value(yield* ctx.invoke(1, 'signal', { bits: 6 }));
      yield* ctx.compute(200_000);
      yield;
      value(yield* ctx.invoke(0, 'send', { label: 33 }));
    }});
    machine.runFor(3_000_000);
    expect(got).toEqual([0, true, 'timeout', true, 6, 'bad-arg', 33]);
    kernel.assertInvariants();
  });
});

describe('scheduling', () => {
  it('the timer preempts: equal priorities share the CPU round-robin, each switch writes CR3 and refills the TLB', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const counts = [0, 0];
    const spin = (i: number) => function* (ctx: DomainContext) {
      for (;;) { yield* ctx.load32(0x1000); yield* ctx.compute(200); counts[i]!++; yield; }
    };
    const doms = [0, 1].map((i) => kernel.spawn({ name: `spin${i}`, bank, priority: 1, body: spin(i) }));
    for (const d of doms) kernel.map(d.space, 0x1000, kernel.allocPage(bank), true);
    const misses0 = machine.mmu.tlb.misses;
    machine.runFor(133_000 * 20); // 20 ticks at 1 kHz
    expect(kernel.counters.ticks).toBeGreaterThanOrEqual(19);
    expect(kernel.counters.switches).toBeGreaterThanOrEqual(19);
    expect(Math.abs(counts[0]! - counts[1]!) / (counts[0]! + counts[1]!)).toBeLessThan(0.1);
    expect(machine.mmu.tlb.misses - misses0).toBeGreaterThanOrEqual(kernel.counters.switches);
  });

  it('a higher priority runs whenever it is ready, and a lower one only when it waits', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    const n = kernel.allocNotification(bank);
    let low = 0;
    let high = 0;
    let lowWhileHighRan = -1;
    kernel.spawn({ name: 'low', bank, priority: 1, *body(ctx) { for (;;) { yield* ctx.compute(100); low++; yield; } } });
    kernel.spawn({ name: 'high', bank, priority: 5, caps: [kernel.cap(n)], *body(ctx) {
      for (let i = 0; i < 300; i++) { yield* ctx.compute(1000); high++; yield; }
      lowWhileHighRan = low;
      yield* ctx.invoke(0, 'wait', {});
    }});
    machine.runFor(400_000);
    expect(high).toBe(300);
    expect(lowWhileHighRan).toBe(0);
    expect(low).toBeGreaterThan(100);
  });

  it('a domain spinning on bare preemption points cannot stop the clock or keep its peers from running', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 40);
    let peer = 0;
    kernel.spawn({ name: 'hog', bank, priority: 1, *body() { for (;;) yield; } });
    kernel.spawn({ name: 'peer', bank, priority: 1, *body(ctx) { for (;;) { yield* ctx.compute(100); peer++; yield; } } });
    machine.runFor(1_000_000);
    expect(machine.now).toBeGreaterThanOrEqual(1_000_000);
    expect(peer).toBeGreaterThan(1000);
  });
});
