// Starts v86 (the npm package) headlessly, with no BIOS and deterministic time, in node or in
// a browser worker alike: the caller hands over v86's wasm (start.ts reads it from
// node_modules in node; the page's x86 worker fetches it), so nothing here needs a file system.
//
// v86 needs no BIOS for a multiboot image: its CPU init (src/cpu.js `load_multiboot_option_rom`)
// finds the multiboot header, and when no BIOS was given it loads the image, fills the
// multiboot info at 0x7C00 and enters the kernel in 32-bit protected mode at once (EAX =
// 0x2BADB002, EBX = info). Without an image it leaves a bare CPU whose memory and registers
// we drive ourselves (the MMU oracle does that).
//
// Determinism: v86 asks the host for time through the wasm import `microtick` (its main
// loop slices, the PIT timers, RDTSC) and the same-named static of its JS class, and for
// entropy through `get_rand_int`. We supply all three: time is the count of retired
// instructions (plus cycles spent idle in HLT) at a fixed rate, entropy a seeded PRNG. Its
// RTC reads Date.now() directly (CMOS date and time, IRQ 8 periodic/alarm/update
// interrupts): rtc.ts puts it on a fixed epoch plus that virtual time. Its JIT compiles hot
// code asynchronously, on the host's schedule, and compiled code ends main_loop slices at
// other instruction counts than the interpreter; devices catch up at slice ends, so the JIT
// is off unless the caller asks for speed over reproducibility (`jit: true`).
// (v86's own NE2000, used only by the benchmark, draws its MAC from Math.random.) The emulator is never
// `run()`: the caller steps it with `cpu.main_loop()`, so no host timer drives it.

import { V86 } from 'v86';
import { Prng } from '../../machine/prng.js';
import type { V86Cpu } from './internals.js';
import { DEFAULT_RTC_EPOCH_MS, virtualizeRtc } from './rtc.js';

/** RAM when the caller does not say: 32 MiB, the machine's default (HARDWARE.md §1). */
export const DEFAULT_V86_MEMORY = 32 * 1024 * 1024;
/** Cycles per second of the virtual time base: the machine's 133 MHz clock (HARDWARE.md §1). */
export const DEFAULT_CPU_HZ = 133_000_000;

export interface V86StartOptions {
  /** Guest RAM in bytes (a multiple of 1 MiB). */
  memoryBytes?: number;
  /** A multiboot image to load and enter (validate it first: see multiboot.ts). */
  multiboot?: Uint8Array;
  /** Keep v86's own NE2000 at 0x300 (the bench compares it with ours). Default: no card. */
  builtinNe2k?: boolean;
  /** Virtual clock rate in cycles per second; one retired instruction counts one cycle. */
  cpuHz?: number;
  /** Seed of the entropy v86 asks for. */
  seed?: number;
  /**
   * Let v86 compile hot code to wasm (several times faster). Compilation finishes on the
   * host's schedule, which moves where slices end and so when devices catch up: runs are
   * then not reproducible cycle for cycle. Default false.
   */
  jit?: boolean;
  /** The CMOS date and time at cycle 0, in Unix milliseconds (default 2000-01-01 00:00:00 UTC). */
  rtcEpochMs?: number;
}

/** v86's wasm (build/v86.wasm of the package): compiled, or its bytes. */
export type V86Wasm = WebAssembly.Module | BufferSource;

/**
 * The virtual time base: cycles = retired instructions + idle cycles. v86's instruction
 * counter is a wrapping u32, so we accumulate its deltas.
 */
export class InstructionTime {
  private total = 0;
  private last = 0;
  private idle = 0;
  private cpu: V86Cpu | undefined;
  /**
   * Our own view of the counter: the CPU's field is a Proxy that builds a typed array on
   * every read (src/lib.js `view`), too slow for a read before every port access.
   */
  private counter = new Uint32Array(0);

  constructor(readonly cpuHz: number) {}

  attach(cpu: V86Cpu): void {
    this.cpu = cpu;
    this.last = this.read();
  }

