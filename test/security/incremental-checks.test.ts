// The incremental invariant check (emulator/cli/scenario/incremental.ts) against the full one
// (checks.ts violations(w, true), the zero-before-reuse scan included): after EVERY event of
// long randomized runs of the composition they must return the same violations in the same
// order, both while everything holds and while violations exist. The runs mix traffic to
// both stacks (flip: pins, exchanges and remaps by the driver), kernel operations from the
// outside (a client's bank destroyed, its pages revoked or exchanged) and corruptions that
// only the checks can see: a read-only PTE poked writable (and restored), a stale TLB entry
// left in the MMU, a byte written into a free frame, a freed frame holding old bytes marked
// clean (as a kernel bug would: inside a kernel entry).
//
// That the agreement test would catch a checker that skips too much is shown, not argued:
// with one change signal ignored (UnsafeIncremental: TLB changes, the write journal, kernel
// entries) the same kind of run disagrees with the full check.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { IncrementalChecks, type UnsafeIncremental } from '../../emulator/cli/scenario/incremental.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { PTE_RW } from '../../emulator/machine/paging.js';
import { TLB_USER, TLB_WRITABLE } from '../../emulator/machine/tlb.js';
import type { Page } from '../../guest/kernel/pages.js';
import { pteAddress } from '../../guest/kernel/spaces.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { world, type World } from '../../emulator/cli/scenario/frame-world.js';

type Action =
  | { kind: 'traffic'; to: number; size: number }
  | { kind: 'destroy'; client: number }
  | { kind: 'revoke' | 'exchange'; client: number; pick: number }
  | { kind: 'pokePte' | 'restorePte'; client: number; pick: number }
  | { kind: 'staleTlb'; pick: number }
  | { kind: 'dirtyFree'; pick: number }
  | { kind: 'unmarkDirty'; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('traffic' as const), to: fc.integer({ min: 0, max: 1 }), size: fc.integer({ min: 60, max: 1400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroy' as const), client: fc.integer({ min: 0, max: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('revoke' as const, 'exchange' as const), client: fc.integer({ min: 0, max: 1 }), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('pokePte' as const, 'restorePte' as const), client: fc.integer({ min: 0, max: 1 }), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('staleTlb' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dirtyFree' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmarkDirty' as const), pick: fc.nat() }) },
);
/** Actions with the gap (cycles) run before each. */
const run = fc.array(fc.tuple(fc.integer({ min: 1, max: 60_000 }), action), { minLength: 4, maxLength: 14 });

const pagesOf = (w: World, client: number): Page[] => [...w.clients[client]!.bank.objects].filter((o): o is Page => o.kind === 'page' && o.live);
const nth = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

/** Apply one action from outside the run (between events, as a test or an adversary would). */
function apply(w: World, a: Action, traffic: (f: Uint8Array) => void): void {
  const k = w.kernel;
  const fr = k.state.frames;
  switch (a.kind) {
    case 'traffic':
      return traffic(ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(a.to), payload: new Uint8Array(a.size).fill(0x40 + a.size) }));
    case 'destroy':
      return k.destroy(w.clients[a.client]!.bank);
    case 'revoke': {
      const p = nth(pagesOf(w, a.client), a.pick);
      if (p) k.revoke(p);
      return;
    }
    case 'exchange': {
      const ps = pagesOf(w, a.client);
      const p = nth(ps, a.pick);
      const q = nth(ps, a.pick + 1);
      if (p && q && p !== q) k.exchange(p, q);
      return;
    }
    case 'pokePte':
    case 'restorePte': {
      // A PTE of the client's space or of its delegated receive region, its R/W bit set or cleared behind the kernel's back.
      const s = w.clients[a.client]!.space;
      const ms = [...s.tables.values()].flatMap((t) => [...t.mappings.values()]).filter((m) => a.kind === 'restorePte' || !m.writable);
      const m = nth(ms, a.pick);
      if (!m) return;
      const at = pteAddress(m.table, m.index);
      const pte = w.machine.memory.read32(at);
      w.machine.memory.write32(at, a.kind === 'pokePte' ? pte | PTE_RW : m.writable ? pte : pte & ~PTE_RW);
      return;
    }
    case 'staleTlb':
      // An entry the page tables never granted (or no longer grant), writable and user.
      w.machine.mmu.tlb.small.insert(0x40000 + (a.pick % 64), (a.pick % fr.state.length) * FRAME_SIZE, TLB_WRITABLE | TLB_USER);
      return;
    case 'dirtyFree': {
      const free = fr.state.flatMap((st, f) => (st === 'free' ? [f] : []));
      const f = nth(free, a.pick);
      if (f !== undefined) w.machine.memory.write8(f * FRAME_SIZE + (a.pick % FRAME_SIZE), 0xee);
      return;
    }
    case 'unmarkDirty': {
      // A kernel bug: a freed frame that holds old bytes marked clean (kernel records change only in kernel code).
      const dirty = fr.state.flatMap((st, f) => (st === 'free' && fr.dirty[f] === 1 && !k.state.hw.frameIsZero(f) ? [f] : []));
      const f = nth(dirty, a.pick);
      if (f !== undefined) w.machine.cpu.kernelEntry(() => (fr.dirty[f] = 0));
      return;
    }
  }
}

