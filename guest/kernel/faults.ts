// Faults (DESIGN.md §4 "Domain": a keeper to which faults are delivered as messages).
//
// Choice (issue 4): a page fault is never resolved by the kernel (no demand paging); the
// CPU throws it into the domain code as a MemoryFault, aborting that access. Domain code
// that can survive it catches it: that is how the driver aborts just the one operation on
// client memory the client revoked. A fault that escapes the domain's body ends the domain,
// and the kernel sends its keeper a message: label FAULT_LABEL, words [linear address,
// error code] (or [0, UNCAUGHT_EXCEPTION] for any other exception), through the keeper
// capability, whose badge tells the keeper which domain it was.

import { PageFault } from '../../emulator/machine/cpu.js';
import type { Thread } from '../../emulator/machine/thread.js';
import { R_WRITE, lookup } from './caps.js';
import { FAULT_LABEL, kernelSend } from './ipc.js';
import { stopDomain } from './revoke.js';
import type { KernelState } from './state.js';

export const UNCAUGHT_EXCEPTION = 0xffffffff;

/** The CPU's page-fault hook: record the fault for the keeper; never resolve it. */
export function onPageFault(k: KernelState, fault: PageFault, thread: Thread | undefined): boolean {
  const d = thread ? k.byThread.get(thread) : undefined;
  if (d) d.fault = { va: fault.linear, code: fault.errorCode };
  k.counters.faults++;
  return false;
}

/** The old classification, for the test that switches the defence off: instanceof and property reads, on whatever was thrown. */
function thrownFaultWords(e: unknown): { linear: number; errorCode: number } | undefined {
  return e instanceof PageFault ? { linear: e.linear, errorCode: e.errorCode } : undefined;
}

/** The CPU's thread-exit hook: a domain's body returned or threw. */
export function onThreadExit(k: KernelState, thread: Thread): void {
  const d = k.byThread.get(thread);
  if (!d || d.state === 'stopped') return;
  const faulted = thread.state === 'faulted';
  k.hw.cpu.kernelEntry(() => {
    stopDomain(k, d);
    d.state = faulted ? 'faulted' : 'exited';
    if (!faulted) return;
    // What the thread threw is the domain's to shape: classified by the CPU's record of its own faults, never by instanceof or a read of it.
    const f = k.unsafe.classifyThrownByInstanceof ? thrownFaultWords(thread.error) : k.hw.cpu.raisedFault(thread.error);
    const words = f ? [f.linear, f.errorCode] : [0, UNCAUGHT_EXCEPTION];
    k.hw.record('kernel.fault', d.id, words[0], words[1]);
    const ep = lookup(d.keeper, 'endpoint');
    if (ep && (d.keeper!.rights & R_WRITE) !== 0) kernelSend(k, ep, d.keeper!.badge, { label: FAULT_LABEL, words });
  });
}
