// The one cost table: how many CPU cycles each modeled action takes. Every figure names
// its source; estimates are marked "~". HARDWARE.md §1 is the specification; a machine
// config may override any entry.

export interface CostTable {
  /** INVLPG. Pentium instruction timings (Intel, Pentium Processor Family Developer's Manual vol. 3). */
  invlpg: number;
  /** MOV CR3 (the refills that follow are charged as TLB misses). Same source. */
  writeCr3: number;
  /** One level of a page walk whose entry is in the L1 cache. ~ derived from bus timing: ~6 per 2-level walk. */
  walkLevelCached: number;
  /** One level of a page walk that reads DRAM. ~ derived from bus timing: ~20 per 2-level walk. */
  walkLevelDram: number;
  /** INT into the kernel (protected mode, privilege change). Pentium timings give 27–82; ~70 with the stack switch. */
  interruptEntry: number;
  /** IRET back to the interrupted code. Pentium timings give 10–27; ~27 with a privilege change. */
  interruptReturn: number;
  /** A load or store that hits the L1 data cache. Pentium: 1 cycle. */
  cacheHit: number;
  /** A load that misses L1 and fills a 32-byte line from DRAM. ~ 3-1-1-1 burst at 66 MHz plus DRAM latency. */
  lineFill: number;
  /** A store that misses L1 (no write-allocate on the P54C; it goes to the write buffer). ~ estimate. */
  storeMiss: number;
  /** Bulk copy from a memory-resident source, per byte. ~2.3: measured Pentium memory bandwidth ≈ 58 MB/s. */
  copyMemoryPerByte: number;
  /** Bulk copy from a cache-resident source, per byte. ~0.25: estimate. */
  copyCachePerByte: number;
  /** Internet checksum over data, per byte. ~1: estimate. */
  checksumPerByte: number;
  /** One IN or OUT to a PCI card. ~33 (≈0.25 µs on PCI); ISA would be ~4× more. */
  portIo: number;
  /** A synchronous abstract unit of compute that guest code charges with cpu.compute(). */
  computeUnit: number;
  /**
   * ~ The least guest code does between two preemption points (a compare and a branch).
   * Charged at every point, so that even `for (;;) yield;` advances time: no thread can stop
   * the clock, and with it the timer that would preempt it. Estimate.
   */
  preemptionPoint: number;
}

export const DEFAULT_COSTS: Readonly<CostTable> = Object.freeze({
  invlpg: 25,
  writeCr3: 22,
  walkLevelCached: 3,
  walkLevelDram: 10,
  interruptEntry: 70,
  interruptReturn: 27,
  cacheHit: 1,
  lineFill: 24,
  storeMiss: 3,
  copyMemoryPerByte: 2.3,
  copyCachePerByte: 0.25,
  checksumPerByte: 1,
  portIo: 33,
  computeUnit: 1,
  preemptionPoint: 2,
});
