// Domains (DESIGN.md §4 "Domain"): a process. An address space, capability slots, a
// priority, a keeper (an endpoint capability to which its faults are sent as messages), and
// the CPU thread that runs its body in user mode with the space's directory in CR3.
//
// States: 'running'/'ready' come from the thread; 'waiting' while blocked in the kernel
// (IPC or a notification); 'stopped' once rescinded or its space is gone; 'faulted' or
// 'exited' when its body threw or returned.

import type { ScheduledEvent } from '../../emulator/machine/clock.js';
import type { Thread } from '../../emulator/machine/thread.js';
import type { CapSlot, Capability } from './caps.js';
import type { Endpoint } from './endpoints.js';
import type { Notification } from './notifications.js';
import type { ObjectHeader } from './objects.js';
import type { Space } from './spaces.js';

// 256 slots: one 4 KiB frame of 16-byte capabilities, the frame a domain is charged. (Raised
// from 64 by issue 5: the shared driver holds, per session, the capabilities to the pages it
// pins, exchanges and maps, for up to 16 sessions.)
export const SLOT_COUNT = 256;
export const MAX_PRIORITY = 255;

export type DomainState = 'ready' | 'waiting' | 'stopped' | 'faulted' | 'exited';

/** What a waiting domain waits for; the kernel clears it when it wakes the domain. */
export type Wait =
  | { readonly kind: 'send'; readonly ep: Endpoint; readonly call: boolean; readonly capSlots: readonly number[] }
  | { readonly kind: 'recv'; readonly ep: Endpoint; readonly capSlots: readonly number[]; readonly n: Notification | undefined }
  | { readonly kind: 'reply'; readonly from: Domain; readonly capSlots: readonly number[] }
  | { readonly kind: 'notification'; readonly n: Notification };

export interface Domain extends ObjectHeader {
  readonly kind: 'domain';
  readonly name: string;
  /** Frame holding the domain's kernel state (its TCB), charged to its bank. */
  readonly frame: number;
  readonly space: Space;
  readonly slots: CapSlot[];
  readonly priority: number;
  readonly keeper: Capability | null;
  thread: Thread | undefined;
  state: DomainState;
  wait: Wait | undefined;
  /** The caller waiting for this domain's reply, if any. */
  replyTo: Domain | undefined;
  /** The timeout of the current wait, if it has one. */
  timer: ScheduledEvent | undefined;
  /** The last fault, reported to the keeper if it ends the domain. */
  fault: { va: number; code: number } | undefined;
  /** Inside a system call right now (context.ts refuses a second, nested entry). */
  inKernel: boolean;
}
