// Cycles the kernel charges for its bookkeeping steps (units of cpu.compute). Memory
// traffic (page-table reads and writes, zeroing) is charged by the CPU model itself; these
// are the instruction streams around it. All figures are estimates (~), sized as short
// Pentium code paths of the kind a small kernel such as EROS or L4 executed.

/** ~ Decode a system call and look up one capability slot (bounds, type, version). */
export const SYSCALL_DECODE = 30;
/** ~ Look up one further capability argument. */
export const CAP_LOOKUP = 10;
/** ~ Walk one bank of an ancestor chain to check or charge a limit. */
export const BANK_STEP = 6;
/** ~ Create or retire a kernel object (initialize its header, link it to its bank). */
export const OBJECT_SETUP = 40;
/** ~ Take a frame from, or give one to, the free list. */
export const FRAME_LIST_STEP = 8;
/** ~ Add or remove one reverse-map entry. */
export const RMAP_STEP = 10;
/** ~ Save one domain's registers and restore another's (besides the CR3 write). */
export const CONTEXT_SWITCH = 60;
/** ~ Move a message between domains: fixed part, and per word or capability. */
export const IPC_BASE = 40;
export const IPC_PER_ITEM = 4;
/** ~ Pin or unpin bookkeeping (token table, counts). */
export const PIN_STEP = 20;
/**
 * ~ The least a domain's code does between two preemption points (a compare and a branch).
 * Charged at every point so that even `for (;;) yield;` advances time: a domain cannot stop
 * the clock, and with it the timer that preempts it.
 */
export const PREEMPTION_POINT = 2;
