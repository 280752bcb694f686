// The paging unit against HARDWARE.md §2, row by row, and the TLB's stale-entry behaviour
// that the revocation races depend on.

import { describe, expect, it } from 'vitest';
import { DataCache } from '../../emulator/machine/cache.js';
import { DEFAULT_COSTS } from '../../emulator/machine/costs.js';
import { PhysicalMemory } from '../../emulator/machine/memory.js';
import { Mmu, TRANSLATION_FAULT } from '../../emulator/machine/mmu.js';
import {
  CR0_PG, CR0_WP, CR4_PSE, PF_P, PF_RSVD, PF_U, PF_W, PTE_A, PTE_D, PTE_FRAME_MASK, PTE_P,
} from '../../emulator/machine/paging.js';
import { PageTables, RW, US } from '../support/pagetables.js';

function setup(opts: { wp?: boolean; pse?: boolean } = {}) {
  const mem = new PhysicalMemory(16 * 1024 * 1024);
  const mmu = new Mmu(mem, new DataCache(), DEFAULT_COSTS);
  const pt = new PageTables(mem, 0x100);
  mmu.cr0 = CR0_PG | (opts.wp ? CR0_WP : 0);
  mmu.cr4 = opts.pse ? CR4_PSE : 0;
  mmu.writeCr3(pt.cr3);
  const t = (va: number, write = false, user = false) => mmu.translate(va, write, user);
  return { mem, mmu, pt, t };
}

const VA = 0x00403000;
const PA = 0x00200000;

describe('MMU: translation (HARDWARE.md §2)', () => {
  it('identity when paging is off', () => {
    const { mmu } = setup();
    mmu.cr0 = 0;
    expect(mmu.translate(0x12345678, true, true)).toBe(0x12345678);
  });

  it('translates a 4 KiB page: frame from bits 31:12, offset from 11:0', () => {
    const { pt, t } = setup();
    pt.map(VA, PA, RW | US);
    expect(t(VA + 0x123)).toBe(PA + 0x123);
    expect(t(VA + 0xfff, true, true)).toBe(PA + 0xfff);
  });

  it('ignores software bits 9–11 and PWT/PCD when translating', () => {
    const { pt, t } = setup();
    pt.map(VA, PA, RW | US | (7 << 9) | 0x18);
    expect(t(VA + 4)).toBe(PA + 4);
  });

  it('not-present PDE and PTE fault with P=0 and set CR2', () => {
    const { mmu, pt, t } = setup();
    expect(t(0x00801234, false, true)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_U);
    expect(mmu.cr2).toBe(0x00801234);
    pt.map(VA, PA, RW | US);
    pt.setPte(VA, pt.pte(VA) & ~PTE_P);
    expect(t(VA + 8, true, false)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_W);
    expect(mmu.cr2).toBe(VA + 8);
  });

  it('4 MiB pages with CR4.PSE: frame from bits 31:22, offset from 21:0', () => {
    const { pt, t } = setup({ pse: true });
    pt.mapLarge(0x00c00000, 0x00800000, RW | US);
    expect(t(0x00c12345, true, true)).toBe(0x00812345);
  });

  it('PS is ignored without CR4.PSE: the PDE points at a page table', () => {
    const { mem, pt, t } = setup({ pse: false });
    pt.mapLarge(0x00c00000, 0x00800000, RW | US);
    // The "page table" is then the frame at 0x800000: put a PTE for index 0x12 there.
    mem.write32(0x00800000 + 0x12 * 4, 0x00345000 | PTE_P | RW | US);
    expect(t(0x00c12345)).toBe(0x00345345);
  });

  it('reserved bits 21:13 in a 4 MiB PDE fault with RSVD and P', () => {
    const { mmu, pt, t } = setup({ pse: true });
    pt.mapLarge(0x00c00000, 0x00800000, RW | US);
    mmu.tlb.flush();
    const pde = pt.pde(0x00c00000);
    pt.mem.write32(pt.pdeAddr(0x00c00000), pde | (1 << 13));
    expect(t(0x00c00010, false, true)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_RSVD | PF_P | PF_U);
  });
});

