// Address spaces (DESIGN.md §4 "Address space"): a real x86 page directory and page tables
// in physical memory, which the MMU walks. The kernel keeps, beside them, a record of every
// present PTE (a Mapping), indexed by page table and by frame (the frame table's reverse
// map), so revocation finds every PTE of a frame without scanning.
//
// A delegated region is one 4 MiB slot of the directory whose page table is a separate
// object (paid from the bank given at delegation) that its capability holder maps into.
//
// The helpers here are the only code that writes PDEs and PTEs. Each write goes through
// physical memory (charged), and each cleared PTE of the *current* address space is
// followed by INVLPG: every CR3 write flushes the TLB, so only the current space can have
// TLB entries, and after `clearMapping` no TLB entry grants access through that PTE.

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { PTE_FRAME_MASK, PTE_P, PTE_RW, PTE_US } from '../../emulator/machine/paging.js';
import type { FrameTable } from './frames.js';
import type { Hardware } from './hardware.js';
import type { ObjectHeader } from './objects.js';

export const ENTRIES = 1024;

export interface PageTable {
  readonly frame: number;
  readonly space: Space;
  readonly pdIndex: number;
  /** The region object when the table is delegated. */
  region: Region | undefined;
  /** Present PTEs by index. */
  readonly mappings: Map<number, Mapping>;
}

export interface Mapping {
  readonly table: PageTable;
  readonly index: number;
  readonly frame: number;
  readonly writable: boolean;
}

export interface Space extends ObjectHeader {
  readonly kind: 'space';
  /** Frame of the page directory. */
  readonly pd: number;
  readonly tables: Map<number, PageTable>;
}

export interface Region extends ObjectHeader {
  readonly kind: 'region';
  readonly table: PageTable;
}

export function mappingVa(m: Mapping): number {
  return ((m.table.pdIndex << 22) | (m.index << 12)) >>> 0;
}

export function pteAddress(table: PageTable, index: number): number {
  return table.frame * FRAME_SIZE + index * 4;
}

export function pdeAddress(space: Space, pdIndex: number): number {
  return space.pd * FRAME_SIZE + pdIndex * 4;
}

/** Whether `space` is the one CR3 holds (the only one the TLB can have entries for). */
export function isCurrent(hw: Hardware, space: Space): boolean {
  return (hw.cr3 & PTE_FRAME_MASK) === space.pd * FRAME_SIZE;
}

/** Point PDE `pdIndex` at `table` (user, writable: the PTEs decide the rights). */
export function writePde(hw: Hardware, table: PageTable): void {
  hw.store32(pdeAddress(table.space, table.pdIndex), table.frame * FRAME_SIZE | PTE_P | PTE_RW | PTE_US);
}

/** Write a present user PTE and record it in the reverse map. */
export function writeMapping(hw: Hardware, frames: FrameTable, table: PageTable, index: number, frame: number, writable: boolean): void {
  const m: Mapping = { table, index, frame, writable };
  hw.store32(pteAddress(table, index), frame * FRAME_SIZE | PTE_P | PTE_US | (writable ? PTE_RW : 0));
  hw.compute(hw.costs.rmapStep);
  table.mappings.set(index, m);
  frames.rmap[frame]!.add(m);
}

/** Clear a PTE, drop its reverse-map entry and any TLB entry for it (§6 item 3). */
export function clearMapping(hw: Hardware, frames: FrameTable, m: Mapping): void {
  hw.store32(pteAddress(m.table, m.index), 0);
  hw.compute(hw.costs.rmapStep);
  m.table.mappings.delete(m.index);
  frames.rmap[m.frame]!.delete(m);
  if (isCurrent(hw, m.table.space)) hw.invlpg(mappingVa(m));
}

/** Clear every PTE of a table (its PDE stays: the table is empty, not gone). */
export function clearMappings(hw: Hardware, frames: FrameTable, table: PageTable): void {
  for (const m of [...table.mappings.values()]) clearMapping(hw, frames, m);
}

/** Clear every PTE of a table and then its PDE (the table's frame is not freed here). */
export function clearTable(hw: Hardware, frames: FrameTable, table: PageTable): void {
  clearMappings(hw, frames, table);
  hw.store32(pdeAddress(table.space, table.pdIndex), 0);
}
