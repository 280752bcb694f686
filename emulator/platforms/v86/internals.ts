// The parts of v86's internals (npm package v86 0.5.x) that this platform uses, typed here
// once. The package's own typings (v86.d.ts) cover only the public emulator API; the CPU
// object behind `emulator.v86.cpu` is untyped. Names and layouts come from v86's source:
// src/cpu.js (the JS CPU object and its views into wasm memory), src/io.js (the port bus)
// and src/rust/cpu/cpu.rs (the exported wasm functions).

/** Functions the v86 wasm module exports that we call directly. */
export interface V86Exports {
  /** Drop every TLB entry, global ones included (cpu.rs `full_clear_tlb`). */
  full_clear_tlb(): void;
  /** Drop the TLB entries that are not global, as a CR3 write does (cpu.rs `clear_tlb`). */
  clear_tlb(): void;
  /** INVLPG with effective address `addr` (instructions.rs `instr32_0F01_7_mem`; #GP unless CPL 0). */
  instr32_0F01_7_mem(addr: number): void;
  /**
   * The JIT's probe for a read of `size` bytes at a linear address: walks the page tables
   * (setting A bits) and returns 0, or records a page fault (CR2, error code) and returns 1.
   * The fault is only recorded, not delivered: no IDT, no stack push.
   */
  readable_or_pagefault_jit(addr: number, size: number, eipOffsetInPage: number): number;
  /** The same for a write (sets D in the final entry). */
  writable_or_pagefault_jit(addr: number, size: number, eipOffsetAndTableIndex: number): number;
  /** The JIT's slow-path read: 1 on a page fault, else ((host address of the page) ^ addr) & ~0xFFF. */
  safe_read8_slow_jit(addr: number, eip: number): number;
  /** Forget code compiled from physical page `page` (jit.rs): memory there changed outside the CPU. */
  jit_dirty_page(page: number): void;
  readonly memory: WebAssembly.Memory;
}

/** v86's I/O port bus (src/io.js). Handlers run with `this` bound to `device`. */
export interface V86Io {
  register_read(port: number, device: object, r8?: () => number, r16?: () => number, r32?: () => number): void;
  register_write(port: number, device: object, w8?: (v: number) => void, w16?: (v: number) => void, w32?: (v: number) => void): void;
  port_read8(port: number): number;
  port_write8(port: number, value: number): void;
}

/**
 * The CPU object. Its register fields are views into wasm memory at fixed offsets; each
 * element access builds a fresh typed array (a Proxy in src/lib.js `view`), so hot loops
 * should read wasm memory through their own arrays instead (see V86Machine.ram()).
 */
export interface V86Cpu {
  readonly wm: { readonly exports: V86Exports };
  readonly wasm_memory: WebAssembly.Memory;
  readonly mem8: { readonly byteOffset: number; readonly length: number };
  readonly cr: Int32Array;
  readonly cpl: Uint8Array;
  readonly reg32: Int32Array;
  readonly instruction_pointer: Int32Array;
  readonly instruction_counter: Uint32Array;
  readonly in_hlt: Uint8Array;
  readonly flags: Int32Array;
  readonly protected_mode: Int32Array;
  readonly memory_size: Uint32Array;
  readonly io: V86Io;
  /** Run guest code for about one millisecond of (virtual) time, or until HLT. */
  main_loop(): number;
  device_raise_irq(irq: number): void;
  device_lower_irq(irq: number): void;
  /** Present when v86's own NE2000 was created (net_device type 'ne2k'). */
  readonly devices: { readonly net?: object };
}

/** EFLAGS.IF: interrupts enabled. */
export const FLAG_INTERRUPT = 1 << 9;
