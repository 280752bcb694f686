// Acceptance 2 and 3 (issue 4): revocation is complete, TLB included, and a frame revoked
// while pinned for DMA is quarantined, takes the remaining beats harmlessly, is given to
// nobody, and is zeroed and freed at its last unpin. The kernel's bus observer sees every beat.

import { describe, expect, it } from 'vitest';
import type { DmaBeat, DmaResult } from '../../emulator/machine/dma.js';
import type { Domain } from '../../guest/kernel/domains.js';
import type { Kernel } from '../../guest/kernel/kernel.js';
import { afterEveryEvent, boot, value } from './helpers.js';

/** A freed frame waits on the free list marked dirty: allocate() zeroes it before its next owner gets it (the test below). */
function expectZeroedWhenReused(kernel: Kernel, frame: number): void {
  expect(kernel.state.frames.state[frame]).toBe('free');
  expect(kernel.state.frames.dirty[frame]).toBe(1);
}

describe('zero before reuse (item 7)', () => {
  it('a freed frame keeps its bytes, marked dirty, until it is handed out again: then it is zero', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 10);
    const page = kernel.allocPage(bank);
    const frame = page.frame;
    machine.memory.fill(0x5a, frame * 4096, frame * 4096 + 4096);
    expect(kernel.free(bank, page).ok).toBe(true);
    expectZeroedWhenReused(kernel, frame);
    expect(kernel.state.hw.frameIsZero(frame)).toBe(false); // the destroy did not pay for zeroing
    kernel.assertInvariants(); // a dirty free frame is no violation
    const next = kernel.allocPage(bank); // the free list is a stack: the same frame
    expect(next.frame).toBe(frame);
    expect(kernel.state.hw.frameIsZero(frame)).toBe(true);
    expect(kernel.state.frames.dirty[frame]).toBe(0);
    kernel.assertInvariants();
  });
});

describe('revocation of a page mapped in three address spaces', () => {
  it('leaves no PTE and no TLB entry: afterwards no domain can read or write it', () => {
    const { kernel, machine } = boot();
    const owner = kernel.createBank(kernel.primeBank, 60);
    const others = kernel.createBank(kernel.primeBank, 60);
    const page = kernel.allocPage(owner);
    const VA = [0x00401000, 0x12345000, 0x7fff0000];
    const seen: string[][] = [[], [], []];
    let phase = 0; // 0: read and write the page; 1: try again after the revocation
    let readers = 0;
    let tlbBefore = false;
    let tlbAfter = true;
    const doms: Domain[] = [];
    for (let i = 0; i < 3; i++) {
      doms.push(kernel.spawn({ name: `d${i}`, bank: others, priority: 1, caps: i === 0 ? [kernel.cap(owner), kernel.cap(page)] : [], *body(ctx) {
        yield* ctx.store32(VA[i]!, 0x100 + i);
        seen[i]!.push(`read ${(yield* ctx.load32(VA[i]!)).toString(16)}`);
        readers++;
        if (i === 0) {
          while (readers < 3) yield;
          yield* ctx.load32(VA[0]!); // (the switches flushed the TLB: cache the translation again)
          // d0's translation is now cached in the TLB; it frees the page from inside its own space.
          tlbBefore = machine.mmu.tlb.holds(VA[0]!);
          value(yield* ctx.invoke(0, 'free', { target: 1 }));
          tlbAfter = machine.mmu.tlb.holds(VA[0]!);
          phase = 1;
        }
        while (phase === 0) yield;
        for (const access of ['read', 'write'] as const) {
          try {
            if (access === 'read') yield* ctx.load32(VA[i]!);
            else yield* ctx.store32(VA[i]!, 0xdead);
            seen[i]!.push(`${access} allowed`);
          } catch (e) {
            seen[i]!.push(`${access} faults (${ctx.isFault(e) ? e.errorCode : 'not a fault'})`);
          }
        }
      }}));
    }
    doms.forEach((d, i) => kernel.map(d.space, VA[i]!, page, true));
    const frame = page.frame;
    machine.runFor(3_000_000);
    expect(tlbBefore).toBe(true);
    expect(tlbAfter).toBe(false);
    // error codes: 4 = not present, user read; 6 = not present, user write
    expect(seen).toEqual([0, 1, 2].map((i) => [`read ${(0x100 + i).toString(16)}`, 'read faults (4)', 'write faults (6)']));
    expect(kernel.counters.revokedMappings).toBe(3);
    expectZeroedWhenReused(kernel, frame); // freed dirty, zeroed when it is handed out again
    expect(doms.map((d) => kernel.mappings(d.space))).toEqual([[], [], []]);
    kernel.assertInvariants();
  });

  it('the stale-TLB hazard is real: a PTE cleared without INVLPG still grants access (what revocation prevents)', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 60);
    const page = kernel.allocPage(bank);
    const got: string[] = [];
    const d = kernel.spawn({ name: 'd', bank, priority: 1, *body(ctx) {
      yield* ctx.store32(0x5000, 0x1234);
      // Someone who is not the kernel clears the PTE in memory and flushes nothing.
      const t = d.space.tables.get(0)!;
      machine.memory.write32(t.frame * 4096 + 5 * 4, 0);
      got.push(`stale read ${(yield* ctx.load32(0x5000)).toString(16)}`);
      machine.cpu.invlpg(0x5000);
      try { yield* ctx.load32(0x5000); } catch (e) { got.push(`after INVLPG: fault ${ctx.isFault(e) ? e.errorCode : '?'}`); }
    }});
    kernel.map(d.space, 0x5000, page, true);
    machine.runFor(1_000_000);
    expect(got).toEqual(['stale read 1234', 'after INVLPG: fault 4']);
  });
});

