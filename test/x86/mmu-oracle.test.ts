// v86 as the oracle for our paging unit (DESIGN.md §7, HARDWARE.md §2; issue 6 acceptance 2).
// Random page directories and tables (4 KiB and 4 MiB pages, present and absent entries,
// U/S and R/W mixes, CR0.WP and CR4.PSE on and off) are loaded into v86's RAM and into ours;
// for every random (address, write, user) access both translate, and we compare the
// physical address or the fault (error code and CR2) and the A/D bits the walk left in the
// entries it used, then the whole of RAM at the end of each set-up.
//
// Two runs: one empties both TLBs before every access (every access is a fresh walk), one
// keeps them (hits must not set A/D again, and cached rights must be honoured). Every
// disagreement must be one of the two documented v86 deviations from the Intel SDM, each
// pinned by its own test below; anything else fails, printing the seed to replay.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataCache } from '../../emulator/machine/cache.js';
import { DEFAULT_COSTS } from '../../emulator/machine/costs.js';
import { PhysicalMemory } from '../../emulator/machine/memory.js';
import { Mmu, TRANSLATION_FAULT } from '../../emulator/machine/mmu.js';
import {
  CR0_PG, CR0_WP, CR4_PSE, PDE_PS, PF_P, PF_RSVD, PF_U, PF_W, PTE_FRAME_MASK, PTE_P, PTE_RW, PTE_US,
} from '../../emulator/machine/paging.js';
import { Prng } from '../../emulator/machine/prng.js';
import { V86PagingProbe, type ProbeResult } from '../../emulator/platforms/v86/paging-probe.js';
import { randomScenario, SCENARIO_RAM, type Scenario } from './paging-scenarios.js';

const SEED = Number(process.env.MMU_ORACLE_SEED ?? 6);
const SCENARIOS = 48;
const ACCESSES_PER_SCENARIO = 250;
/** Share of 4 MiB entries given a reserved bit (deviation 1), low so most cases compare fully. */
const RESERVED_RATE = 0.05;

type Outcome = ProbeResult;

interface Tally {
  cases: number;
  translated: number;
  notPresent: number;
  protection: number;
  reserved: number;
  explainedReserved: number;
  explainedWpTlb: number;
  unexplained: string[];
}

let probe: V86PagingProbe;
beforeAll(async () => {
  probe = await V86PagingProbe.start(SCENARIO_RAM);
});
afterAll(async () => {
  await probe.destroy();
});

function ours(mmu: Mmu, va: number, write: boolean, user: boolean): Outcome {
  const pa = mmu.translate(va, write, user);
  if (pa === TRANSLATION_FAULT) return { fault: true, code: mmu.faultCode, cr2: mmu.cr2 };
  return { fault: false, phys: pa };
}

function show(o: Outcome): string {
  return o.fault ? `fault code ${o.code} cr2 0x${o.cr2.toString(16)}` : `phys 0x${o.phys.toString(16)}`;
}

function same(a: Outcome, b: Outcome): boolean {
  if (a.fault !== b.fault) return false;
  if (a.fault && b.fault) return a.code === b.code && a.cr2 === b.cr2;
  return !a.fault && !b.fault && a.phys === b.phys;
}

/** Addresses of the PDE and (for a 4 KiB mapping) the PTE a walk of `va` reads, from `mem`. */
function entryAddresses(mem: PhysicalMemory, s: Scenario, va: number): number[] {
  const pdeAddr = s.cr3 + (va >>> 22) * 4;
  const pde = mem.read32(pdeAddr);
  if ((pde & PTE_P) === 0 || ((pde & PDE_PS) !== 0 && (s.cr4 & CR4_PSE) !== 0)) return [pdeAddr];
  const pteAddr = (pde & PTE_FRAME_MASK) + ((va >>> 12) & 0x3ff) * 4;
  return mem.contains(pteAddr, 4) ? [pdeAddr, pteAddr] : [pdeAddr];
}

/** Effective U/S and R/W of the mapping of `va` (AND of both levels), from `mem`. */
function rights(mem: PhysicalMemory, s: Scenario, va: number): { user: boolean; writable: boolean } {
  let bits = PTE_US | PTE_RW;
  for (const a of entryAddresses(mem, s, va)) bits &= mem.read32(a);
  return { user: (bits & PTE_US) !== 0, writable: (bits & PTE_RW) !== 0 };
}