interface Outcome {
  /** Events compared, and of them those where the full check found violations. */
  events: number;
  withViolations: number;
  /** The first disagreement, if any. */
  disagreement: string | undefined;
}

/** Run `actions` on a fresh composition, comparing the incremental and the full check after every event. */
function agreement(actions: readonly [number, Action][], unsafe?: UnsafeIncremental): Outcome {
  const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2, memoryBytes: 4 << 20 });
  runUntilOpen(w);
  expect(w.clients.map((c) => c.probe.status)).toEqual(['open', 'open']);
  const peer = w.machine.eventSource('test-peer');
  const inc = new IncrementalChecks(w, unsafe);
  const out: Outcome = { events: 0, withViolations: 0, disagreement: undefined };
  const compare = () => {
    const full = violations(w, true);
    const got = inc.check();
    out.events++;
    if (full.length > 0) out.withViolations++;
    if (out.disagreement === undefined && JSON.stringify(got) !== JSON.stringify(full)) {
      out.disagreement = `at cycle ${w.machine.now} (${w.machine.cpu.mode}):\n  full:        ${full.join('\n               ')}\n  incremental: ${got.join('\n               ')}`;
    }
  };
  // After every event and every return from the kernel, as the explorer checks.
  w.machine.clock.afterEvent = compare;
  w.machine.cpu.afterKernelExit = compare;
  try {
    compare();
    for (const [gap, a] of actions) {
      w.machine.runFor(gap);
      apply(w, a, (f) => peer.at(w.machine.now + 1, () => w.peer.send(f)));
      compare();
      if (out.disagreement) break;
    }
    w.machine.runFor(200_000);
  } finally {
    w.machine.clock.afterEvent = undefined;
    w.machine.cpu.afterKernelExit = undefined;
  }
  return out;
}

describe('incremental invariant checks agree with the full check after every event', () => {
  it('on randomized runs: traffic, revocations, exchanges, and corruptions only the checks can see', () => {
    let events = 0;
    let withViolations = 0;
    fc.assert(
      fc.property(run, (actions) => {
        const o = agreement(actions);
        events += o.events;
        withViolations += o.withViolations;
        if (o.disagreement) throw new Error(o.disagreement);
      }),
      { seed: Number(process.env.FC_SEED ?? 20261201), numRuns: Number(process.env.FC_RUNS ?? 12) },
    );
    // The runs were long, and spent much of their time with violations present.
    expect(events).toBeGreaterThan(5_000);
    expect(withViolations).toBeGreaterThan(500);
    expect(withViolations).toBeLessThan(events);
  });

  it('on a clean run with traffic and a client destroying its bank mid-traffic: no violations, in agreement', () => {
    const traffic = (to: number): [number, Action] => [20_000, { kind: 'traffic', to, size: 1400 }];
    const o = agreement([traffic(0), traffic(1), [3_000, { kind: 'traffic', to: 0, size: 1400 }], [9_000, { kind: 'destroy', client: 0 }], traffic(1), traffic(1)]);
    expect(o.disagreement).toBeUndefined();
    expect(o.withViolations).toBe(0);
    expect(o.events).toBeGreaterThan(500);
  });

  // Each signal the checker relies on, ignored, with a run that needs it: the agreement test fails.
  const needs: [keyof UnsafeIncremental, [number, Action][]][] = [
    ['ignoreTlb', [[1_000, { kind: 'staleTlb', pick: 5 }]]],
    ['ignoreWrites', [[1_000, { kind: 'dirtyFree', pick: 3 }]]],
    ['ignoreWrites', [[1_000, { kind: 'pokePte', client: 1, pick: 0 }]]],
    ['ignoreKernelEntries', [[1_000, { kind: 'destroy', client: 0 }], [1_000, { kind: 'unmarkDirty', pick: 0 }]]],
  ];
  for (const [signal, actions] of needs) {
    it(`a checker that ignores ${signal.slice('ignore'.length)} is caught (${actions.map(([, a]) => a.kind).join(', ')})`, () => {
      expect(agreement(actions).disagreement).toBeUndefined();
      expect(agreement(actions, { [signal]: true }).disagreement).toMatch(/^at cycle/);
    });
  }
});
