// Kernel figures: emulated cycles and host time per IPC round trip (call + reply between
// two domains), per context switch (two domains ping-ponging a notification: each half
// round is one switch with its signal and wait system calls), and per revocation of a page
// mapped in N address spaces (N = 1, 8, 64), which walks the reverse map PTE by PTE; the
// loaded space has just written the page, so one of the N translations is in the TLB. The
// cycles are emulated (the same every run); the host times per operation are host figures:
// the five measurements interleaved, min and median of the repeats.

import { Machine } from '../machine/machine.js';
import { bootKernel, type Kernel } from '../../guest/kernel/kernel.js';
import type { DomainContext } from '../../guest/kernel/api/context.js';
import { emulated, host, type Figure } from './figures.js';
import type { Section } from './section.js';
import { measureInterleaved, MIN_REPEATS } from './stats.js';

/** One measurement: emulated cycles per operation and host µs per operation. */
interface PerOp {
  cycles: number;
  hostUs: number;
}

function bootSmall(): { machine: Machine; kernel: Kernel } {
  const machine = new Machine({ memoryBytes: 8 << 20 });
  return { machine, kernel: bootKernel(machine) };
}

/** Run the machine until `done()`; returns host milliseconds. */
function timed(machine: Machine, done: () => boolean): number {
  const start = performance.now(); // wall-clock ok
  while (!done()) machine.runFor(1_000_000);
  return performance.now() - start; // wall-clock ok
}

function ipcRoundTrip(rounds: number): PerOp {
  const { machine, kernel } = bootSmall();
  const bank = kernel.createBank(kernel.primeBank, 100);
  const ep = kernel.allocEndpoint(bank);
  let cycles = 0;
  let finished = false;
  kernel.spawn({ name: 'server', bank, priority: 1, caps: [kernel.cap(ep)], *body(ctx: DomainContext) {
    let m = yield* ctx.invoke(0, 'recv', {});
    for (;;) {
      if (!m.ok) return;
      yield* ctx.reply({ label: 0, words: [m.value.words[0]! + 1] });
      m = yield* ctx.invoke(0, 'recv', {});
    }
  }});
  kernel.spawn({ name: 'client', bank, priority: 1, caps: [kernel.cap(ep)], *body(ctx: DomainContext) {
    yield* ctx.invoke(0, 'call', { label: 0, words: [0] }); // warm up
    const t0 = ctx.now();
    for (let i = 0; i < rounds; i++) yield* ctx.invoke(0, 'call', { label: 0, words: [i] });
    cycles = ctx.now() - t0;
    finished = true;
  }});
  const ms = timed(machine, () => finished);
  return { cycles: cycles / rounds, hostUs: (ms * 1000) / rounds };
}

function contextSwitch(rounds: number): PerOp {
  const { machine, kernel } = bootSmall();
  const bank = kernel.createBank(kernel.primeBank, 100);
  const na = kernel.allocNotification(bank);
  const nb = kernel.allocNotification(bank);
  let cycles = 0;
  let finished = false;
  const switches0 = kernel.counters.switches;
  kernel.spawn({ name: 'a', bank, priority: 1, caps: [kernel.cap(na), kernel.cap(nb)], *body(ctx: DomainContext) {
    const t0 = ctx.now();
    for (let i = 0; i < rounds; i++) {
      yield* ctx.invoke(1, 'signal', { bits: 1 });
      yield* ctx.invoke(0, 'wait', {});
    }
    cycles = ctx.now() - t0;
    finished = true;
  }});
  kernel.spawn({ name: 'b', bank, priority: 1, caps: [kernel.cap(na), kernel.cap(nb)], *body(ctx: DomainContext) {
    for (;;) {
      yield* ctx.invoke(1, 'wait', {});
      yield* ctx.invoke(0, 'signal', { bits: 1 });
    }
  }});
  const ms = timed(machine, () => finished);
  const switches = kernel.counters.switches - switches0;
  return { cycles: cycles / (2 * rounds), hostUs: (ms * 1000) / switches };
}

function revocation(n: number, repeats: number): PerOp {
  const { machine, kernel } = bootSmall();
  const bank = kernel.createBank(kernel.primeBank, 2 * n + repeats + 10);
  const spaces = Array.from({ length: n }, () => kernel.allocSpace(bank));
  // Load the first space, as the revoking domain's own would be: each round touches the page
  // through it first, so the translation is in the TLB and the revocation's INVLPG is real.
  machine.cpu.writeCr3(spaces[0]!.pd * 4096);
  const VA = 0x00400000;
  let cycles = 0;
  let hostMs = 0;
  for (let r = 0; r < repeats; r++) {
    const page = kernel.allocPage(bank);
    for (const s of spaces) kernel.map(s, VA, page, true);
    machine.cpu.store32(VA, r);
    if (!machine.mmu.tlb.holds(VA)) throw new Error('bench: the page\'s translation should be in the TLB');
    const c0 = machine.now;
    const h0 = performance.now(); // wall-clock ok
    kernel.free(bank, page);
    hostMs += performance.now() - h0; // wall-clock ok
    cycles += machine.now - c0;
    if (machine.mmu.tlb.holds(VA)) throw new Error('bench: the revocation left a TLB entry');
  }
  return { cycles: cycles / repeats, hostUs: (hostMs * 1000) / repeats };
}

const REPEATS = 5;

interface Measure {
  name: string;
  run: (quick: boolean) => PerOp;
}

const MEASURES: Measure[] = [
  { name: 'IPC round trip (call + reply)', run: (q) => ipcRoundTrip(q ? 5_000 : 20_000) },
  { name: 'context switch (with signal + wait)', run: (q) => contextSwitch(q ? 5_000 : 20_000) },
  ...[[1, 2000], [8, 1000], [64, 300]].map(([n, times]): Measure => ({
    name: `revoke a page with ${n} mapping${n! > 1 ? 's' : ''} (its frame is zeroed at its next allocation)`,
    run: (q) => revocation(n!, q ? Math.ceil(times! / 4) : times!),
  })),
];

export const kernelSection: Section = {
  name: 'kernel',
  title: 'kernel: IPC, context switch, revocation (emulated cycles; host µs per operation)',
  async run(ctx) {
    const cycles = new Map<string, number>();
    const s = await measureInterleaved(MEASURES.map((m) => ({ name: m.name, run: () => {
      const r = m.run(ctx.quick);
      cycles.set(m.name, r.cycles); // the same every run: emulated
      return r.hostUs;
    } })), ctx.quick ? MIN_REPEATS : REPEATS);
    const rig = 'the kernel on an 8 MiB machine, two domains (no devices)';
    const figures: Figure[] = MEASURES.flatMap((m) => [
      emulated(m.name, cycles.get(m.name)!, 'emulated cycles', rig),
      host(`${m.name}, host time`, s[m.name]!, 'host µs per operation', rig),
    ]);
    return { figures };
  },
};
