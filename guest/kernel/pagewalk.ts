// Reading an address space the way the MMU reads it (HARDWARE.md §2): the page directory and
// its page tables in physical memory, not the kernel's records of them. The invariant checks
// walk with it to compare what the hardware would do with what the kernel meant
// (invariants.ts) and with what the frame table allows (isolation.ts). Host-side peeks: no
// cycles are charged. The kernel never sets CR4.PSE, so the MMU ignores PDE.PS and every
// present PDE points at a page table, which is how it is read here too.

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { PTE_FRAME_MASK, PTE_P } from '../../emulator/machine/paging.js';
import type { Hardware } from './hardware.js';
import { ENTRIES } from './spaces.js';

/** The frame an entry (PDE or PTE) points at. */
export function entryFrame(entry: number): number {
  return (entry & PTE_FRAME_MASK) >>> 12;
}

/**
 * Visit every present PDE of the directory in frame `pd` (its index and value) and, where
 * `pde` returns true, every present PTE of the table it points at (the linear address it
 * maps, its value, and the PDE's value: the MMU grants the AND of the two).
 */
export function walkPresent(
  hw: Hardware,
  pd: number,
  pde: (index: number, entry: number) => boolean,
  pte: (va: number, entry: number, pdeEntry: number) => void,
): void {
  for (let i = 0; i < ENTRIES; i++) {
    const d = hw.peek32(pd * FRAME_SIZE + i * 4);
    if ((d & PTE_P) === 0 || !pde(i, d)) continue;
    const table = entryFrame(d) * FRAME_SIZE;
    for (let j = 0; j < ENTRIES; j++) {
      const e = hw.peek32(table + j * 4);
      if ((e & PTE_P) !== 0) pte(((i << 22) | (j << 12)) >>> 0, e, d);
    }
  }
}