describe('MMU: rights are the AND of PDE and PTE', () => {
  const cases: { pde: number; pte: number; user: boolean; write: boolean; wp: boolean; ok: boolean }[] = [];
  for (const pdeRights of [0, RW, US, RW | US])
    for (const pteRights of [0, RW, US, RW | US])
      for (const user of [false, true])
        for (const write of [false, true])
          for (const wp of [false, true]) {
            const eff = pdeRights & pteRights;
            const userOk = !user || (eff & US) !== 0;
            const writeOk = !write || (eff & RW) !== 0 || (!user && !wp);
            cases.push({ pde: pdeRights, pte: pteRights, user, write, wp, ok: userOk && writeOk });
          }

  it.each(cases)('pde=$pde pte=$pte user=$user write=$write wp=$wp → ok=$ok', ({ pde, pte, user, write, wp, ok }) => {
    const { mmu, pt, t } = setup({ wp });
    pt.map(VA, PA, pte, pde);
    const r = t(VA + 0x10, write, user);
    if (ok) expect(r).toBe(PA + 0x10);
    else {
      expect(r).toBe(TRANSLATION_FAULT);
      expect(mmu.faultCode).toBe(PF_P | (write ? PF_W : 0) | (user ? PF_U : 0));
      expect(mmu.cr2).toBe(VA + 0x10);
      // A fault leaves the accessed bits alone.
      expect(pt.pte(VA) & PTE_A).toBe(0);
    }
  });

  it('4 MiB pages: user and write rights come from the PDE alone', () => {
    const { mmu, pt, t } = setup({ pse: true, wp: true });
    pt.mapLarge(0x00c00000, 0x00800000, US);
    expect(t(0x00c00000, false, true)).toBe(0x00800000);
    expect(t(0x00c00000, true, false)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_P | PF_W);
  });
});

describe('MMU: accessed and dirty bits', () => {
  it('a read walk sets A in the PDE and the PTE, not D', () => {
    const { pt, t } = setup();
    pt.map(VA, PA, RW | US);
    t(VA);
    expect(pt.pde(VA) & PTE_A).toBe(PTE_A);
    expect(pt.pte(VA) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(pt.pde(VA) & PTE_D).toBe(0);
  });

  it('the first write sets D in the final entry only', () => {
    const { pt, t } = setup();
    pt.map(VA, PA, RW | US);
    t(VA, true);
    expect(pt.pte(VA) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(pt.pde(VA) & PTE_D).toBe(0);
  });

  it('A and D stay set until software clears them, and a TLB hit does not set them again', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, RW | US);
    t(VA, true);
    const walks = mmu.walks;
    pt.setPte(VA, pt.pte(VA) & ~(PTE_A | PTE_D));
    pt.mem.write32(pt.pdeAddr(VA), pt.pde(VA) & ~PTE_A);
    expect(t(VA + 4)).toBe(PA + 4);
    expect(t(VA + 8, true)).toBe(PA + 8);
    expect(mmu.walks).toBe(walks);
    expect(pt.pte(VA) & (PTE_A | PTE_D)).toBe(0);
    expect(pt.pde(VA) & PTE_A).toBe(0);
  });

  it('a write through an entry cached clean re-walks to set D', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, RW | US);
    t(VA);
    const walks = mmu.walks;
    t(VA, true);
    expect(mmu.walks).toBe(walks + 1);
    expect(pt.pte(VA) & PTE_D).toBe(PTE_D);
  });

  it('4 MiB pages: the walk sets A and D in the PDE', () => {
    const { pt, t } = setup({ pse: true });
    pt.mapLarge(0x00c00000, 0x00800000, RW | US);
    t(0x00c00004, true);
    expect(pt.pde(0x00c00000) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });
});

