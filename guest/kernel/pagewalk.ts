// Reading an address space the way the MMU reads it (HARDWARE.md §2): the page directory and
// its page tables in physical memory, not the kernel's records of them. The invariant checks
// walk with it to compare what the hardware would do with what the kernel meant
// (invariants.ts) and with what the frame table allows (isolation.ts). Host-side peeks: no
// cycles are charged. The kernel never sets CR4.PSE, so the MMU ignores PDE.PS and every
// present PDE points at a page table, which is how it is read here too.

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { PTE_FRAME_MASK, PTE_P, pteIndex } from '../../emulator/machine/paging.js';
import type { Hardware } from './hardware.js';
import { ENTRIES } from './spaces.js';

/** The frame an entry (PDE or PTE) points at. */
export function entryFrame(entry: number): number {
  return (entry & PTE_FRAME_MASK) >>> 12;
}

export type PdeVisitor = (index: number, entry: number) => boolean;
export type PteVisitor = (va: number, entry: number, pdeEntry: number) => void;

/**
 * A walk of one address space: visits every present PDE of the directory (its index and
 * value) and, where `pde` returns true, every present PTE of the table it points at (the
 * linear address it maps, its value, and the PDE's value: the MMU grants the AND of the two).
 */
export type Walk = (pde: PdeVisitor, pte: PteVisitor) => void;

/** Walk the directory in frame `pd` as memory holds it now. */
export function walkPresent(hw: Hardware, pd: number, pde: PdeVisitor, pte: PteVisitor): void {
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

/**
 * The present entries of a directory and its tables, read once, replayed as a Walk that visits
 * exactly what walkPresent would while none of `frames` (the directory and every table a
 * present PDE points at) is written. Tables outside RAM are not read (`pde` callers refuse
 * them before descending: isolation.ts reports them, invariants.ts finds no table of its own).
 */
export class RecordedWalk {
  /** Frames whose contents the walk depends on. */
  readonly frames: number[];
  private readonly pdes: { index: number; entry: number; ptes: number[] }[] = [];

  constructor(hw: Hardware, pd: number) {
    this.frames = [pd];
    let ptes: number[] = [];
    walkPresent(hw, pd, (index, entry) => {
      this.pdes.push({ index, entry, ptes: (ptes = []) });
      const t = entryFrame(entry);
      if (t < hw.frameCount) this.frames.push(t);
      return t < hw.frameCount;
    }, (va, entry) => ptes.push(pteIndex(va), entry));
  }

  readonly walk: Walk = (pde, pte) => {
    for (const d of this.pdes) {
      if (!pde(d.index, d.entry)) continue;
      for (let k = 0; k < d.ptes.length; k += 2) pte(((d.index << 22) | (d.ptes[k]! << 12)) >>> 0, d.ptes[k + 1]!, d.entry);
    }
  };
}
