// Creating a domain: its kernel state (one frame, charged to the bank), its capability
// slots, and the CPU thread that runs its body in user mode with the space's page
// directory as CR3. The body gets the domain's context (context.ts) and nothing else. (The
// CPU charges every preemption point it reaches: emulator/machine/costs.ts preemptionPoint.)

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import type { GuestCode } from '../../emulator/machine/thread.js';
import type { DomainBody, DomainContext, Result } from './api/context.js';
import { header, takeFrame } from './alloc.js';
import type { Bank } from './banks.js';
import type { CapSlot, Capability } from './caps.js';
import { makeContext } from './context.js';
import { SLOT_COUNT, type Domain } from './domains.js';
import { err, ok } from './result.js';
import { preemptFor } from './sched.js';
import type { Space } from './spaces.js';
import type { KernelState } from './state.js';

export interface DomainSpec {
  readonly name: string;
  readonly space: Space;
  readonly body: DomainBody;
  readonly priority: number;
  readonly keeper: Capability | null;
  /** Capabilities for slots 0, 1, ... */
  readonly caps: readonly CapSlot[];
}

/**
 * The thread's body: it calls the domain's body only when the thread first runs, in user mode
 * on the domain's own time, never inside this kernel operation (a body that is a plain function
 * would otherwise run during allocDomain with the new domain's context).
 */
function* startBody(body: DomainBody, ctx: DomainContext): GuestCode<unknown> {
  return yield* body(ctx);
}

export function allocDomain(k: KernelState, bank: Bank, spec: DomainSpec): Result<Domain> {
  const f = takeFrame(k, bank, 'kernel');
  if (typeof f === 'string') return err(f);
  const slots: CapSlot[] = new Array<CapSlot>(SLOT_COUNT).fill(null);
  spec.caps.forEach((c, i) => (slots[i] = c));
  const d: Domain = {
    ...header(k, bank), kind: 'domain', name: spec.name, frame: f, space: spec.space, slots,
    priority: spec.priority, keeper: spec.keeper, thread: undefined, state: 'ready',
    wait: undefined, replyTo: undefined, timer: undefined, fault: undefined, inKernel: false,
  };
  k.frames.owner[f] = d;
  bank.objects.add(d);
  const ctx = makeContext(k, d);
  d.thread = k.hw.cpu.spawn(spec.name, 'user', spec.space.pd * FRAME_SIZE, k.unsafe.bodyInKernel ? spec.body(ctx) : startBody(spec.body, ctx));
  k.byThread.set(d.thread, d);
  k.domains.push(d);
  preemptFor(k, d);
  return ok(d);
}
