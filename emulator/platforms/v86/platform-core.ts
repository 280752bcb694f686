// The second platform of DESIGN.md §2: a real x86 CPU (v86) under our devices. It offers
// devices what the built-in machine offers them — a port bus, event sources on one clock,
// IRQ lines, a bus-master DMA engine over physical memory and the trace — so the same card
// and wire run unchanged while real machine code drives them:
//
// - ports: claims land on v86's I/O bus (ports.ts);
// - IRQ n: v86's 8259 pair (`device_raise_irq` / `device_lower_irq`);
// - DMA: our DmaEngine over v86's RAM, wrapped in PhysicalMemory without copying (and
//   re-wrapped when v86 grows its wasm memory); written pages are marked dirty for v86's JIT;
// - time: our Clock counts v86's retired instructions as cycles (start-core.ts), caught up before
//   every port access and after every slice v86 runs, and jumped forward over HLT.
//
// It also runs a multiboot image: COM1 output goes to a callback, a write to port 0xF4 (an
// isa-debug-exit style port) ends the run with the written value as exit code, and the run
// gives up after an emulated-cycle limit or a wall-clock timeout.
//
// This is not a composition root: it knows no device. emulator/cli/x86-session.ts attaches
// the card. Nor does it know where v86's wasm comes from: platform.ts reads it in node, the
// page's x86 worker fetches it, so this file runs in both.

import { Clock, type EventSource } from '../../machine/clock.js';
import { DmaEngine } from '../../machine/dma.js';
import { Iommu } from '../../machine/iommu.js';
import type { IrqLine } from '../../machine/irq.js';
import { PhysicalMemory } from '../../machine/memory.js';
import { PrngFactory } from '../../machine/prng.js';
import { Trace } from '../../machine/trace.js';
import { FLAG_INTERRUPT } from './internals.js';
import { checkMultiboot } from './multiboot.js';
import { V86Ports } from './ports.js';
import { DEFAULT_CPU_HZ, DEFAULT_V86_MEMORY, startV86With, type V86Instance, type V86Wasm } from './start-core.js';

/** The isa-debug-exit style port: a byte written here ends the run with that exit code. */
export const EXIT_PORT = 0xf4;
/** v86's own 8259 pair takes IRQs 0–15. */
const IRQ_LINES = 16;

export interface V86PlatformOptions {
  memoryBytes?: number;
  cpuHz?: number;
  seed?: number;
  /** Trace entries to keep in memory besides the hash. */
  traceKeep?: number;
  /** Keep v86's own NE2000 at 0x300 instead of leaving the slot to ours (for comparisons). */
  builtinNe2k?: boolean;
  /** Let v86's JIT compile hot code: faster, but not reproducible cycle for cycle (start-core.ts). */
  jit?: boolean;
  /** The host's clock in milliseconds, for --timeout-ms and pacing (tests inject a fake one). */
  wallClock?: () => number;
}

export interface RunLimits {
  /** Give up after this many emulated cycles (deterministic). */
  maxCycles?: number;
  /** Give up after this much host time. */
  timeoutMs?: number;
  /**
   * Never let emulated time run ahead of the wall clock (a real network peer answers in real
   * time, DESIGN.md §3). A guest halted with no device event pending then waits for the host
   * (a datagram) instead of being reported stuck.
   */
  paceToWallClock?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One turn of the host's event loop: setImmediate in node; a MessageChannel round trip in a
 * browser worker, which has no setImmediate and whose setTimeout(0) is clamped to 4 ms.
 */
const nextTurn: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise<void>((resolve) => setImmediate(resolve))
    : () =>
        new Promise<void>((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            channel.port1.close();
            resolve();
          };
          channel.port2.postMessage(undefined);
        });
const hostClock = () => performance.now(); // wall-clock ok: --timeout-ms and pacing only

export type RunResult =
  | { readonly kind: 'exit'; readonly code: number; readonly cycles: number }
  | { readonly kind: 'timeout'; readonly cycles: number; readonly reason: string }
  | { readonly kind: 'stuck'; readonly cycles: number; readonly reason: string };

class GuestExit {
  constructor(readonly code: number) {}
}

export class V86PlatformCore {
  readonly clock = new Clock();
  readonly trace: Trace;
  readonly random: PrngFactory;
  readonly memory: PhysicalMemory;
  readonly dma: DmaEngine;
  readonly ports: V86Ports;
  readonly cpuHz: number;
  /** COM1 bytes as the guest writes them. */
  onSerial: (byte: number) => void = () => {};
  private exitCode: number | undefined;
  private readonly wallClock: () => number;