function compare(seed: number, flushEveryAccess: boolean): Tally {
  const rng = new Prng(seed, flushEveryAccess ? 'mmu-oracle.walk' : 'mmu-oracle.tlb');
  const mem = new PhysicalMemory(SCENARIO_RAM);
  const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
  const theirs = probe.ram();
  const t: Tally = { cases: 0, translated: 0, notPresent: 0, protection: 0, reserved: 0, explainedReserved: 0, explainedWpTlb: 0, unexplained: [] };
  const word = (bytes: Uint8Array, a: number) => (bytes[a]! | (bytes[a + 1]! << 8) | (bytes[a + 2]! << 16) | (bytes[a + 3]! << 24)) >>> 0;

  for (let n = 0; n < SCENARIOS; n++) {
    const s = randomScenario(rng, mem.bytes, ACCESSES_PER_SCENARIO, RESERVED_RATE);
    theirs.set(mem.bytes);
    probe.setControl(s.cr0, s.cr3, s.cr4);
    mmu.cr0 = s.cr0;
    mmu.cr4 = s.cr4;
    mmu.writeCr3(s.cr3);
    // Pages a supervisor write reached with CR0.WP clear since the last TLB flush (deviation 2).
    const supervisorWroteWithoutWp = new Set<number>();
    const where = `seed ${seed}, set-up ${n} (cr0 0x${s.cr0.toString(16)} cr4 0x${s.cr4.toString(16)})`;

    for (const { va, write, user } of s.accesses) {
      if (flushEveryAccess) {
        mmu.tlb.flush();
        probe.flushTlb();
      }
      const entries = entryAddresses(mem, s, va);
      const before = rights(mem, s, va);
      const a = ours(mmu, va, write, user);
      const b = probe.access(va, write, user);
      t.cases++;
      if (!a.fault) t.translated++;
      else if ((a.code & PF_RSVD) !== 0) t.reserved++;
      else if ((a.code & PF_P) !== 0) t.protection++;
      else t.notPresent++;

      const entriesAgree = entries.every((e) => mem.read32(e) === word(theirs, e));
      if (same(a, b) && entriesAgree) {
        if (!a.fault && write && !user && (s.cr0 & CR0_WP) === 0) supervisorWroteWithoutWp.add(va >>> 12);
        continue;
      }
      const access = `${write ? 'write' : 'read'} ${user ? 'user' : 'supervisor'} 0x${va.toString(16)}`;
      if (a.fault && (a.code & PF_RSVD) !== 0 && (!b.fault || (b.code === (a.code & ~PF_RSVD) && b.cr2 === a.cr2))) {
        // Deviation 1: v86 does not check the reserved bits of a 4 MiB PDE, so it maps the page
        // or reports the protection fault the rights give. Undo its walk's A/D and its TLB
        // entry so later accesses compare from the same state.
        t.explainedReserved++;
        for (const e of entries) new DataView(theirs.buffer, theirs.byteOffset).setUint32(e, mem.read32(e), true);
        probe.flushTlb();
        continue;
      }
      if (!flushEveryAccess && a.fault && a.code === (PF_P | PF_W | PF_U) && !b.fault && entriesAgree &&
          supervisorWroteWithoutWp.has(va >>> 12) && before.user && !before.writable) {
        // Deviation 2: v86's TLB entry from a supervisor write allowed only by CR0.WP = 0 also lets a user write through.
        t.explainedWpTlb++;
        continue;
      }
      t.unexplained.push(`${where}: ${access}: ours ${show(a)}, v86 ${show(b)}` +
        (entriesAgree ? '' : `; entries ours [${entries.map((e) => mem.read32(e).toString(16))}] v86 [${entries.map((e) => word(theirs, e).toString(16))}]`));
    }
    if (Buffer.compare(mem.bytes, theirs.subarray(0, SCENARIO_RAM)) !== 0) {
      let i = 0;
      while (mem.bytes[i] === theirs[i]) i++;
      t.unexplained.push(`${where}: RAM differs after the set-up's accesses first at 0x${i.toString(16)} (ours ${mem.bytes[i]}, v86 ${theirs[i]})`);
    }
  }
  return t;
}

function expectBroadCoverage(t: Tally): void {
  expect(t.cases).toBeGreaterThanOrEqual(10_000);
  // The mix must exercise every outcome, or agreement would prove little.
  expect(t.translated).toBeGreaterThan(1000);
  expect(t.notPresent).toBeGreaterThan(1000);
  expect(t.protection).toBeGreaterThan(1000);
}

