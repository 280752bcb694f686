// 32-bit x86 paging constants (HARDWARE.md §2; Intel SDM vol. 3A §4.3): entry bits,
// control-register bits and page-fault error-code bits, named once.

export const PTE_P = 1 << 0; // present
export const PTE_RW = 1 << 1; // writable
export const PTE_US = 1 << 2; // user-accessible
export const PTE_PWT = 1 << 3;
export const PTE_PCD = 1 << 4;
export const PTE_A = 1 << 5; // accessed: set by the walk
export const PTE_D = 1 << 6; // dirty: set on the first write (final-level entry only)
export const PDE_PS = 1 << 7; // in a PDE with CR4.PSE: maps a 4 MiB page
export const PTE_G = 1 << 8; // global: ignored on this CPU (no CR4.PGE on the P54C)
export const PTE_AVAIL_MASK = 0x7 << 9; // bits 9–11, free for software
export const PTE_FRAME_MASK = 0xfffff000;
export const PDE_4M_FRAME_MASK = 0xffc00000;
/** Bits 21:13 of a 4 MiB PDE must be zero on a CPU without PSE-36 (bit 12 is PAT on later CPUs and ignored here). */
export const PDE_4M_RESERVED_MASK = 0x003fe000;

export const CR0_PG = 1 << 31;
export const CR0_WP = 1 << 16;
export const CR4_PSE = 1 << 4;

// Page-fault error code (pushed by the CPU; CR2 holds the linear address).
export const PF_P = 1 << 0; // 0: not present, 1: protection violation
export const PF_W = 1 << 1; // the access was a write
export const PF_U = 1 << 2; // the access was made in user mode (CPL 3)
export const PF_RSVD = 1 << 3; // a reserved bit was set in a paging entry

export const PAGE_SIZE = 4096;
export const LARGE_PAGE_SIZE = 4 * 1024 * 1024;

export function pdeIndex(va: number): number {
  return va >>> 22;
}
export function pteIndex(va: number): number {
  return (va >>> 12) & 0x3ff;
}