  protected constructor(
    readonly v86: V86Instance,
    opts: V86PlatformOptions,
  ) {
    this.cpuHz = opts.cpuHz ?? DEFAULT_CPU_HZ;
    this.wallClock = opts.wallClock ?? hostClock;
    this.trace = new Trace(opts.traceKeep ?? 0);
    this.random = new PrngFactory(opts.seed ?? 1);
    const ram = v86.ram();
    this.memory = new PhysicalMemory(ram.length, ram);
    this.dma = new DmaEngine(this.clock.source('dma'), this.memory, new Iommu(false), this.trace);
    // Bus-master writes change guest memory behind v86's back: tell its JIT, which would
    // otherwise keep running code it compiled from a page the card overwrote.
    // (A beat never crosses a page: bursts stop at 4 KiB boundaries.)
    const exports = v86.cpu.wm.exports;
    this.dma.snoop = (phys, _length, write) => {
      if (write) exports.jit_dirty_page(phys >>> 12);
    };
    this.ports = new V86Ports(v86.cpu.io, () => this.catchUp());
    v86.emulator.add_listener('serial0-output-byte', (byte: number) => this.onSerial(byte));
    const exit = (value: number) => {
      this.exitCode = value & 0xff;
      throw new GuestExit(value & 0xff);
    };
    v86.cpu.io.register_write(EXIT_PORT, this, exit, exit, exit);
  }

  /** Start v86 on `wasm` with a multiboot image (checked first: a bad image throws MultibootError). */
  static async bootWith(wasm: V86Wasm, image: Uint8Array, opts: V86PlatformOptions = {}): Promise<V86PlatformCore> {
    return new V86PlatformCore(await V86PlatformCore.startFor(wasm, image, opts), opts);
  }

  /** The v86 instance `bootWith` wraps (for a subclass that finds the wasm itself: platform.ts). */
  protected static async startFor(wasm: V86Wasm, image: Uint8Array, opts: V86PlatformOptions): Promise<V86Instance> {
    const memoryBytes = opts.memoryBytes ?? DEFAULT_V86_MEMORY;
    checkMultiboot(image, memoryBytes);
    return startV86With(wasm, { memoryBytes, multiboot: image, builtinNe2k: opts.builtinNe2k ?? false, jit: opts.jit ?? false, cpuHz: opts.cpuHz ?? DEFAULT_CPU_HZ, seed: opts.seed ?? 1 });
  }

  /** The current cycle: v86's retired instructions plus idle time. */
  get now(): number {
    return this.v86.time.cycles();
  }

  eventSource(name: string): EventSource {
    return this.clock.source(name);
  }

  irq(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 0 || n >= IRQ_LINES) throw new RangeError(`IRQ ${n}: v86's PICs have lines 0–15`);
    const cpu = this.v86.cpu;
    return { raise: () => cpu.device_raise_irq(n), lower: () => cpu.device_lower_irq(n) };
  }

  /** Fire every device event due by v86's current cycle. */
  catchUp(): void {
    // v86 grows its wasm memory as its JIT needs room, which detaches every view of the old
    // buffer (their length becomes 0): follow the RAM to its new place.
    if (this.memory.bytes.length === 0) this.memory.rebind(this.v86.ram());
    this.clock.runUntil(this.now);
  }

  /** Run the guest until it writes the exit port, stalls, or a limit passes. */
  async run(limits: RunLimits = {}): Promise<RunResult> {
    const cpu = this.v86.cpu;
    const maxCycles = limits.maxCycles ?? Infinity;
    const startWall = this.wallClock();
    const deadline = limits.timeoutMs === undefined ? Infinity : startWall + limits.timeoutMs;
    const startCycle = this.now;
    for (;;) {
      if (this.exitCode !== undefined) return { kind: 'exit', code: this.exitCode, cycles: this.now };
      try {
        cpu.main_loop();
      } catch (e) {
        if (!(e instanceof GuestExit)) throw e;
      }
      if (this.exitCode !== undefined) {
        this.catchUp();
        return { kind: 'exit', code: this.exitCode, cycles: this.now };
      }
      this.catchUp();
      if (cpu.in_hlt[0]) {
        if ((cpu.flags[0]! & FLAG_INTERRUPT) === 0) return { kind: 'stuck', cycles: this.now, reason: 'the guest halted with interrupts disabled' };
        // Idle until the next device event (which may raise the IRQ that wakes it).
        if (this.clock.nextAt === Infinity) {
          if (!limits.paceToWallClock) return { kind: 'stuck', cycles: this.now, reason: 'the guest waits in HLT and no device event is pending' };
          await sleep(1); // only the host (a socket) can wake it
        } else {
          this.v86.time.skip(this.clock.nextAt - this.now);
          this.catchUp();
        }
      }
      if (this.now >= maxCycles) return { kind: 'timeout', cycles: this.now, reason: `no exit within ${maxCycles} emulated cycles` };
      if (this.wallClock() > deadline) return { kind: 'timeout', cycles: this.now, reason: `no exit within ${limits.timeoutMs} ms` };
      if (limits.paceToWallClock) {
        // Wait until the wall clock has caught up with emulated time (in steps, so that a
        // datagram arriving meanwhile is handled).
        for (let ahead = this.emulatedMs(startCycle) - (this.wallClock() - startWall); ahead > 0; ahead = this.emulatedMs(startCycle) - (this.wallClock() - startWall)) {
          await sleep(Math.min(Math.ceil(ahead), 10));
        }
      }
      // v86's JIT compiles hot code into wasm modules asynchronously: without a turn of the
      // event loop now and then, the guest would stay in the interpreter.
      await nextTurn();
    }
  }

  private emulatedMs(fromCycle: number): number {
    return (this.now - fromCycle) / (this.cpuHz / 1000);
  }

  destroy(): Promise<void> {
    return this.v86.destroy();
  }
}
