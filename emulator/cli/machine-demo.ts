// A machine-only workload: a few guest threads doing paged memory work, a bus master
// streaming DMA writes at random times, and the timer interrupting, all drawn from the run
// seed. It shows what the machine does on its own, and it is the determinism test's
// workload: the same seed must give the same trace hash.

import { Machine } from '../machine/machine.js';
import { CR0_PG, CR0_WP, PTE_P, PTE_RW, PTE_US } from '../machine/paging.js';
import { endOfInterrupt, initPics, programTimer, timerReload } from '../machine/pcinit.js';
import type { GuestCode } from '../machine/thread.js';

export interface DemoOptions {
  seed: number;
  /** Emulated milliseconds to run. */
  millis: number;
  threads?: number;
}

export interface DemoReport {
  seed: number;
  cycles: number;
  traceHash: string;
  traceRecords: number;
  events: number;
  interrupts: number;
  dmaBeats: number;
  dmaBytes: number;
  tlbHits: number;
  tlbMisses: number;
  pageWalks: number;
  cacheHits: number;
  cacheMisses: number;
  idleCycles: number;
  threadCycles: Record<string, number>;
}

const PAGE_DIR = 0x100000; // page directory and tables live from 1 MiB
const DATA = 0x400000; // thread data frames from 4 MiB
const DMA_TARGET = 0xc00000;

export function runMachineDemo(opts: DemoOptions): DemoReport {
  const m = new Machine({ seed: opts.seed, memoryBytes: 16 << 20 });
  const cpu = m.cpu;
  const rnd = m.random.stream('demo');
  const mem = m.memory;
  const out = (p: number, v: number) => cpu.out(p, v, 1);

  // One page directory identity-maps 4 MiB..8 MiB for user threads through two page tables.
  for (let t = 0; t < 2; t++) {
    const pt = PAGE_DIR + 0x1000 * (t + 1);
    mem.write32(PAGE_DIR + (1 + t) * 4, pt | PTE_P | PTE_RW | PTE_US);
    for (let i = 0; i < 1024; i++) mem.write32(pt + i * 4, (DATA + t * 0x400000 + i * 0x1000) | PTE_P | PTE_RW | PTE_US);
  }

  let interrupts = 0;
  cpu.onInterrupt = (vector) => {
    interrupts++;
    endOfInterrupt(out, vector - 0x20);
    cpu.preempt();
  };

  const worker = (id: number): GuestCode =>
    (function* () {
      const r = m.random.stream(`demo-thread-${id}`);
      for (;;) {
        const va = 0x400000 + r.below(0x400000 - 64);
        switch (r.below(4)) {
          case 0:
            cpu.store32(va & ~3, r.nextU32());
            break;
          case 1:
            cpu.load32(va & ~3);
            break;
          case 2:
            yield* cpu.copy(0x400000 + r.below(0x1000) * 0x100, va, 64);
            break;
          default:
            cpu.compute(r.below(200));
        }
        yield;
      }
    })();

  cpu.spawn('boot', 'supervisor', 0, (function* () {
    initPics(out, 0x20, 0x28, [0]);
    programTimer(out, timerReload(1000));
    cpu.writeCr3(PAGE_DIR);
    cpu.writeCr0(CR0_PG | CR0_WP);
    for (let i = 0; i < (opts.threads ?? 3); i++) cpu.spawn(`worker-${i}`, 'user', PAGE_DIR, worker(i));
    cpu.interruptsEnabled = true;
  })());

  // A bus master writes 64–1514 bytes at random times and places.
  const dmaSource = m.eventSource('demo-dma');
  const scheduleDma = () => {
    dmaSource.after(1000 + rnd.below(20_000), () => {
      const len = 64 + rnd.below(1451);
      const data = new Uint8Array(len).fill(rnd.below(256));
      m.dma.write('demo', DMA_TARGET + rnd.below(0x100000), data);
      scheduleDma();
    });
  };
  scheduleDma();

  m.runUntil(Math.round((opts.millis * m.config.cpuHz) / 1000));

  return {
    seed: opts.seed,
    cycles: m.now,
    traceHash: m.trace.hash(),
    traceRecords: m.trace.count,
    events: m.clock.fired,
    interrupts,
    dmaBeats: m.dma.beats,
    dmaBytes: m.dma.bytes,
    tlbHits: m.mmu.tlb.hits,
    tlbMisses: m.mmu.tlb.misses,
    pageWalks: m.mmu.walks,
    cacheHits: m.cache.hits,
    cacheMisses: m.cache.misses,
    idleCycles: cpu.idleCycles,
    threadCycles: Object.fromEntries(cpu.threads.map((t) => [t.name, t.cycles])),
  };
}
