// Kernel figures: emulated cycles and host time per IPC round trip (call + reply between
// two domains), per context switch (two domains ping-ponging a notification: each half
// round is one switch with its signal and wait system calls), and per revocation of a page
// mapped in N address spaces (N = 1, 8, 64), which walks the reverse map PTE by PTE; the
// loaded space has just written the page, so one of the N translations is in the TLB.

import { Machine } from '../emulator/machine/machine.js';
import { bootKernel, type Kernel } from '../guest/kernel/kernel.js';
import type { DomainContext } from '../guest/kernel/api/context.js';
import type { BenchResult } from './report.js';

function bootSmall(): { machine: Machine; kernel: Kernel } {
  const machine = new Machine({ memoryBytes: 8 << 20 });
  return { machine, kernel: bootKernel(machine) };
}

/** Run the machine until `done()`; returns host milliseconds. */
function timed(machine: Machine, done: () => boolean): number {
  const start = performance.now();
  while (!done()) machine.runFor(1_000_000);
  return performance.now() - start;
}

function ipcRoundTrip(rounds: number): BenchResult[] {
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
  return [
    { name: 'IPC round trip (call + reply)', value: cycles / rounds, unit: 'cycles' },
    { name: 'IPC round trip, host time', value: (ms * 1000) / rounds, unit: 'µs' },
  ];
}

function contextSwitch(rounds: number): BenchResult[] {
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
  return [
    { name: 'context switch (with signal + wait)', value: cycles / (2 * rounds), unit: 'cycles' },
    { name: 'context switch, host time', value: (ms * 1000) / switches, unit: 'µs' },
  ];
}

function revocation(n: number, repeats: number): BenchResult[] {
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
    const h0 = performance.now();
    kernel.free(bank, page);
    hostMs += performance.now() - h0;
    cycles += machine.now - c0;
    if (machine.mmu.tlb.holds(VA)) throw new Error('bench: the revocation left a TLB entry');
  }
  return [
    { name: `revoke a page with ${n} mapping${n > 1 ? "s" : ""} (its frame is zeroed at its next allocation)`, value: cycles / repeats, unit: "cycles" },
    { name: `revoke a page with ${n} mapping${n > 1 ? 's' : ''}, host time`, value: (hostMs * 1000) / repeats, unit: 'µs' },
  ];
}

export function benchKernel(): BenchResult[] {
  return [...ipcRoundTrip(20_000), ...contextSwitch(20_000), ...revocation(1, 2000), ...revocation(8, 1000), ...revocation(64, 300)];
}
