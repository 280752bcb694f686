// Cycles the kernel charges for its bookkeeping steps (units of cpu.compute): the one table
// of kernel costs. Memory traffic (page-table reads and writes, zeroing) and port I/O are
// charged by the CPU model itself; these are the instruction streams around it. All figures
// are estimates (~): the instruction count of a short Pentium code path of the kind a small
// kernel such as EROS or L4 executes for the step, at about one instruction per cycle (the
// Pentium pairs simple integer instructions). No figure is a measurement.
// A composition root or test may override any figure at boot (KernelConfig.costs).

export interface KernelCosts {
  /** ~ Decode a system call and look up one capability slot (bounds, type, version): ~30 instructions. */
  readonly syscallDecode: number;
  /** ~ Look up one further capability argument: an index, a version compare, a type compare. */
  readonly capLookup: number;
  /** ~ Walk one bank of an ancestor chain to check or charge a limit: load, add, compare, branch. */
  readonly bankStep: number;
  /** ~ Create or retire a kernel object (initialize its header, link it to its bank). */
  readonly objectSetup: number;
  /** ~ Take a frame from, or give one to, the free list (a stack push or pop and a state byte). */
  readonly frameListStep: number;
  /** ~ Add or remove one reverse-map entry (a hash-set insert or delete). */
  readonly rmapStep: number;
  /** ~ Save one domain's registers and restore another's (besides the CR3 write): PUSHA/POPA and segment loads. */
  readonly contextSwitch: number;
  /** ~ Move a message between domains: fixed part (~40 instructions: queue, state, wake-up). */
  readonly ipcBase: number;
  /** ~ Per word or capability a message carries: a load and a store. */
  readonly ipcPerItem: number;
  /** ~ Pin or unpin bookkeeping (token table, counts). */
  readonly pinStep: number;
  /** ~ Writing one IOMMU table entry plus its invalidation: an uncached store and a register write. */
  readonly iommuEntryWrite: number;
}

export const DEFAULT_KERNEL_COSTS: KernelCosts = Object.freeze({
  syscallDecode: 30,
  capLookup: 10,
  bankStep: 6,
  objectSetup: 40,
  frameListStep: 8,
  rmapStep: 10,
  contextSwitch: 60,
  ipcBase: 40,
  ipcPerItem: 4,
  pinStep: 20,
  iommuEntryWrite: 40,
});

/** The default table with `overrides` applied; throws RangeError on an unknown name or a bad figure. */
export function kernelCosts(overrides: Partial<KernelCosts> = {}): KernelCosts {
  const merged: Record<string, number> = { ...DEFAULT_KERNEL_COSTS };
  for (const [name, v] of Object.entries(overrides)) {
    if (!Object.hasOwn(DEFAULT_KERNEL_COSTS, name)) throw new RangeError(`unknown kernel cost '${name}'`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`kernel cost ${name} must be a finite number >= 0, got ${String(v)}`);
    merged[name] = v;
  }
  return Object.freeze(merged as unknown as KernelCosts);
}
