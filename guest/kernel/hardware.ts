// The machine interface: the kernel's whole view of the hardware. Physical memory is read
// and written through the CPU's physical accessors, so every kernel step is charged in
// cycles and the devices catch up before it (DMA proceeds while the kernel works, as
// DESIGN.md §3 requires). CR3, INVLPG, ports and the IOMMU are reached only from here: the
// kernel is the only writer of CR3, page tables and the IOMMU.

import type { Machine } from '../../emulator/machine/machine.js';
import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { CR0_PG, CR0_WP } from '../../emulator/machine/paging.js';
import { DEFAULT_KERNEL_COSTS, type KernelCosts } from './costs.js';
import type { UnsafeKernel } from './state.js';

/** Kernel events recorded in the machine's trace (and so in the run's hash). */
export type KernelEvent = 'kernel.pin' | 'kernel.unpin' | 'kernel.quarantine' | 'kernel.revoke' | 'kernel.exchange' | 'kernel.claim' | 'kernel.fault';

export class Hardware {
  private readonly kinds = new Map<KernelEvent, number>();

  constructor(
    readonly machine: Machine,
    /** The kernel's cost table (costs.ts), fixed at boot. */
    readonly costs: KernelCosts = DEFAULT_KERNEL_COSTS,
    /** Defences and planted bugs switched on at boot (state.ts UnsafeKernel); none by default. */
    readonly unsafe: UnsafeKernel = {},
  ) {}

  /** Record a kernel event at the current cycle in the machine's trace. */
  record(event: KernelEvent, a = 0, b = 0, c = 0): void {
    let kind = this.kinds.get(event);
    if (kind === undefined) this.kinds.set(event, (kind = this.machine.trace.kind(event)));
    this.machine.trace.record(this.machine.cpu.cycle, kind, a, b, c);
  }

  get cpu() {
    return this.machine.cpu;
  }

  get frameCount(): number {
    return this.machine.memory.frames;
  }

  /** Charge `units` of kernel bookkeeping (costs.ts). */
  compute(units: number): void {
    this.machine.cpu.compute(units);
  }

  // ---- physical memory ----

  load32(pa: number): number {
    return this.machine.cpu.loadPhys(pa, 4);
  }

  store32(pa: number, v: number): void {
    this.machine.cpu.storePhys(pa, 4, v);
  }

  /** Zero a frame line by line (non-preemptible, but DMA beats land between the lines). */
  zeroFrame(frame: number): void {
    this.machine.cpu.zeroSync(frame * FRAME_SIZE, FRAME_SIZE, true);
  }

  /** Host-side look at a frame, for invariant checks only (charges nothing); RAM the machine made and nobody wrote is zero without a look (memory.ts). */
  frameIsZero(frame: number): boolean {
    if (this.machine.memory.knownZero(frame)) return true;
    const b = this.machine.memory.bytes;
    const w = new Uint32Array(b.buffer, b.byteOffset + frame * FRAME_SIZE, FRAME_SIZE / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }

  /** Host-side read of a page-table entry, for invariant checks only. */
  peek32(pa: number): number {
    return this.machine.memory.read32(pa);
  }

  // ---- paging ----

  enablePaging(pageDirectory: number): void {
    const cpu = this.machine.cpu;
    cpu.writeCr3(pageDirectory);
    cpu.writeCr0(cpu.mmu.cr0 | CR0_PG | CR0_WP);
  }

  get cr3(): number {
    return this.machine.mmu.cr3;
  }

  writeCr3(pa: number): void {
    this.machine.cpu.writeCr3(pa);
  }

  invlpg(va: number): void {
    if (this.unsafe.skipTlbFlush) return; // planted bug: the stale entry stays
    this.machine.cpu.invlpg(va);
  }

  // ---- ports ----

  outb(port: number, v: number): void {
    this.machine.cpu.out(port, v, 1);
  }

  inb(port: number): number {
    return this.machine.cpu.in(port, 1);
  }

  // ---- IOMMU ----

  get iommuEnabled(): boolean {
    return this.machine.iommu.enabled;
  }

  iommuMap(busPage: number, frame: number, writable: boolean): void {
    this.machine.cpu.compute(this.costs.iommuEntryWrite);
    this.machine.iommu.map(busPage, frame, writable);
  }

  iommuUnmap(busPage: number): void {
    this.machine.cpu.compute(this.costs.iommuEntryWrite);
    this.machine.iommu.unmap(busPage);
  }
}

