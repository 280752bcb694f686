// Shared set-up for the kernel tests: a small machine, a booted kernel, and helpers to run
// domains written inline as generator functions.

import { Machine } from '../../emulator/machine/machine.js';
import type { MachineOptions } from '../../emulator/machine/config.js';
import { bootKernel, type Kernel, type KernelConfig } from '../../guest/kernel/kernel.js';
import type { DomainContext, GuestCode, Op, Ops, Result } from '../../guest/kernel/api/context.js';

export function boot(opts: MachineOptions = {}, config: KernelConfig = {}): { machine: Machine; kernel: Kernel } {
  const machine = new Machine({ memoryBytes: 4 << 20, ...opts });
  const kernel = bootKernel(machine, config);
  return { machine, kernel };
}

/** Invoke and return the result (for use inside domain bodies). */
export function* call<K extends Op>(ctx: DomainContext, slot: number, op: K, args: Ops[K]['args']): GuestCode<Result<Ops[K]['value']>> {
  return yield* ctx.invoke(slot, op, args);
}

/** The value of an ok result; throws with the error code otherwise. */
export function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error}`);
  return r.value;
}

export function errorOf(r: Result<unknown>): string {
  return r.ok ? 'ok' : r.error;
}

/** Run the machine until every domain is done or `cycles` pass; returns the CPU's cycle. */
export function runFor(machine: Machine, cycles: number): number {
  machine.runFor(cycles);
  return machine.now;
}

import type { Bank } from '../../guest/kernel/banks.js';
import type { CapSlot } from '../../guest/kernel/caps.js';
import type { Domain } from '../../guest/kernel/domains.js';

/**
 * Spawn one domain running `body`, run the machine until it has finished (or `cycles`
 * pass), and return the domain. The body's own assertions run inside the emulation; an
 * exception in it leaves the domain 'faulted', which this helper reports.
 */
export function runDomain(
  kernel: Kernel, bank: Bank, caps: CapSlot[], body: (ctx: DomainContext) => GuestCode<unknown>, cycles = 5_000_000,
  prepare?: (d: Domain) => void,
): Domain {
  const d = kernel.spawn({ name: 'script', bank, caps, body, priority: 1 });
  prepare?.(d);
  const end = kernel.machine.now + cycles;
  while (kernel.machine.now < end && d.state !== 'exited' && d.state !== 'faulted') kernel.machine.runFor(10_000);
  if (d.state === 'faulted') throw d.thread?.error ?? new Error('domain faulted');
  return d;
}

/**
 * Call `check` after every clock event the machine fires from now on (DESIGN.md §7: "the
 * invariants checked after every event"): device events, timer ticks and kernel timeouts.
 */
export function afterEveryEvent(machine: Machine, check: () => void): void {
  machine.clock.afterEvent = () => check();
}