describe('revocation of a pinned page during a DMA write', () => {
  function scenario(iommu: boolean) {
    const { kernel, machine } = boot({ iommu, traceKeep: 100_000 });
    const client = kernel.createBank(kernel.primeBank, 200);
    const other = kernel.createBank(kernel.primeBank, 400);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, 9);
    const page = kernel.allocPage(client);
    // Map the page in 24 places so that the revocation walks many PTEs while DMA runs.
    const space = kernel.allocSpace(client);
    for (let i = 0; i < 24; i++) kernel.map(space, 0x100000 + i * 0x400000, page, true);
    const frame = page.frame;
    const pinned = value(kernel.pin(dp, page, 'from-device'));
    const beats: DmaBeat[] = [];
    machine.dma.observers.add((b) => beats.push(b));
    const data = new Uint8Array(1500).map((_, i) => (i * 7 + 1) & 0xff || 1);
    let result: DmaResult | undefined;
    machine.dma.write('card', pinned.bus + 100, data, (r) => (result = r));
    machine.runFor(400); // some beats land before the revocation
    const beforeRevoke = beats.length;
    const t0 = machine.now;
    expect(kernel.free(client, page).ok).toBe(true);
    const t1 = machine.now;
    const duringRevoke = beats.filter((b) => b.cycle > t0 && b.cycle <= t1).length;
    const stateAfterRevoke = kernel.state.frames.state[frame];
    machine.runFor(20_000); // the transfer completes
    // Nobody else gets the frame: allocate everything the other bank may have.
    const taken: number[] = [];
    for (;;) {
      const r = kernel.state.frames.freeCount > 0 && other.usage < other.limit ? kernel.allocPage(other) : undefined;
      if (!r) break;
      taken.push(r.frame);
    }
    const landed = machine.memory.bytes.slice(frame * 4096 + 100, frame * 4096 + 1600);
    const violationsBeforeUnpin = kernel.checkInvariants({ zeroScan: false });
    expect(kernel.unpin(dp, pinned.token).ok).toBe(true);
    return { kernel, machine, frame, beats, beforeRevoke, duringRevoke, stateAfterRevoke, result, taken, landed, data, violationsBeforeUnpin, dp, pinned, page };
  }

  for (const iommu of [false, true]) {
    it(`goes to quarantine, takes the remaining beats, is reallocated to nobody, zeroed and freed at unpin (IOMMU ${iommu ? 'on' : 'off'})`, () => {
      const s = scenario(iommu);
      expect(s.beforeRevoke).toBeGreaterThan(0);
      expect(s.duringRevoke).toBeGreaterThan(0); // DMA proceeded while the kernel revoked
      expect(s.stateAfterRevoke).toBe('quarantined');
      expect(s.result?.ok).toBe(true);
      expect(s.result?.transferred).toBe(1500);
      expect(s.beats.every((b) => b.phys >= s.frame * 4096 && b.phys + b.length <= (s.frame + 1) * 4096)).toBe(true);
      expect(s.beats.reduce((n, b) => n + b.length, 0)).toBe(1500);
      expect(s.kernel.counters.dmaBeatsChecked).toBe(s.beats.length);
      expect(s.kernel.state.busViolations).toEqual([]);
      expect([...s.landed]).toEqual([...s.data]); // harmless: in the quarantined frame, nowhere else
      expect(s.taken).not.toContain(s.frame);
      expect(s.taken.length).toBeGreaterThan(300);
      expect(s.violationsBeforeUnpin).toEqual([]);
      // At unpin: freed (dirty), and zeroed before its next owner gets it (checked at the end).
      expect(s.kernel.state.frames.state[s.frame]).toBe('free');
      expect(s.kernel.unpin(s.dp, s.pinned.token)).toEqual({ ok: false, error: 'bad-token' });
      expect(s.machine.iommu.mappings).toBe(0);
      expectZeroedWhenReused(s.kernel, s.frame);
      s.kernel.assertInvariants();
    });
  }

  it('with the IOMMU on, a DMA after the unpin is a bus error and lands nowhere', () => {
    const s = scenario(true);
    let r: DmaResult | undefined;
    const before = s.machine.memory.bytes.slice(s.frame * 4096, (s.frame + 1) * 4096);
    s.machine.dma.write('card', s.pinned.bus, new Uint8Array(64).fill(9), (x) => (r = x));
    s.machine.runFor(10_000);
    expect(r?.error).toBe('iommu-fault');
    expect(s.machine.memory.bytes.slice(s.frame * 4096, (s.frame + 1) * 4096)).toEqual(before); // nothing landed
    s.kernel.assertInvariants();
  });

  it('leaves its story in the trace (pin, revoke, quarantine between beats, unpin) and is deterministic', () => {
    const runs = [0, 1].map(() => scenario(false));
    expect(runs[0]!.machine.trace.hash()).toBe(runs[1]!.machine.trace.hash());
    const story = runs[0]!.machine.trace.entries().filter((e) => e.kind.startsWith('kernel.') || e.kind === 'dma.beat');
    const kinds = story.map((e) => e.kind).filter((k, i, all) => k !== all[i - 1]);
    expect(kinds).toEqual(['kernel.pin', 'dma.beat', 'kernel.revoke', 'dma.beat', 'kernel.quarantine', 'dma.beat', 'kernel.unpin']);
    const frame = runs[0]!.frame;
    expect(story.find((e) => e.kind === 'kernel.revoke')?.args).toEqual([frame, 24, 0]);
  });

  it('the bus observer reports a DMA write into an unpinned frame', () => {
    const { kernel, machine } = boot();
    const page = kernel.allocPage(kernel.createBank(kernel.primeBank, 10));
    machine.dma.write('rogue', page.frame * 4096, new Uint8Array(8).fill(1));
    machine.runFor(1000);
    expect(kernel.checkInvariants().some((v) => v.startsWith('1 dma:') && v.includes('not pinned'))).toBe(true);
  });

  it('revoking a pinned page keeps the page usable on a fresh frame while the old one stays quarantined', () => {
    const { kernel, machine } = boot();
    const bank = kernel.createBank(kernel.primeBank, 10);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const page = kernel.allocPage(bank);
    const old = page.frame;
    const p = value(kernel.pin(dp, page, 'from-device'));
    const version = page.version;
    expect(kernel.revoke(page).ok).toBe(true);
    expect(page.version).toBe(version + 1);
    expect(page.frame).not.toBe(old);
    expect(kernel.state.frames.state[old]).toBe('quarantined');
    machine.dma.write('card', p.bus, new Uint8Array(16).fill(3));
    machine.runFor(1000);
    expect(machine.memory.bytes[page.frame * 4096]).toBe(0);
    kernel.assertInvariants();
    kernel.unpin(dp, p.token);
    expect(kernel.state.frames.state[old]).toBe('free');
    kernel.assertInvariants();
  });
});


