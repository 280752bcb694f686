// The machine's configuration: every hardware default of HARDWARE.md §1 as a parameter,
// with validation that names the bad field instead of failing later.

import { DEFAULT_COSTS, type CostTable } from './costs.js';
import { DEFAULT_DMA_TIMING, type DmaTiming } from './dma.js';
import { FRAME_SIZE } from './memory.js';

export interface MachineConfig {
  /** Run seed: every random stream of the run derives from it. */
  seed: number;
  /** CPU clock in Hz (default 133 MHz, P54C class). */
  cpuHz: number;
  /** RAM in bytes (default 32 MiB). */
  memoryBytes: number;
  /** Put an IOMMU between bus masters and memory (default off: Pentium chipsets had none). */
  iommu: boolean;
  /** Trace entries to keep in memory besides the hash (0: hash only). */
  traceKeep: number;
  costs: CostTable;
  dma: DmaTiming;
}

export const DEFAULT_MACHINE_CONFIG: Readonly<MachineConfig> = Object.freeze({
  seed: 1,
  cpuHz: 133_000_000,
  memoryBytes: 32 * 1024 * 1024,
  iommu: false,
  traceKeep: 0,
  costs: DEFAULT_COSTS,
  dma: DEFAULT_DMA_TIMING,
});

export type MachineOptions = Partial<Omit<MachineConfig, 'costs' | 'dma'>> & {
  costs?: Partial<CostTable>;
  dma?: Partial<DmaTiming>;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function machineConfig(opts: MachineOptions = {}): MachineConfig {
  const c: MachineConfig = {
    ...DEFAULT_MACHINE_CONFIG,
    ...opts,
    costs: { ...DEFAULT_COSTS, ...opts.costs },
    dma: { ...DEFAULT_DMA_TIMING, ...opts.dma },
  };
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new ConfigError(what);
  };
  need(Number.isSafeInteger(c.seed), `seed must be an integer, got ${c.seed}`);
  need(Number.isSafeInteger(c.cpuHz) && c.cpuHz > 0, `cpuHz must be a positive integer, got ${c.cpuHz}`);
  need(
    Number.isSafeInteger(c.memoryBytes) && c.memoryBytes >= 16 * FRAME_SIZE && c.memoryBytes % FRAME_SIZE === 0 && c.memoryBytes <= 4 * 1024 ** 3,
    `memoryBytes must be a multiple of 4096 between 64 KiB and 4 GiB, got ${c.memoryBytes}`,
  );
  need(Number.isSafeInteger(c.traceKeep) && c.traceKeep >= 0, `traceKeep must be a non-negative integer`);
  for (const [k, v] of Object.entries(c.costs)) need(typeof v === 'number' && v >= 0 && Number.isFinite(v), `cost '${k}' must be a non-negative number, got ${v}`);
  for (const [k, v] of Object.entries(c.dma)) need(Number.isSafeInteger(v) && v >= 0, `dma timing '${k}' must be a non-negative integer, got ${v}`);
  need(c.dma.maxBurstBeats >= 1 && c.dma.cpuCyclesPerPciClock >= 1, 'dma: maxBurstBeats and cpuCyclesPerPciClock must be at least 1');
  return c;
}
