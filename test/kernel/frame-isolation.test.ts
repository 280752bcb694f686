// checkIsolation (guest/kernel/isolation.ts), DESIGN.md §6 items 4 and 5 from the frame table,
// on the kernel alone: a domain's page tables, read from physical memory, may map pages of its
// own bank and the banks below it, and receive buffers read-only; never a page of another
// bank, a frame no live page holds, or a receive buffer writable. Trusted domains are not
// checked; supervisor-only entries show a user domain nothing.

import { describe, expect, it } from 'vitest';
import { PTE_FRAME_MASK, PTE_US } from '../../emulator/machine/paging.js';
import type { Bank } from '../../guest/kernel/banks.js';
import type { Kernel } from '../../guest/kernel/kernel.js';
import { pdeAddress, pteAddress } from '../../guest/kernel/spaces.js';
import { boot } from './helpers.js';

const VA = 0x0040_0000;

function setup() {
  const { kernel, machine } = boot();
  const a = kernel.createBank(kernel.primeBank, 40);
  const sub = kernel.createBank(a, 10);
  const b = kernel.createBank(kernel.primeBank, 40);
  const domain = (name: string, bank: Bank) => kernel.spawn({ name, bank, *body() { for (;;) yield; } });
  return { kernel, machine, a, sub, b, da: domain('a', a), db: domain('b', b) };
}

const none = new Set<number>();
const check = (k: Kernel, receiveBuffers = none, trusted = [] as Parameters<Kernel['checkIsolation']>[0]['trusted']) => k.checkIsolation({ trusted, receiveBuffers });

describe('checkIsolation: every PTE of an untrusted domain maps a frame it may see', () => {
  it('allows pages of its own bank and of the banks below it', () => {
    const { kernel, a, sub, da } = setup();
    kernel.map(da.space, VA, kernel.allocPage(a), true);
    kernel.map(da.space, VA + 0x1000, kernel.allocPage(sub), true);
    expect(check(kernel)).toEqual([]);
  });

  it('names a page of another bank, unless the domain is trusted', () => {
    const { kernel, a, b, da } = setup();
    const foreign = kernel.allocPage(b);
    kernel.map(da.space, VA, foreign, false);
    expect(kernel.checkInvariants()).toEqual([]); // recorded, with its rights: the kernel's own check has no objection
    expect(check(kernel)).toEqual([`4 isolation: a (domain #${da.id}) va 0x${VA.toString(16)} maps frame ${foreign.frame}, page #${foreign.id} of bank #${b.id}, outside its own bank #${a.id} and the banks below it`]);
    expect(check(kernel, none, [da])).toEqual([]);
  });

  it('allows a receive buffer of another bank read-only, and no receive buffer writable', () => {
    const { kernel, a, b, da } = setup();
    const theirs = kernel.allocPage(b);
    const mine = kernel.allocPage(a);
    kernel.map(da.space, VA, theirs, false);
    kernel.map(da.space, VA + 0x1000, mine, true);
    expect(check(kernel, new Set([theirs.frame]))).toEqual([]);
    expect(check(kernel, new Set([theirs.frame, mine.frame]))).toEqual([`5 receive buffer: a (domain #${da.id}) va 0x${(VA + 0x1000).toString(16)} maps receive buffer frame ${mine.frame} writable`]);
  });

  it('reads the tables in memory: a PTE pointing at a freed frame, a supervisor-only one, a PDE outside RAM', () => {
    const { kernel, machine, a, da } = setup();
    const page = kernel.allocPage(a);
    kernel.map(da.space, VA, page, true);
    const frame = page.frame;
    expect(kernel.free(a, page).ok).toBe(true); // the kernel clears the PTE; put it back behind its back
    const table = da.space.tables.get(VA >>> 22)!;
    machine.memory.write32(pteAddress(table, 0), (frame << 12) | 0x7);
    expect(check(kernel)).toEqual([`4 isolation: a (domain #${da.id}) va 0x${VA.toString(16)} maps frame ${frame}, which no live page holds (free)`]);
    machine.memory.write32(pteAddress(table, 0), ((frame << 12) | 0x7) & ~PTE_US);
    expect(check(kernel)).toEqual([]); // the domain runs in user mode: a supervisor entry shows it nothing
    const outside = machine.memory.size / 4096;
    machine.memory.write32(pdeAddress(da.space, 5), ((outside << 12) & PTE_FRAME_MASK) | 0x7);
    expect(check(kernel)).toEqual([`4 isolation: space #${da.space.id} PDE 5 points outside RAM`]);
  });

  it('checks only domains that can run', () => {
    const { kernel, b, da } = setup();
    kernel.map(da.space, VA, kernel.allocPage(b), false);
    da.state = 'exited';
    expect(check(kernel)).toEqual([]);
  });
});
