// Scheduling (DESIGN.md §4 "Domain" states; issue 4 "preemptive scheduling from the
// timer"): the highest priority with a runnable domain runs; within it, round-robin in
// creation order, a turn of about one quantum (a tick period). Each priority level keeps its
// own turn: the domain holding it, the tick and the cycle at which it got it. The turn passes
// to the next runnable domain of the level when its holder cannot run, or at a tick once the
// holder has held it for at least half a quantum. Whatever ran at other levels meanwhile (a
// driver woken again and again by one stack's doorbells) does not hand the turn back to the
// stack that happens to follow it (issue 9 review: a stack kicking the driver kept the turn
// forever that way); and a turn handed over just before a tick is not cut to a sliver at that
// tick (second review: a stack blocking just before each tick kept 98 % of the CPU that way).
// A domain woken (or created) at a higher priority runs at the running domain's next
// preemption point: the kernel asks the CPU for one (preemptFor), and every API call that
// costs cycles is one (context.ts). A tick needs no request: its interrupt is itself what
// stops the running domain. The CPU writes CR3 on the switch (its TLB is then empty and the
// refills are real misses); the kernel charges the register save/restore.

import type { Thread } from '../../emulator/machine/thread.js';
import type { Domain } from './domains.js';
import type { KernelState } from './state.js';

function runnable(d: Domain): boolean {
  return d.state === 'ready' && d.thread !== undefined && d.thread.state === 'ready';
}

/**
 * `d` has just become runnable: if it outranks the running domain, ask the CPU to stop that
 * one at its next preemption point, so `d` runs within one API call's time, not a quantum.
 */
export function preemptFor(k: KernelState, d: Domain): void {
  const cur = k.hw.cpu.current;
  const curD = cur ? k.byThread.get(cur) : undefined;
  if (curD === undefined || d.priority > curD.priority) k.hw.cpu.preempt();
}

/** The thread to run next (the CPU's scheduler hook), or undefined to halt until an interrupt. */
export function pick(k: KernelState): Thread | undefined {
  let best = -1;
  for (const d of k.domains) if (runnable(d) && d.priority > best) best = d.priority;
  if (best < 0) return undefined;
  const ticks = k.counters.ticks;
  const now = k.hw.cpu.cycle;
  const turn = k.turns.get(best);
  const expired = turn !== undefined && turn.tick !== ticks && now - turn.since >= k.quantum / 2;
  let next = turn && runnable(turn.holder) && !expired ? turn.holder : undefined;
  if (!next) {
    // The turn passes on, in creation order, from its last holder (or from the start).
    const n = k.domains.length;
    const start = turn ? k.domains.indexOf(turn.holder) + 1 : 0;
    for (let i = 0; i < n && !next; i++) {
      const d = k.domains[(start + i) % n]!;
      if (runnable(d) && d.priority === best) next = d;
    }
    k.turns.set(best, { holder: next!, tick: ticks, since: now });
  }
  if (next!.thread !== k.hw.cpu.current) {
    k.counters.switches++;
    k.hw.compute(k.hw.costs.contextSwitch);
  }
  return next!.thread;
}
