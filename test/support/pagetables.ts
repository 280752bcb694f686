// Test helpers that write x86 page directories and tables straight into physical memory,
// so machine tests can exercise the MMU without the kernel.

import type { PhysicalMemory } from '../../emulator/machine/memory.js';
import { PDE_PS, PTE_FRAME_MASK, PTE_P, PTE_RW, PTE_US } from '../../emulator/machine/paging.js';

export const RW = PTE_RW;
export const US = PTE_US;

export class PageTables {
  private nextFrame: number;

  /** Page tables are carved from frames starting at `firstFrame`; the directory is the first. */
  constructor(
    readonly mem: PhysicalMemory,
    firstFrame: number,
  ) {
    this.nextFrame = firstFrame + 1;
    this.cr3 = firstFrame * 4096;
    mem.fill(0, this.cr3, this.cr3 + 4096);
  }
  readonly cr3: number;

  pdeAddr(va: number): number {
    return this.cr3 + (va >>> 22) * 4;
  }

  pteAddr(va: number): number {
    const pde = this.mem.read32(this.pdeAddr(va));
    return (pde & PTE_FRAME_MASK) + ((va >>> 12) & 0x3ff) * 4;
  }

  /** Map the 4 KiB page at `va` to `pa` with PTE flags `flags` (P added); the PDE gets `pdeFlags`. */
  map(va: number, pa: number, flags: number, pdeFlags = PTE_RW | PTE_US): void {
    let pde = this.mem.read32(this.pdeAddr(va));
    if ((pde & PTE_P) === 0) {
      const pt = this.nextFrame++ * 4096;
      this.mem.fill(0, pt, pt + 4096);
      pde = pt | PTE_P | pdeFlags;
      this.mem.write32(this.pdeAddr(va), pde);
    }
    this.mem.write32(this.pteAddr(va), (pa & PTE_FRAME_MASK) | PTE_P | flags);
  }

  /** Map a 4 MiB page (needs CR4.PSE). */
  mapLarge(va: number, pa: number, flags: number): void {
    this.mem.write32(this.pdeAddr(va), (pa & 0xffc00000) | PTE_P | PDE_PS | flags);
  }

  pte(va: number): number {
    return this.mem.read32(this.pteAddr(va));
  }

  pde(va: number): number {
    return this.mem.read32(this.pdeAddr(va));
  }

  setPte(va: number, value: number): void {
    this.mem.write32(this.pteAddr(va), value);
  }
}
