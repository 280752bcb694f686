// Invariant checks on a running composition (DESIGN.md §6): the kernel's own check (items 1,
// 2, 3, 5, 6, 7, against its records and the hardware) plus the checks that must see several
// layers at once, each independent of the record it checks:
//   item 1  per transfer: every DMA beat of the card lands in the frame pinned for the
//           descriptor it is executing (transfers.ts, watching every beat);
//   items 4, 5  from the frame table: every PTE of an untrusted domain maps a frame of its own
//           bank tree or a receive buffer read-only, and no receive buffer is writable
//           (guest/kernel/isolation.ts, given the trusted domains and the receive buffers);
//   item 8  liveness: no session's posted transmit work waits longer than a bound
//           (progress.ts, sampled at each check).
// Used between strides of a run, or after every event, by the tests and the boot scenario.

import type { Net } from './net.js';
import { ProgressMonitor } from './progress.js';
import { receiveBufferFrames, trustedDomains } from './records.js';
import { TransferWatch } from './transfers.js';

/** The checks that keep state across a run: made with the composition, before anything runs. */
export interface Watches {
  readonly transfers: TransferWatch;
  readonly progress: ProgressMonitor;
}

export function watch(w: Net): Watches {
  return { transfers: new TransferWatch(w), progress: new ProgressMonitor(w) };
}

/**
 * All violations now: the kernel invariants (without the free-frame zero scan unless asked),
 * DMA per transfer, isolation and read-only receive buffers from the frame table, and
 * liveness. Inside a kernel operation (an event that fired while the CPU was in supervisor
 * mode) only what must hold at every instant is checked: items 1 and 2.
 */
export function violations(w: Net, zeroScan = false): string[] {
  if (w.machine.cpu.mode === 'supervisor') return insideKernelViolations(w);
  return [
    ...w.kernel.checkInvariants({ zeroScan }),
    ...w.watch.transfers.violations,
    ...w.kernel.checkIsolation({ trusted: trustedDomains(w), receiveBuffers: receiveBufferFrames(w) }),
    ...w.watch.progress.check(),
  ];
}

/** What must hold at every instant, even inside a kernel operation: items 1 and 2. */
export function insideKernelViolations(w: Net): string[] {
  return [...w.kernel.checkInvariants({ zeroScan: false, insideKernel: true }), ...w.watch.transfers.violations];
}

/**
 * Run `body` (a stretch of the run, or a kernel operation that fires events while it works)
 * checking the invariants after every single event; throws at the first violation. Returns
 * how many checks ran.
 */
export function withEveryEventChecked(w: Net, body: () => void): number {
  let checks = 0;
  let bad: string[] = [];
  w.machine.clock.afterEvent = () => {
    checks++;
    if (bad.length === 0) bad = violations(w);
  };
  try {
    body();
  } finally {
    w.machine.clock.afterEvent = undefined;
  }
  throwIfAny(w, bad);
  return checks;
}

/** Run `cycles` checking the invariants after every single event. */
export function runCheckedEveryEvent(w: Net, cycles: number): number {
  return withEveryEventChecked(w, () => w.machine.runUntil(w.machine.now + cycles));
}

/** Run `cycles` in strides, checking the invariants after each; throws at the first violation. */
export function runChecked(w: Net, cycles: number, stride = 20_000): void {
  const end = w.machine.now + cycles;
  while (w.machine.now < end) {
    w.machine.runUntil(Math.min(end, w.machine.now + stride));
    throwIfAny(w, violations(w));
  }
}

function throwIfAny(w: Net, bad: string[]): void {
  if (bad.length > 0) throw new Error(`at cycle ${w.machine.now}:\n  ${bad.join('\n  ')}`);
}