describe('v86 as the MMU oracle (HARDWARE.md §2)', () => {
  it(`agrees with our MMU on ${SCENARIOS * ACCESSES_PER_SCENARIO} fresh walks (seed ${SEED})`, () => {
    const t = compare(SEED, true);
    expect(t.unexplained.slice(0, 10)).toEqual([]);
    expectBroadCoverage(t);
    expect(t.explainedWpTlb).toBe(0);
    // Deviation 1 did occur, and only where a reserved bit was set.
    expect(t.explainedReserved).toBe(t.reserved);
    expect(t.reserved).toBeGreaterThan(0);
  });

  it(`agrees through the TLB on ${SCENARIOS * ACCESSES_PER_SCENARIO} accesses, apart from the documented deviations (seed ${SEED})`, () => {
    const t = compare(SEED, false);
    expect(t.unexplained.slice(0, 10)).toEqual([]);
    expectBroadCoverage(t);
    expect(t.explainedReserved).toBeLessThanOrEqual(t.reserved);
  });

  // Deviation 1. Intel SDM vol. 3A §4.3 (Table 4-4) and the Pentium manual: with 32-bit
  // physical addresses, bits 21:13 of a PDE that maps a 4 MiB page are reserved, and a set
  // one faults with error code RSVD|P (plus W/U of the access), before any rights check.
  // v86's do_page_walk never checks them: it maps the page or faults on the rights alone.
  it('pins v86 deviation 1: reserved bits 21:13 of a 4 MiB PDE are not checked', () => {
    const ram = probe.ram();
    const mem = new PhysicalMemory(SCENARIO_RAM);
    const dir = 0x100000;
    const pde = 0x400000 | 0x2000 | PTE_P | PTE_RW | PDE_PS; // bit 13 set: reserved
    mem.write32(dir + 1 * 4, pde);
    ram.set(mem.bytes);
    probe.setControl(CR0_PG | CR0_WP, dir, CR4_PSE);
    const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
    mmu.cr0 = CR0_PG | CR0_WP;
    mmu.cr4 = CR4_PSE;
    mmu.writeCr3(dir);
    expect(ours(mmu, 0x400010, false, false)).toEqual({ fault: true, code: PF_P | PF_RSVD, cr2: 0x400010 });
    expect(mem.read32(dir + 4)).toBe(pde); // a fault sets no A bit
    expect(probe.access(0x400010, false, false)).toEqual({ fault: false, phys: 0x400010 });
    expect(new DataView(ram.buffer, ram.byteOffset).getUint32(dir + 4, true)).toBe(pde | 0x20); // v86 walked and set A
    // A user read of this supervisor page: ours reports the reserved bit, v86 the rights.
    expect(ours(mmu, 0x400010, false, true)).toEqual({ fault: true, code: PF_P | PF_RSVD | PF_U, cr2: 0x400010 });
    probe.flushTlb();
    expect(probe.access(0x400010, false, true)).toEqual({ fault: true, code: PF_P | PF_U, cr2: 0x400010 });
  });

  // Deviation 2. Intel SDM vol. 3A §4.10.2.2: a TLB entry caches the paging entries' R/W and
  // U/S, not the outcome of one access; with CR0.WP = 0 a supervisor write to a read-only
  // page succeeds, but a later user write to that page must still fault (P|W|U). v86 caches
  // "writable" for any successful write walk, so the user write hits its TLB and succeeds.
  it('pins v86 deviation 2: after a supervisor write allowed by CR0.WP = 0, a user write hits the TLB', () => {
    const ram = probe.ram();
    const mem = new PhysicalMemory(SCENARIO_RAM);
    const dir = 0x100000;
    const table = 0x101000;
    mem.write32(dir + 1 * 4, table | PTE_P | PTE_RW | PTE_US);
    mem.write32(table + 5 * 4, 0x345000 | PTE_P | PTE_US); // user, read-only
    ram.set(mem.bytes);
    probe.setControl(CR0_PG, dir, 0);
    const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
    mmu.cr0 = CR0_PG;
    mmu.writeCr3(dir);
    const va = 0x405abc;
    expect(ours(mmu, va, true, false)).toEqual({ fault: false, phys: 0x345abc });
    expect(probe.access(va, true, false)).toEqual({ fault: false, phys: 0x345abc });
    expect(ours(mmu, va, true, true)).toEqual({ fault: true, code: PF_P | PF_W | PF_U, cr2: va });
    expect(probe.access(va, true, true)).toEqual({ fault: false, phys: 0x345abc });
    // A fresh walk in v86 does fault: the deviation is its TLB's alone.
    probe.flushTlb();
    expect(probe.access(va, true, true)).toEqual({ fault: true, code: PF_P | PF_W | PF_U, cr2: va });
  });
});
