// v86's paging unit as an oracle: load page tables into v86's RAM, set CR0/CR3/CR4 and the
// privilege level, and ask v86 to translate one access, reading back the physical address
// or the page fault (CR2 and error code) and leaving behind the A/D bits its walk set.
//
// How: v86's CPU is Rust compiled to wasm. Its JIT slow paths are exported and perform a
// real walk through `do_page_walk` (src/rust/cpu/cpu.rs): `readable_or_pagefault_jit` and
// `writable_or_pagefault_jit` return 1 after recording a fault, 0 after a successful walk
// (which fills v86's TLB); `safe_read8_slow_jit` then returns the host address of the page
// from that TLB entry without walking again. A recorded fault is not delivered (no IDT is
// needed): CR2 is in `cpu.cr[2]` and the error code in the JIT's pending exception
// (`jit_exit_reason`, a Rust static). That static has no export, so `locate()` finds its
// address once by provoking six faults with known, distinct error codes and keeping the one
// word of wasm memory that took exactly those values.

import { CR0_PG, CR0_WP, PF_P, PF_U, PF_W, PTE_P, PTE_US } from '../../machine/paging.js';
import type { V86Exports } from './internals.js';
import { startV86, type V86Instance } from './start.js';

/** CR0.PE: protected mode, which paging requires. */
const CR0_PE = 1;
/** v86's CPL for a user-mode access. */
const USER_CPL = 3;
/** v86 serves these physical ranges from device handlers, not RAM (src/rust/cpu/memory.rs in_mapped_range). */
const VGA_WINDOW_START = 0xa0000;
const VGA_WINDOW_END = 0xc0000;

export type ProbeResult =
  | { readonly fault: false; readonly phys: number }
  | { readonly fault: true; readonly code: number; readonly cr2: number };

export class V86PagingProbe {
  private errorCodeWord = -1;
  private readonly exports: V86Exports;

  private constructor(readonly v86: V86Instance) {
    this.exports = v86.cpu.wm.exports;
  }

  static async start(memoryBytes?: number): Promise<V86PagingProbe> {
    const probe = new V86PagingProbe(await startV86(memoryBytes === undefined ? {} : { memoryBytes }));
    probe.v86.cpu.protected_mode[0] = 1;
    probe.locate();
    return probe;
  }

  ram(): Uint8Array {
    return this.v86.ram();
  }

  /** Load control registers (PE is forced on: paging needs protected mode) and empty the TLB. */
  setControl(cr0: number, cr3: number, cr4: number): void {
    const cpu = this.v86.cpu;
    cpu.cr[0] = cr0 | CR0_PE;
    cpu.cr[3] = cr3;
    cpu.cr[4] = cr4;
    this.flushTlb();
  }

  flushTlb(): void {
    this.exports.full_clear_tlb();
  }

  /** INVLPG `va`, at CPL 0 (v86 drops the one 4 KiB entry for `va`). */
  invlpg(va: number): void {
    this.v86.cpu.cpl[0] = 0;
    this.exports.instr32_0F01_7_mem(va | 0);
  }

  /** Reload CR3 with its current value: v86 drops every non-global TLB entry. */
  reloadCr3(): void {
    this.exports.clear_tlb();
  }

  /** One access of one byte at linear address `va`, through v86's TLB and page walk. */
  access(va: number, write: boolean, user: boolean): ProbeResult {
    const cpu = this.v86.cpu;
    cpu.cpl[0] = user ? USER_CPL : 0;
    const failed = write ? this.exports.writable_or_pagefault_jit(va | 0, 1, 0) : this.exports.readable_or_pagefault_jit(va | 0, 1, 0);
    if (failed !== 0) return { fault: true, code: this.errorCode(), cr2: cpu.cr[2]! >>> 0 };
    // The walk left a TLB entry allowing this access; a read through it does not walk again.
    const ret = this.exports.safe_read8_slow_jit(va | 0, 0);
    const hostPage = ((ret ^ va) & ~0xfff) >>> 0;
    const phys = hostPage - cpu.mem8.byteOffset + (va & 0xfff);
    if (phys < 0 || phys >= cpu.mem8.length || (phys >= VGA_WINDOW_START && phys < VGA_WINDOW_END)) {
      throw new Error(`v86 translated 0x${(va >>> 0).toString(16)} outside plain RAM; the probe only reads RAM-backed pages`);
    }
    return { fault: false, phys };
  }

  private errorCode(): number {
    return new Int32Array(this.v86.cpu.wasm_memory.buffer, this.errorCodeWord, 1)[0]!;
  }

  /** Find the word of wasm memory holding the pending page fault's error code (see the file comment). */
  private locate(): void {
    const cpu = this.v86.cpu;
    const ram = this.ram();
    const dv = new DataView(ram.buffer, ram.byteOffset, ram.length);
    // A scratch directory and table in the top two frames of RAM: PDE 1 -> table; PTE 0
    // user read-only, PTE 1 supervisor read-only; PDE 2 absent.
    const pd = ram.length - 0x2000;
    const pt = ram.length - 0x1000;
    const saved = ram.slice(pd);
    ram.fill(0, pd);
    dv.setUint32(pd + 4, pt | 0x7, true);
    dv.setUint32(pt + 0, 0x200000 | PTE_P | PTE_US, true);
    dv.setUint32(pt + 4, 0x201000 | PTE_P, true);
    this.setControl(CR0_PG | CR0_WP, pd, 0);
    const provoke: [number, boolean, boolean, number][] = [
      [0x400000, true, true, PF_P | PF_W | PF_U],
      [0x800000, true, false, PF_W],
      [0x401000, false, true, PF_P | PF_U],
      [0x800000, false, false, 0],
      [0x800000, false, true, PF_U],
      [0x400000, true, false, PF_P | PF_W],
    ];
    let candidates: number[] | undefined;
    for (const [va, write, user, code] of provoke) {
      this.flushTlb();
      cpu.cpl[0] = user ? USER_CPL : 0;
      const failed = write ? this.exports.writable_or_pagefault_jit(va, 1, 0) : this.exports.readable_or_pagefault_jit(va, 1, 0);
      if (failed === 0) throw new Error('v86 paging probe: a calibration access did not fault; this v86 build behaves unexpectedly');
      // Rust statics lie below the heap that holds guest RAM.
      const words = new Int32Array(cpu.wasm_memory.buffer, 0, cpu.mem8.byteOffset >>> 2);
      if (!candidates) {
        candidates = [];
        for (let i = 0; i < words.length; i++) if (words[i] === code) candidates.push(i);
      } else {
        candidates = candidates.filter((i) => words[i] === code);
      }
    }
    ram.set(saved, pd);
    this.setControl(0, 0, 0);
    cpu.cpl[0] = 0;
    if (candidates?.length !== 1) {
      throw new Error(`v86 paging probe: cannot locate the page-fault error code (${candidates?.length ?? 0} candidate words); this v86 build differs from 0.5.x`);
    }
    this.errorCodeWord = candidates[0]! * 4;
  }

  destroy(): Promise<void> {
    return this.v86.destroy();
  }
}