describe('TLB: stale entries and flushes', () => {
  it('a stale entry keeps a revoked mapping readable until INVLPG, then the access faults', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, RW | US);
    expect(t(VA + 0x20, true, true)).toBe(PA + 0x20); // cached dirty
    pt.setPte(VA, 0); // revoke in memory only
    expect(t(VA + 0x24, false, true)).toBe(PA + 0x24);
    expect(t(VA + 0x28, true, true)).toBe(PA + 0x28);
    mmu.invalidatePage(VA + 0x999);
    expect(t(VA + 0x2c, true, true)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_W | PF_U);
    expect(mmu.cr2).toBe(VA + 0x2c);
  });

  it('INVLPG drops one page only', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, RW | US);
    pt.map(VA + 0x1000, PA + 0x1000, RW | US);
    t(VA);
    t(VA + 0x1000);
    mmu.invalidatePage(VA);
    expect(mmu.tlb.holds(VA)).toBe(false);
    expect(mmu.tlb.holds(VA + 0x1000)).toBe(true);
  });

  it('a CR3 write drops every entry', () => {
    const { mmu, pt, t } = setup({ pse: true });
    pt.map(VA, PA, RW | US);
    pt.mapLarge(0x00c00000, 0x00800000, RW | US);
    t(VA);
    t(0x00c00000);
    expect(mmu.tlb.size).toBe(2);
    mmu.writeCr3(pt.cr3);
    expect(mmu.tlb.size).toBe(0);
    pt.setPte(VA, 0);
    expect(t(VA)).toBe(TRANSLATION_FAULT);
  });

  it('a stale read-only entry refuses a write after the PTE was made writable; the fault drops it, so the retry walks', () => {
    const { mmu, pt, t } = setup({ wp: true });
    pt.map(VA, PA, US);
    t(VA, false, true);
    pt.setPte(VA, (PA & PTE_FRAME_MASK) | PTE_P | RW | US);
    expect(t(VA, true, true)).toBe(TRANSLATION_FAULT);
    expect(mmu.faultCode).toBe(PF_P | PF_W | PF_U);
    expect(mmu.tlb.holds(VA)).toBe(false); // SDM §4.10.4.1
    expect(t(VA, true, true)).toBe(PA);
  });

  it('a fault drops the faulting address\'s entry only', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, US);
    pt.map(VA + 0x1000, PA + 0x1000, US);
    t(VA, false, true);
    t(VA + 0x1000, false, true);
    expect(t(VA + 0x10, true, true)).toBe(TRANSLATION_FAULT);
    expect(mmu.tlb.holds(VA)).toBe(false);
    expect(mmu.tlb.holds(VA + 0x1000)).toBe(true);
  });

  it('has the Pentium geometry: 16 sets of 4 ways for 4 KiB pages, FIFO replacement', () => {
    const { mmu, pt, t } = setup();
    // Five pages that share set 3 (page numbers congruent mod 16).
    const pages = [0, 1, 2, 3, 4].map((i) => 0x00403000 + i * 16 * 0x1000);
    for (const va of pages) pt.map(va, PA, RW | US);
    for (const va of pages.slice(0, 4)) t(va);
    expect(pages.slice(0, 4).every((va) => mmu.tlb.holds(va))).toBe(true);
    t(pages[4]!);
    expect(mmu.tlb.holds(pages[0]!)).toBe(false); // the oldest was replaced
    expect(pages.slice(1).every((va) => mmu.tlb.holds(va))).toBe(true);
    // 64 distinct pages fill the array exactly.
    mmu.writeCr3(pt.cr3);
    for (let i = 0; i < 64; i++) {
      pt.map(0x01000000 + i * 0x1000, PA, RW | US);
      t(0x01000000 + i * 0x1000);
    }
    expect(mmu.tlb.small.count()).toBe(64);
  });

  it('fills an empty way before evicting anyone', () => {
    const { mmu, pt, t } = setup();
    const pages = [0, 1, 2, 3, 4].map((i) => 0x00403000 + i * 16 * 0x1000);
    for (const va of pages) pt.map(va, PA, RW | US);
    for (const va of pages.slice(0, 4)) t(va);
    mmu.invalidatePage(pages[2]!); // frees a way in the middle
    t(pages[4]!);
    expect(pages.filter((va) => mmu.tlb.holds(va))).toEqual([pages[0], pages[1], pages[3], pages[4]]);
  });

  it('keeps 8 entries for 4 MiB pages', () => {
    const { mmu, pt, t } = setup({ pse: true });
    for (let i = 0; i < 10; i++) {
      pt.mapLarge(0x40000000 + i * 0x400000, 0x00800000, RW | US);
      t(0x40000000 + i * 0x400000);
    }
    expect(mmu.tlb.large.count()).toBe(8);
  });

  it('charges a walk: cheaper when the entries are cached, free on a TLB hit', () => {
    const { mmu, pt, t } = setup();
    pt.map(VA, PA, RW | US);
    t(VA);
    const cold = mmu.walkCycles;
    expect(cold).toBe(2 * DEFAULT_COSTS.walkLevelDram);
    t(VA);
    expect(mmu.walkCycles).toBe(0);
    mmu.writeCr3(pt.cr3);
    t(VA);
    expect(mmu.walkCycles).toBe(2 * DEFAULT_COSTS.walkLevelCached);
  });
});
