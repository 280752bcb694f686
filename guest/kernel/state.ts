// The kernel's state: the frame table, the domains and their threads, the interrupt
// routing, and the counters. Everything else hangs off the objects in it. One instance per
// booted kernel; the operation modules take it as their first argument.

import type { EventSource } from '../../emulator/machine/clock.js';
import type { Thread } from '../../emulator/machine/thread.js';
import type { Bank } from './banks.js';
import type { DevPriv } from './devpriv.js';
import type { Domain } from './domains.js';
import type { FrameTable } from './frames.js';
import type { Hardware } from './hardware.js';

/**
 * Defences switched off, for the red-team tests that show an attack succeeds without them
 * (test/security/). Never set by product code; every field is off by default.
 */
export interface UnsafeKernel {
  /** Boot without hardening the JavaScript realm (run in a process of its own: hardening cannot be undone). */
  readonly unhardenedRealm?: boolean;
  /** Copy system-call arguments with an object spread, which runs the caller's getters inside the kernel. */
  readonly trustArguments?: boolean;
  /** Call a new domain's body inside allocDomain, as the kernel once did. */
  readonly bodyInKernel?: boolean;
  /** Classify what a faulted thread threw with instanceof and read its fault words off it, which runs a thrown proxy's traps inside the kernel. */
  readonly classifyThrownByInstanceof?: boolean;
  /**
   * Single loads and stores, compute, and invokes that do not block are no preemption points
   * (the model before issue 9): a domain calling them in a loop keeps the CPU past its quantum.
   */
  readonly noPreemptionPoints?: boolean;
  // Planted bugs (emulator/cli/explore/bugs.ts): each removes one rule of DESIGN.md §4, so that
  // the explorer's sweeps can show their checks catch it.
  /** A revoked or freed page's pinned frame goes to the free list instead of quarantine (§4 revoke). */
  readonly freePinnedFrames?: boolean;
  /** Clearing a PTE of the running space issues no INVLPG (§6 item 3). */
  readonly skipTlbFlush?: boolean;
  /** exchange() moves pinned frames instead of refusing with busy (§4 exchange). */
  readonly exchangePinned?: boolean;
  /** A freed frame goes on the free list as clean (not to be zeroed), old bytes and all (§6 item 7). */
  readonly noZeroOnFree?: boolean;
}

export interface KernelState {
  readonly hw: Hardware;
  readonly unsafe: UnsafeKernel;
  readonly frames: FrameTable;
  /** Per frame: live pins that let the device write it (pin.ts). */
  readonly writablePins: Int32Array;
  /** The frames whose pin count is above 0 (pin.ts keeps it), so that a check at every instant visits only them. */
  readonly pinned: Set<number>;
  /** Per frame: its allocation epoch when its pin count last rose from 0. */
  readonly pinEpoch: Float64Array;
  /**
   * Per pinned frame: the bank charged (with its ancestors) for the frame its pins may
   * cost, the promised replacement or, once quarantined, the frame itself (pin.ts).
   */
  readonly reserveBank: (Bank | undefined)[];
  /** The root of the bank tree: every frame not reserved at boot. */
  readonly primeBank: Bank;
  /** Page directory used when no domain's space is loaded (maps nothing). */
  readonly kernelPd: number;
  /** Live domains in creation order (the round-robin order). */
  readonly domains: Domain[];
  readonly byThread: Map<Thread, Domain>;
  /** Device privileges created at boot, each with its live pin tokens. */
  readonly devprivs: DevPriv[];
  /** Device privilege by IRQ line. */
  readonly irqOwners: Map<number, DevPriv>;
  /** Shadow of the PICs' interrupt mask (master in bits 0-7, slave in 8-15). */
  irqMask: number;
  /** Per priority level: the domain holding the level's round-robin turn, and the tick (counters.ticks) and the cycle at which it got it (sched.ts). */
  readonly turns: Map<number, { readonly holder: Domain; readonly tick: number; readonly since: number }>;
  /** Cycles between two timer ticks: a scheduling quantum. */
  readonly quantum: number;
  nextId: number;
  nextToken: number;
  counters: KernelCounters;
  /** Where wait timeouts are scheduled (a one-shot timer, exact to the cycle). */
  readonly timeouts: EventSource;
  /** Violations the DMA bus observer saw as they happened (DESIGN.md §6 item 1). */
  readonly busViolations: string[];
  /**
   * Supervisor entries that were system calls changing no record the invariants read: frames,
   * banks and their objects, mappings, pins (syscalls.ts RECORDS_UNCHANGED). The incremental
   * checks skip their record-based parts across these (emulator/cli/scenario/incremental.ts).
   */
  quietEntries: number;
}

export interface KernelCounters {
  syscalls: number;
  switches: number;
  ticks: number;
  interrupts: number;
  faults: number;
  revokedMappings: number;
  quarantined: number;
  pins: number;
  unpins: number;
  dmaBeatsChecked: number;
}

export function newCounters(): KernelCounters {
  return { syscalls: 0, switches: 0, ticks: 0, interrupts: 0, faults: 0, revokedMappings: 0, quarantined: 0, pins: 0, unpins: 0, dmaBeatsChecked: 0 };
}
