// Invariant checks on a running composition (DESIGN.md §6): the kernel's own check (items 1,
// 2, 3, 5, 6, 7) plus item 5 as the stacks see it, that no stack maps a receive buffer
// of its session writable. Used between strides of a run by the tests and the boot scenario.

import type { Net } from './net.js';
import { REGION_VA } from '../../../guest/apps/raw-stack.js';

/** Every receive buffer page of every open session is mapped read-only in its stack (DESIGN.md §6 item 5). */
export function rxWritableMappings(w: Net): string[] {
  const bad: string[] = [];
  for (const [i, c] of w.clients.entries()) {
    const g = c.probe.session?.geometry;
    if (!g) continue;
    const lo = REGION_VA + (1 + g.txPages) * 4096;
    const hi = lo + g.rxBuffers * 4096;
    for (const m of w.kernel.mappings(c.space)) if (m.va >= lo && m.va < hi && m.writable) bad.push(`stack${i} va 0x${m.va.toString(16)} writable`);
  }
  return bad;
}

/**
 * All violations now: the kernel invariants (without the free-frame zero scan unless asked)
 * and read-only receive buffers. Inside a kernel operation (an event that fired while the CPU
 * was in supervisor mode) only what must hold at every instant is checked: items 1 and 2.
 */
export function violations(w: Net, zeroScan = false): string[] {
  if (w.machine.cpu.mode === 'supervisor') return w.kernel.checkInvariants({ zeroScan: false, insideKernel: true });
  return [...w.kernel.checkInvariants({ zeroScan }), ...rxWritableMappings(w)];
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
