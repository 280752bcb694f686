// An optional IOMMU between bus masters and memory (off by default: Pentium-era chipsets had
// none). When on, every bus address is translated page by page through a table that only the
// kernel fills (at pin time); an unmapped page, or a write to a page mapped read-only, is a
// bus error for the master. It lets an experiment take the driver out of the DMA trusted base.

import { FRAME_SIZE } from './memory.js';

export const IOMMU_FAULT = -1;

export class Iommu {
  /** bus page number -> (frame number << 1) | writable */
  private readonly table = new Map<number, number>();

  constructor(public enabled = false) {}

  map(busPage: number, frame: number, writable: boolean): void {
    this.table.set(busPage, (frame << 1) | (writable ? 1 : 0));
  }

  unmap(busPage: number): void {
    this.table.delete(busPage);
  }

  isMapped(busPage: number): boolean {
    return this.table.has(busPage);
  }

  get mappings(): number {
    return this.table.size;
  }

  /** Bus address to physical address, or IOMMU_FAULT. Identity when disabled. */
  translate(bus: number, write: boolean): number {
    if (!this.enabled) return bus;
    const e = this.table.get(Math.floor(bus / FRAME_SIZE));
    if (e === undefined || (write && (e & 1) === 0)) return IOMMU_FAULT;
    return (e >>> 1) * FRAME_SIZE + (bus & (FRAME_SIZE - 1));
  }
}
