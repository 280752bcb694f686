// v86 as the oracle for our paging unit (DESIGN.md §7, HARDWARE.md §2; issue 6 acceptance 2).
// Random page directories and tables (4 KiB and 4 MiB pages, present and absent entries,
// U/S and R/W mixes, CR0.WP and CR4.PSE on and off) are loaded into v86's RAM and into ours;
// for every random (address, write, user) access both translate, and we compare the
// physical address or the fault (error code and CR2) and the A/D bits the walk left in the
// entries it used, then the whole of RAM at the end of each set-up.
//
// Two runs: one empties both TLBs before every access (every access is a fresh walk), one
// keeps them (hits must not set A/D again, and cached rights must be honoured). A third
// changes and clears PTEs and PDEs mid-scenario WITHOUT INVLPG (the revocation races): hits
// through stale entries, faults that drop the entry and the retry that walks, then INVLPG
// and CR3 reloads. Every disagreement must be a documented v86 deviation from the Intel SDM
// or a variation the SDM permits, each pinned by its own test below; anything else fails,
// printing the seed to replay.

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
import { mutateEntry, randomScenario, SCENARIO_RAM, type Scenario } from './paging-scenarios.js';

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

/** Hot pages per stale-TLB scenario, each in its own directory entry. */
const STALE_HOT_PAGES = 4;
const STALE_SCENARIOS = 48;
const STALE_OPS = 320;

interface StaleTally {
  accesses: number;
  /** Accesses through an entry cached before its PTE/PDE changed, that both MMUs let through. */
  staleHits: number;
  /** Accesses through such an entry that both MMUs refused with the same fault. */
  staleFaults: number;
  /** Ours faulted on the stale rights, v86 walked again; our retry walked and agreed (SDM §4.10.4.3). */
  spuriousThenRetried: number;
  /** Ours wrote through its stale dirty entry, v86 walked again (deviation 4). */
  v86RewalkedWrite: number;
  mutations: number;
  invlpgs: number;
  cr3Reloads: number;
  unexplained: string[];
}

