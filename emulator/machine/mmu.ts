// The paging unit: 32-bit two-level translation (HARDWARE.md §2, Intel SDM vol. 3A §4.3),
// bit-exact, with the TLB in front of it.
//
// Rules modeled, each a row of HARDWARE.md §2:
// - 4 KiB pages through a page table; 4 MiB pages from a PDE with PS when CR4.PSE is set
//   (PS is ignored without PSE, and the PDE then points at a page table).
// - Effective rights are the AND of the PDE's and the PTE's R/W and U/S bits. A user access
//   needs U/S; a user write needs R/W; a supervisor write needs R/W only when CR0.WP is set.
// - A successful walk sets A in every entry it used and D in the final entry on a write.
//   A TLB hit sets nothing. A write through an entry cached clean re-walks to set D (the
//   Pentium does this so that D in memory is never missed), and so faults if the PTE in
//   memory went away meanwhile.
// - A fault leaves the paging entries untouched, drops the TLB entry for the faulting
//   address (SDM §4.10.4.1), sets CR2 to the linear address and reports the error code:
//   P (protection vs not present), W, U, RSVD (a reserved bit in a 4 MiB PDE).
// Walk reads go through the data cache model: a walk whose entries are cached is cheap, and
// refills after a CR3 write are real costs.

import type { DataCache } from './cache.js';
import type { CostTable } from './costs.js';
import type { PhysicalMemory } from './memory.js';
import {
  CR0_PG, CR0_WP, CR4_PSE, PDE_4M_FRAME_MASK, PDE_4M_RESERVED_MASK, PDE_PS, PF_P, PF_RSVD, PF_U, PF_W,
  PTE_A, PTE_D, PTE_FRAME_MASK, PTE_P, PTE_RW, PTE_US, pdeIndex, pteIndex,
} from './paging.js';
import { TLB_DIRTY, TLB_USER, TLB_WRITABLE, Tlb } from './tlb.js';

export const TRANSLATION_FAULT = -1;

export class Mmu {
  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly tlb = new Tlb();
  /** Error code of the last fault (valid after translate returned TRANSLATION_FAULT). */
  faultCode = 0;
  /** Cycles the last translate spent walking; the CPU charges them. */
  walkCycles = 0;
  walks = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly cache: DataCache,
    private readonly costs: Readonly<CostTable>,
  ) {}

  get pagingEnabled(): boolean {
    return (this.cr0 & CR0_PG) !== 0;
  }

  /**
   * Linear to physical address for an access, or TRANSLATION_FAULT (then faultCode and CR2
   * are set). `user` is CPL 3. Charges the walk into walkCycles.
   */
  translate(va: number, write: boolean, user: boolean): number {
    this.walkCycles = 0;
    if ((this.cr0 & CR0_PG) === 0) return va >>> 0;
    const tlb = this.tlb;
    let arr = tlb.small;
    let i = arr.find(va >>> 12);
    let offsetMask = 0xfff;
    if (i < 0) {
      arr = tlb.large;
      i = arr.find(va >>> 22);
      offsetMask = 0x3fffff;
    }
    if (i >= 0) {
      const f = arr.flags[i]!;
      if (this.allowed(f, write, user) && (!write || (f & TLB_DIRTY) !== 0)) {
        tlb.hits++;
        return arr.base[i]! + (va & offsetMask);
      }
      if (!this.allowed(f, write, user)) return this.fault(va, PF_P, write, user);
      // Write through a clean entry: fall through to a walk that sets D.
    }
    tlb.misses++;
    return this.walk(va, write, user);
  }

  private allowed(flags: number, write: boolean, user: boolean): boolean {
    if (user && (flags & TLB_USER) === 0) return false;
    if (write && (flags & TLB_WRITABLE) === 0 && (user || (this.cr0 & CR0_WP) !== 0)) return false;
    return true;
  }

  private fault(va: number, code: number, write: boolean, user: boolean): number {
    this.faultCode = code | (write ? PF_W : 0) | (user ? PF_U : 0);
    this.cr2 = va >>> 0;
    // Intel SDM vol. 3A §4.10.4.1: a page fault invalidates the TLB entries for the faulting
    // linear address, so a retry after the handler fixed the PTE walks again (no INVLPG needed).
    this.tlb.invalidatePage(va);
    return TRANSLATION_FAULT;
  }

  private readEntry(pa: number): number {
    this.walkCycles += this.cache.load(pa) ? this.costs.walkLevelCached : this.costs.walkLevelDram;
    return this.memory.contains(pa, 4) ? this.memory.read32(pa) : 0xffffffff;
  }

  private writeEntry(pa: number, value: number): void {
    if (this.memory.contains(pa, 4)) this.memory.write32(pa, value);
  }

  private walk(va: number, write: boolean, user: boolean): number {
    this.walks++;
    const pdeAddr = (this.cr3 & PTE_FRAME_MASK) + pdeIndex(va) * 4;
    const pde = this.readEntry(pdeAddr);
    if ((pde & PTE_P) === 0) return this.fault(va, 0, write, user);

    if ((pde & PDE_PS) !== 0 && (this.cr4 & CR4_PSE) !== 0) {
      if ((pde & PDE_4M_RESERVED_MASK) !== 0) return this.fault(va, PF_P | PF_RSVD, write, user);
      const flags = rightsOf(pde) | ((pde & PTE_D) !== 0 || write ? TLB_DIRTY : 0);
      if (!this.allowed(flags, write, user)) return this.fault(va, PF_P, write, user);
      const newPde = pde | PTE_A | (write ? PTE_D : 0);
      if (newPde !== pde) this.writeEntry(pdeAddr, newPde);
      const base = (pde & PDE_4M_FRAME_MASK) >>> 0;
      this.tlb.small.invalidate(va >>> 12);
      this.tlb.large.insert(va >>> 22, base, flags);
      return base + (va & 0x3fffff);
    }

    const pteAddr = (pde & PTE_FRAME_MASK) + pteIndex(va) * 4;
    const pte = this.readEntry(pteAddr);
    if ((pte & PTE_P) === 0) return this.fault(va, 0, write, user);
    const flags = (rightsOf(pde) & rightsOf(pte)) | ((pte & PTE_D) !== 0 || write ? TLB_DIRTY : 0);
    if (!this.allowed(flags, write, user)) return this.fault(va, PF_P, write, user);
    if ((pde & PTE_A) === 0) this.writeEntry(pdeAddr, pde | PTE_A);
    const newPte = pte | PTE_A | (write ? PTE_D : 0);
    if (newPte !== pte) this.writeEntry(pteAddr, newPte);
    const base = (pte & PTE_FRAME_MASK) >>> 0;
    this.tlb.large.invalidate(va >>> 22);
    this.tlb.small.insert(va >>> 12, base, flags);
    return base + (va & 0xfff);
  }

  /** INVLPG. */
  invalidatePage(va: number): void {
    this.tlb.invalidatePage(va);
  }

  /** MOV CR3: load a new page directory and drop every TLB entry. */
  writeCr3(value: number): void {
    this.cr3 = value >>> 0;
    this.tlb.flush();
  }
}

function rightsOf(entry: number): number {
  return ((entry & PTE_RW) !== 0 ? TLB_WRITABLE : 0) | ((entry & PTE_US) !== 0 ? TLB_USER : 0);
}