describe('invariants after every clock event (DESIGN.md §7)', () => {
  it('hold at every event of a long revocation from inside a domain, with DMA in flight, and of the bank\'s destruction', () => {
    const { kernel, machine } = boot({ iommu: true });
    const client = kernel.createBank(kernel.primeBank, 200, 8);
    const dp = kernel.devicePrivilege('card', 0x300, 0x20, -1);
    const page = kernel.allocPage(client);
    const other = kernel.allocPage(client);
    const space = kernel.allocSpace(client);
    // 48 mappings of the page, in 48 page tables: a revocation of many steps.
    const VAS = Array.from({ length: 48 }, (_, i) => 0x00400000 + i * 0x400000 + 0x1000);
    for (const va of VAS) kernel.map(space, va, page, true);
    kernel.map(space, 0x1000, other, true);
    const pins = [value(kernel.pin(dp, page, 'from-device')), value(kernel.pin(dp, other, 'to-device'))];
    let checks = 0;
    let insideKernel = 0;
    const violations: string[] = [];
    afterEveryEvent(machine, () => {
      const inside = machine.cpu.mode === 'supervisor';
      checks++;
      if (inside) insideKernel++;
      for (const v of kernel.checkInvariants({ zeroScan: false, insideKernel: inside })) violations.push(`cycle ${machine.now}${inside ? ' (in the kernel)' : ''}: ${v}`);
    });
    const beats: DmaBeat[] = [];
    machine.dma.observers.add((b) => beats.push(b));
    let revokeStart = 0;
    let revokeEnd = 0;
    kernel.spawn({ name: 'client', bank: client, space, priority: 1, caps: [kernel.cap(client), kernel.cap(page)], *body(ctx) {
      for (const va of VAS.slice(0, 8)) yield* ctx.load32(va); // its TLB holds some of the translations
      machine.dma.write('card', pins[0]!.bus, new Uint8Array(4096).fill(0x5a));
      machine.dma.read('card', pins[1]!.bus, 2048, () => {});
      yield* ctx.compute(300);
      yield;
      revokeStart = ctx.now();
      value(yield* ctx.invoke(0, 'revokePage', { target: 1 }));
      revokeEnd = ctx.now();
      for (;;) yield;
    }});
    machine.runFor(200_000);
    expect(revokeEnd).toBeGreaterThan(revokeStart);
    // DMA kept landing while the kernel revoked, and each of those events was checked.
    expect(beats.filter((b) => b.cycle > revokeStart && b.cycle < revokeEnd).length).toBeGreaterThan(0);
    machine.dma.write('card', pins[0]!.bus, new Uint8Array(4096).fill(0xa5));
    machine.runFor(100);
    kernel.destroy(client); // destruction too, with a DMA still in flight into the quarantined frame
    machine.runFor(100_000);
    for (const p of pins) value(kernel.unpin(dp, p.token));
    machine.runFor(10_000);
    expect(violations).toEqual([]);
    expect(insideKernel).toBeGreaterThan(20);
    expect(checks - insideKernel).toBeGreaterThan(20);
    kernel.assertInvariants();
  });

  it('the per-event check notices a violation at the event where it happens', () => {
    const { kernel, machine } = boot();
    const page = kernel.allocPage(kernel.createBank(kernel.primeBank, 4));
    const seenAt: number[] = [];
    afterEveryEvent(machine, () => {
      if (kernel.checkInvariants({ zeroScan: false, insideKernel: true }).length > 0 && seenAt.length === 0) seenAt.push(machine.now);
    });
    let firstBeat = -1;
    machine.dma.observers.add(() => (firstBeat = firstBeat < 0 ? machine.now : firstBeat));
    machine.dma.write('rogue', page.frame * 4096, new Uint8Array(64).fill(1));
    machine.runFor(10_000);
    expect(seenAt).toEqual([firstBeat]);
  });
});
