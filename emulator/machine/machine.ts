// The PC: assembles the clock, memory, MMU and caches, CPU, port bus, PICs, timer, DMA
// engine and IOMMU from one config. Devices (devices/) attach to its port bus, IRQ lines
// and DMA engine; the kernel (guest/kernel/) runs on its CPU. It knows neither of them.

import { DataCache } from './cache.js';
import { Clock, type EventSource } from './clock.js';
import { machineConfig, type MachineConfig, type MachineOptions } from './config.js';
import { Cpu } from './cpu.js';
import { DmaEngine } from './dma.js';
import { Iommu } from './iommu.js';
import type { IrqLine } from './irq.js';
import { PhysicalMemory, type RamPool } from './memory.js';
import { Mmu } from './mmu.js';
import { Pic } from './pic.js';
import { Pit } from './pit.js';
import { PortBus } from './ports.js';
import { PrngFactory } from './prng.js';
import { Trace } from './trace.js';

export class Machine {
  readonly config: MachineConfig;
  readonly clock = new Clock();
  readonly trace: Trace;
  readonly random: PrngFactory;
  readonly memory: PhysicalMemory;
  readonly cache = new DataCache();
  readonly mmu: Mmu;
  readonly ports = new PortBus();
  readonly pic: Pic;
  readonly pit: Pit;
  readonly iommu: Iommu;
  readonly dma: DmaEngine;
  readonly cpu: Cpu;

  /** @param ram where the RAM buffer may come from (a sweep's pool of finished machines' RAM, memory.ts). */
  constructor(opts: MachineOptions = {}, ram?: RamPool) {
    const c = (this.config = machineConfig(opts));
    this.trace = new Trace(c.traceKeep);
    this.random = new PrngFactory(c.seed);
    this.memory = new PhysicalMemory(c.memoryBytes, undefined, ram);
    this.mmu = new Mmu(this.memory, this.cache, c.costs);
    // Event-source ranks follow this creation order: timer, then DMA, then devices as attached.
    this.pic = new Pic(this.clock, this.trace);
    this.pic.attach(this.ports);
    this.pit = new Pit(this.clock.source('pit'), this.trace, this.pic.line(0), c.cpuHz);
    this.pit.attach(this.ports);
    this.iommu = new Iommu(c.iommu);
    this.dma = new DmaEngine(this.clock.source('dma'), this.memory, this.iommu, this.trace, c.dma);
    // The Pentium snoops bus-master writes: DMA invalidates the cache lines it touches.
    this.dma.snoop = (phys, length, write) => {
      if (write) this.cache.invalidate(phys, length);
    };
    this.cpu = new Cpu(this.clock, this.memory, this.mmu, this.cache, this.ports, this.pic, c.costs, this.trace);
  }

  /** The current cycle (the CPU's time). */
  get now(): number {
    return this.cpu.cycle;
  }

  /** An event source for a device; its tie-breaking rank is its creation order. */
  eventSource(name: string): EventSource {
    return this.clock.source(name);
  }

  irq(n: number): IrqLine {
    return this.pic.line(n);
  }

  /** Run the CPU and devices until `cycle`, or until nothing is left to do. */
  runUntil(cycle: number): 'until' | 'idle' {
    return this.cpu.run(cycle);
  }

  runFor(cycles: number): 'until' | 'idle' {
    return this.cpu.run(this.cpu.cycle + cycles);
  }

  /** Microseconds of emulated time for a cycle count. */
  cyclesToMicros(cycles: number): number {
    return (cycles * 1e6) / this.config.cpuHz;
  }
}