  private read(): number {
    const cpu = this.cpu!;
    if (this.counter.length === 0) {
      // First use, or v86 grew its wasm memory (which detaches old views: length 0).
      this.counter = new Uint32Array(cpu.wasm_memory.buffer, cpu.instruction_counter.byteOffset, 1);
    }
    return this.counter[0]!;
  }

  /** Cycles since start. */
  cycles(): number {
    if (this.cpu) {
      const now = this.read();
      this.total += (now - this.last) >>> 0;
      this.last = now;
    }
    return this.total + this.idle;
  }

  /** Let `cycles` pass with the CPU idle (halted, waiting for a device). */
  skip(cycles: number): void {
    if (cycles > 0) this.idle += cycles;
  }

  /** v86's `microtick`: milliseconds of virtual time. */
  milliseconds(): number {
    return this.cycles() / (this.cpuHz / 1000);
  }
}

export interface V86Instance {
  readonly emulator: V86;
  readonly cpu: V86Cpu;
  readonly time: InstructionTime;
  /** Guest RAM as bytes (re-derived if v86 grew its wasm memory, which detaches old views). */
  ram(): Uint8Array;
  destroy(): Promise<void>;
}

/** Start v86 on `wasm` (see start.ts for node, where the package's file is read). */
export async function startV86With(wasm: V86Wasm, opts: V86StartOptions = {}): Promise<V86Instance> {
  const memoryBytes = opts.memoryBytes ?? DEFAULT_V86_MEMORY;
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 1 << 20 || memoryBytes % (1 << 20) !== 0) {
    throw new RangeError(`v86 memory must be a whole number of MiB (at least 1), got ${memoryBytes}`);
  }
  const time = new InstructionTime(opts.cpuHz ?? DEFAULT_CPU_HZ);
  const entropy = new Prng(opts.seed ?? 0, 'v86.entropy');
  // v86 swallows a failure of its wasm set-up (it never emits 'emulator-loaded'): catch it
  // here so that the caller gets the error instead of waiting forever.
  let failed: (e: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const options = {
    wasm_fn: async (imports: WebAssembly.Imports) => {
      const env = imports.env as Record<string, unknown>;
      env.microtick = () => time.milliseconds();
      env.get_rand_int = () => entropy.nextU32() | 0;
      try {
        const instance = wasm instanceof WebAssembly.Module ? await WebAssembly.instantiate(wasm, imports) : (await WebAssembly.instantiate(wasm, imports)).instance;
        return instance.exports;
      } catch (e) {
        failed(e);
        throw e;
      }
    },
    memory_size: memoryBytes,
    vga_memory_size: 1 << 20,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    disable_jit: !opts.jit,
    net_device: { type: opts.builtinNe2k ? 'ne2k' : 'none' },
    ...(opts.multiboot ? { multiboot: { buffer: opts.multiboot.slice().buffer } } : {}),
  };
  const emulator = new V86(options as ConstructorParameters<typeof V86>[0]);
  await Promise.race([new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', () => resolve())), failure]);
  const inner = (emulator as unknown as { v86: { cpu: V86Cpu; constructor: { microtick: () => number } } }).v86;
  const cpu = inner.cpu;
  time.attach(cpu); // counting starts from the instructions retired so far (none)
  // v86's JS-side devices (the PIT's counter reads and reloads, the RTC) call the class's
  // static `microtick`, the host's clock by default: point it at virtual time too. It is
  // process-wide, so it follows the most recently started instance (runs are sequential).
  inner.constructor.microtick = () => time.milliseconds();
  virtualizeRtc(cpu, () => time.milliseconds(), opts.rtcEpochMs ?? DEFAULT_RTC_EPOCH_MS);
  let ram = new Uint8Array(0);
  return {
    emulator,
    cpu,
    time,
    ram() {
      const buf = cpu.wasm_memory.buffer;
      if (ram.length === 0 || ram.buffer !== buf) ram = new Uint8Array(buf, cpu.mem8.byteOffset, cpu.mem8.length);
      return ram;
    },
    destroy: () => emulator.destroy(),
  };
}
