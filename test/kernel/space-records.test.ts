// checkInvariants, items 3 and 5 in memory (guest/kernel/invariants.ts checkSpace, walking the
// tables with pagewalk.ts): the page directory and tables in physical memory agree with the
// kernel's records of them. Each test changes one entry behind the kernel's back, the way a
// kernel bug would leave it, and asserts the check names exactly that disagreement.

import { describe, expect, it } from 'vitest';
import { PTE_RW } from '../../emulator/machine/paging.js';
import { pdeAddress, pteAddress } from '../../guest/kernel/spaces.js';
import { boot } from './helpers.js';

const VA = 0x0040_0000;

function mapped() {
  const { kernel, machine } = boot();
  const bank = kernel.createBank(kernel.primeBank, 40);
  const space = kernel.allocSpace(bank);
  const page = kernel.allocPage(bank);
  kernel.map(space, VA, page, true);
  const table = space.tables.get(VA >>> 22)!;
  expect(kernel.checkInvariants()).toEqual([]);
  const mem = machine.memory;
  return { kernel, space, page, table, mem, s: `space #${space.id}` };
}

describe('checkInvariants: page tables in memory against the kernel records', () => {
  it('a recorded mapping cleared in memory', () => {
    const { kernel, table, mem, s } = mapped();
    mem.write32(pteAddress(table, 0), 0);
    expect(kernel.checkInvariants()).toEqual([`3 revocation: ${s} va 0x400000 recorded but not present`]);
  });

  it('a recorded table cleared from the directory', () => {
    const { kernel, space, mem, s } = mapped();
    mem.write32(pdeAddress(space, 1), 0);
    expect(kernel.checkInvariants()).toEqual([`3 revocation: ${s} table 1 not in its directory`]);
  });

  it('a directory entry pointing at a frame that is no table of the space', () => {
    const { kernel, space, page, mem, s } = mapped();
    const pde = (page.frame << 12) | 0x7;
    mem.write32(pdeAddress(space, 7), pde);
    expect(kernel.checkInvariants()).toEqual([`3 revocation: ${s} PDE 7 = 0x${pde.toString(16)} is not a table the kernel made`]);
  });

  it('a PTE no record explains, and one whose R/W bit differs from the granted rights', () => {
    const { kernel, table, page, mem, s } = mapped();
    mem.write32(pteAddress(table, 3), (page.frame << 12) | 0x5);
    expect(kernel.checkInvariants()).toEqual([`3 revocation: ${s} va 0x403000 maps frame ${page.frame} without a record`]);
    mem.write32(pteAddress(table, 3), 0);
    mem.write32(pteAddress(table, 0), mem.read32(pteAddress(table, 0)) & ~PTE_RW);
    expect(kernel.checkInvariants()).toEqual([`5 rights: ${s} va 0x400000 R/W bit differs from the granted rights`]);
  });
});