function compareStale(seed: number): StaleTally {
  const rng = new Prng(seed, 'mmu-oracle.stale');
  const mem = new PhysicalMemory(SCENARIO_RAM);
  const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
  const theirs = probe.ram();
  const theirView = new DataView(theirs.buffer, theirs.byteOffset, theirs.length);
  const t: StaleTally = { accesses: 0, staleHits: 0, staleFaults: 0, spuriousThenRetried: 0, v86RewalkedWrite: 0, mutations: 0, invlpgs: 0, cr3Reloads: 0, unexplained: [] };
  const word = (a: number) => theirView.getUint32(a, true);

  for (let n = 0; n < STALE_SCENARIOS; n++) {
    const base = randomScenario(rng, mem.bytes, 0, 0);
    // CR0.WP on: deviation 2 (a TLB-only difference) is covered by its own test.
    const s: Scenario = { ...base, cr0: (base.cr0 | CR0_WP) >>> 0 };
    theirs.set(mem.bytes);
    probe.setControl(s.cr0, s.cr3, s.cr4);
    mmu.cr0 = s.cr0;
    mmu.cr4 = s.cr4;
    mmu.writeCr3(s.cr3);
    // One 4 KiB page in each of a few populated directory entries: v86 caches a 4 MiB page
    // per 4 KiB page, ours as one entry, so one page per directory entry keeps them alike.
    const hot = base.pdes.slice(0, STALE_HOT_PAGES).map((i) => ((i << 22) | (rng.below(1024) << 12)) >>> 0);
    /** Hot pages whose entries changed since our TLB cached them. */
    const stale = new Set<number>();
    const where = `seed ${seed}, stale set-up ${n}`;

    for (let op = 0; op < STALE_OPS; op++) {
      // Our TLB is 4-way with FIFO replacement, so a refill can evict another hot page even
      // with free ways; v86's never evicts. A capacity difference, not a paging rule: drop
      // from v86 whatever ours no longer holds, so that both hold the same pages.
      for (const h of hot) if (!mmu.tlb.holds(h)) probe.invlpg(h);
      const page = hot[rng.below(hot.length)]!;
      const roll = rng.below(100);
      if (roll < 22) {
        const m = mutateEntry(rng, mem.bytes, s, page);
        theirView.setUint32(m.addr, m.value, true);
        if (mmu.tlb.holds(page)) stale.add(page);
        t.mutations++;
        continue;
      }
      if (roll < 29) {
        mmu.invalidatePage(page);
        probe.invlpg(page);
        stale.delete(page);
        t.invlpgs++;
        continue;
      }
      if (roll < 32) {
        mmu.writeCr3(s.cr3);
        probe.reloadCr3();
        stale.clear();
        t.cr3Reloads++;
        continue;
      }
      const va = (page | rng.below(0x1000)) >>> 0;
      const write = rng.chance(0.5);
      const user = rng.chance(0.5);
      const throughStale = stale.has(page) && mmu.tlb.holds(page);
      const walksBefore = mmu.walks;
      const entries = entryAddresses(mem, s, va);
      let a = ours(mmu, va, write, user);
      const b = probe.access(va, write, user);
      t.accesses++;
      const access = `${write ? 'write' : 'read'} ${user ? 'user' : 'supervisor'} 0x${va.toString(16)}`;
      if (!same(a, b) && throughStale && a.fault && (a.code & PF_P) !== 0 && (a.code & PF_RSVD) === 0 && mmu.walks === walksBefore) {
        // Ours refused the access on the rights its stale entry cached (a "spurious" fault,
        // SDM §4.10.4.3) and dropped the entry (§4.10.4.1); v86 walks again on a TLB rights
        // miss. The retry, as after a page-fault handler that changed nothing, must walk and
        // then agree.
        if (mmu.tlb.holds(va)) t.unexplained.push(`${where}: ${access}: our fault left the TLB entry in place`);
        a = ours(mmu, va, write, user);
        if (mmu.walks === walksBefore) t.unexplained.push(`${where}: ${access}: our retry after the fault did not walk`);
        t.spuriousThenRetried++;
      } else if (throughStale && write && !a.fault && mmu.walks === walksBefore) {
        // Ours wrote through its stale entry (cached dirty). v86 walks again on the first
        // write through an entry its TLB made from a read walk, whatever D was (deviation 4);
        // through one made by a write walk it hits. Both are allowed while the entry changed
        // without INVLPG (SDM §4.10.4.2/4.10.4.3). So v86 must agree with ours, or have done
        // exactly a fresh walk of the current tables. Either way both then drop the page, as
        // v86's TLB may now hold the fresh translation and ours the stale one.
        if (!same(a, b) || !entries.every((e) => mem.read32(e) === word(e))) {
          const walker = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
          walker.cr0 = s.cr0;
          walker.cr4 = s.cr4;
          walker.writeCr3(s.cr3);
          a = ours(walker, va, write, user);
          t.v86RewalkedWrite++;
        } else {
          t.staleHits++;
        }
        mmu.invalidatePage(va);
        probe.invlpg(va);
      } else if (throughStale && same(a, b)) {
        if (a.fault) t.staleFaults++;
        else t.staleHits++;
      }
      if (mmu.walks !== walksBefore || !mmu.tlb.holds(page)) stale.delete(page);
      const entriesAgree = entries.every((e) => mem.read32(e) === word(e));
      if (!same(a, b) || !entriesAgree) {
        t.unexplained.push(`${where}: ${access}${throughStale ? ' (through a stale entry)' : ''}: ours ${show(a)}, v86 ${show(b)}` +
          (entriesAgree ? '' : `; entries ours [${entries.map((e) => mem.read32(e).toString(16))}] v86 [${entries.map((e) => word(e).toString(16))}]`));
      }
    }
    if (Buffer.compare(mem.bytes, theirs.subarray(0, SCENARIO_RAM)) !== 0) {
      let i = 0;
      while (mem.bytes[i] === theirs[i]) i++;
      t.unexplained.push(`${where}: RAM differs after the set-up's operations first at 0x${i.toString(16)} (ours ${mem.bytes[i]}, v86 ${theirs[i]})`);
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

/**
 * The same page tables in our memory and v86's, and the same control registers, for the
 * deviation-pinning tests. `poke` changes an entry in both (as a kernel would, without INVLPG).
 */
function pinningSetup(entries: [number, number][], cr0: number, cr4: number) {
  const ram = probe.ram();
  const mem = new PhysicalMemory(SCENARIO_RAM);
  for (const [addr, value] of entries) mem.write32(addr, value);
  ram.set(mem.bytes);
  probe.setControl(cr0, PIN_DIR, cr4);
  const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
  mmu.cr0 = cr0;
  mmu.cr4 = cr4;
  mmu.writeCr3(PIN_DIR);
  const v86Word = (addr: number) => new DataView(ram.buffer, ram.byteOffset).getUint32(addr, true);
  const poke = (addr: number, value: number) => {
    mem.write32(addr, value);
    new DataView(ram.buffer, ram.byteOffset).setUint32(addr, value, true);
  };
  return { mem, mmu, v86Word, poke };
}

const PIN_DIR = 0x100000;
const PIN_TABLE = 0x101000;
const PIN_PTE = PIN_TABLE + 5 * 4; // translates 0x405000

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
    const pde = 0x400000 | 0x2000 | PTE_P | PTE_RW | PDE_PS; // bit 13 set: reserved
    const { mem, mmu, v86Word } = pinningSetup([[PIN_DIR + 1 * 4, pde]], CR0_PG | CR0_WP, CR4_PSE);
    expect(ours(mmu, 0x400010, false, false)).toEqual({ fault: true, code: PF_P | PF_RSVD, cr2: 0x400010 });
    expect(mem.read32(PIN_DIR + 4)).toBe(pde); // a fault sets no A bit
    expect(probe.access(0x400010, false, false)).toEqual({ fault: false, phys: 0x400010 });
    expect(v86Word(PIN_DIR + 4)).toBe(pde | 0x20); // v86 walked and set A
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
    const { mmu } = pinningSetup(
      [[PIN_DIR + 1 * 4, PIN_TABLE | PTE_P | PTE_RW | PTE_US], [PIN_PTE, 0x345000 | PTE_P | PTE_US]], // user, read-only
      CR0_PG,
      0,
    );
    const va = 0x405abc;
    expect(ours(mmu, va, true, false)).toEqual({ fault: false, phys: 0x345abc });
    expect(probe.access(va, true, false)).toEqual({ fault: false, phys: 0x345abc });
    expect(ours(mmu, va, true, true)).toEqual({ fault: true, code: PF_P | PF_W | PF_U, cr2: va });
    expect(probe.access(va, true, true)).toEqual({ fault: false, phys: 0x345abc });
    // A fresh walk in v86 does fault: the deviation is its TLB's alone.
    probe.flushTlb();
    expect(probe.access(va, true, true)).toEqual({ fault: true, code: PF_P | PF_W | PF_U, cr2: va });
  });

  it(`agrees through stale TLB entries: PTEs and PDEs changed without INVLPG, then INVLPG and CR3 reloads (seed ${SEED})`, () => {
    const t = compareStale(SEED);
    expect(t.unexplained.slice(0, 10)).toEqual([]);
    expect(t.accesses).toBeGreaterThanOrEqual(10_000);
    // Every kind of event happened often enough for agreement to mean something.
    expect(t.staleHits).toBeGreaterThan(100);
    expect(t.staleFaults).toBeGreaterThan(20);
    expect(t.spuriousThenRetried).toBeGreaterThan(20);
    expect(t.v86RewalkedWrite).toBeGreaterThan(0);
    expect(t.invlpgs).toBeGreaterThan(500);
    expect(t.cr3Reloads).toBeGreaterThan(200);
  });

  // Deviation 3 (a variation the SDM permits). Intel SDM vol. 3A §4.10.4.3: after R/W (or
  // U/S) goes from 0 to 1 without an invalidation, an access may fault on the stale TLB
  // entry — at most once, since the fault drops the entry (§4.10.4.1) — or may walk again.
  // Ours faults (the Pentium's behaviour); v86 walks again on any TLB rights miss.
  it('pins deviation 3: a write through a stale read-only entry faults once in ours (then walks), v86 walks at once', () => {
    const { mem, mmu, v86Word, poke } = pinningSetup(
      [[PIN_DIR + 1 * 4, PIN_TABLE | PTE_P | PTE_RW | PTE_US], [PIN_PTE, 0x345000 | PTE_P | PTE_US]], // user, read-only
      CR0_PG | CR0_WP,
      0,
    );
    const va = 0x405abc;
    expect(ours(mmu, va, false, true)).toEqual({ fault: false, phys: 0x345abc });
    expect(probe.access(va, false, true)).toEqual({ fault: false, phys: 0x345abc });
    // The kernel makes the page writable, without INVLPG.
    const writable = 0x345000 | PTE_P | PTE_US | PTE_RW | 0x20;
    poke(PIN_PTE, writable);
    expect(ours(mmu, va, true, true)).toEqual({ fault: true, code: PF_P | PF_W | PF_U, cr2: va });
    expect(mmu.tlb.holds(va)).toBe(false); // the fault dropped the entry
    expect(probe.access(va, true, true)).toEqual({ fault: false, phys: 0x345abc });
    // The retry walks and succeeds, leaving the same entry (A and D set) as v86's walk.
    expect(ours(mmu, va, true, true)).toEqual({ fault: false, phys: 0x345abc });
    expect(mem.read32(PIN_PTE)).toBe(writable | 0x40);
    expect(v86Word(PIN_PTE)).toBe(writable | 0x40);
  });

  // Deviation 4 (also a variation the SDM permits while an entry changed without INVLPG,
  // §4.10.4.2). v86 makes every TLB entry from a read walk read-only, so the first write
  // through it walks again even when D was already set; ours (like the Pentium) caches the
  // D bit it saw and writes through a dirty entry without walking.
  it('pins deviation 4: a write through an entry cached by a read with D set: ours uses it, v86 walks again', () => {
    const dirtyPte = 0x345000 | PTE_P | PTE_RW | 0x60; // A and D already set
    const { mmu, poke } = pinningSetup([[PIN_DIR + 1 * 4, PIN_TABLE | PTE_P | PTE_RW | 0x20], [PIN_PTE, dirtyPte]], CR0_PG | CR0_WP, 0);
    const va = 0x405abc;
    expect(ours(mmu, va, false, false)).toEqual({ fault: false, phys: 0x345abc });
    expect(probe.access(va, false, false)).toEqual({ fault: false, phys: 0x345abc });
    // The page moves to another frame, without INVLPG.
    poke(PIN_PTE, 0x346000 | PTE_P | PTE_RW | 0x60);
    const walks = mmu.walks;
    expect(ours(mmu, va, true, false)).toEqual({ fault: false, phys: 0x345abc }); // the stale entry
    expect(mmu.walks).toBe(walks);
    expect(probe.access(va, true, false)).toEqual({ fault: false, phys: 0x346abc }); // a fresh walk
    // After INVLPG both use the new frame.
    mmu.invalidatePage(va);
    probe.invlpg(va);
    expect(ours(mmu, va, true, false)).toEqual({ fault: false, phys: 0x346abc });
    expect(probe.access(va, true, false)).toEqual({ fault: false, phys: 0x346abc });
  });
});
