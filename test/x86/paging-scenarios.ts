// Random 32-bit paging set-ups for the MMU differential test: a page directory with a few
// populated entries (absent, 4 KiB page tables, 4 MiB pages), page tables with random
// present/absent entries and R/W, U/S, A, D mixes, random CR0.WP and CR4.PSE, and random
// (address, write, user) accesses aimed mostly at the populated part of the space.
// Everything comes from one seeded Prng, so a failing seed replays exactly.

import type { Prng } from '../../emulator/machine/prng.js';
import {
  CR0_PG, CR0_WP, CR4_PSE, PDE_4M_RESERVED_MASK, PDE_PS, PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US,
} from '../../emulator/machine/paging.js';

/** RAM both MMUs see. Tables live in [1 MiB, 2 MiB); 4 KiB pages map into [2 MiB, RAM); 4 MiB pages at 4, 8, 12 MiB. */
export const SCENARIO_RAM = 16 * 1024 * 1024;
const TABLE_REGION = 0x100000;
const DATA_REGION = 0x200000;
const LARGE_BASES = [0x400000, 0x800000, 0xc00000];
const POPULATED_PDES = 8;

export interface Access {
  readonly va: number;
  readonly write: boolean;
  readonly user: boolean;
}

export interface Scenario {
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly accesses: readonly Access[];
  /** Indices of the directory entries that were filled in (present or not). */
  readonly pdes: readonly number[];
}

/** Random R/W, U/S, A and D bits (A and D sometimes already set, so walks that leave them alone are tested too). */
function flagBits(rng: Prng): number {
  return (rng.chance(0.6) ? PTE_RW : 0) | (rng.chance(0.6) ? PTE_US : 0) | (rng.chance(0.3) ? PTE_A : 0) | (rng.chance(0.2) ? PTE_D : 0);
}

/**
 * Write a random directory and tables into `ram` (zeroed first) and return the control
 * registers and `accessCount` accesses. `reservedRate` is the share of 4 MiB entries
 * given a reserved bit (a documented v86 deviation).
 */
export function randomScenario(rng: Prng, ram: Uint8Array, accessCount: number, reservedRate: number): Scenario {
  ram.fill(0);
  const cr0 = (CR0_PG | (rng.chance(0.5) ? CR0_WP : 0)) >>> 0;
  const cr4 = rng.chance(0.7) ? CR4_PSE : 0;
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.length);
  const cr3 = TABLE_REGION;
  let nextTable = TABLE_REGION + 0x1000;
  const pdes: number[] = [];
  while (pdes.length < POPULATED_PDES) {
    const i = rng.below(1024);
    if (!pdes.includes(i)) pdes.push(i);
  }
  for (const i of pdes) {
    const kind = rng.below(20);
    let pde: number;
    if (kind < 3) {
      // Absent, with junk in the other bits (which must be ignored).
      pde = (rng.nextU32() & ~PTE_P) >>> 0;
    } else if (kind < 9) {
      pde = LARGE_BASES[rng.below(LARGE_BASES.length)]! | PTE_P | PDE_PS | flagBits(rng);
      if (rng.chance(reservedRate)) pde |= 1 << (13 + rng.below(9)) & PDE_4M_RESERVED_MASK;
    } else {
      const table = nextTable;
      nextTable += 0x1000;
      // Without CR4.PSE the PS bit is ignored: set it on some table pointers then.
      pde = table | PTE_P | flagBits(rng) | (cr4 === 0 && rng.chance(0.3) ? PDE_PS : 0);
      for (let j = 0; j < 1024; j++) {
        const present = rng.chance(0.65);
        const frame = DATA_REGION + rng.below((ram.length - DATA_REGION) / 0x1000) * 0x1000;
        const pte = present ? frame | PTE_P | flagBits(rng) : (rng.nextU32() & ~PTE_P) >>> 0;
        dv.setUint32(table + j * 4, pte, true);
      }
    }
    dv.setUint32(cr3 + i * 4, pde >>> 0, true);
  }
  const accesses: Access[] = [];
  // Accesses cluster on a few pages per directory entry so repeated accesses meet TLB entries.
  const hotPages = pdes.map((i) => Array.from({ length: 6 }, () => (i << 22) | (rng.below(1024) << 12)));
  for (let n = 0; n < accessCount; n++) {
    const page = rng.chance(0.1) ? rng.below(1 << 20) << 12 : hotPages[rng.below(hotPages.length)]![rng.below(6)]!;
    accesses.push({ va: (page | rng.below(0x1000)) >>> 0, write: rng.chance(0.5), user: rng.chance(0.5) });
  }
  return { cr0, cr3, cr4, accesses, pdes };
}

/** Where a mutation wrote and what: one paging entry, changed in memory without INVLPG. */
export interface Mutation {
  readonly addr: number;
  readonly value: number;
}

/**
 * Change one paging entry that translates `va` (its PTE, or its PDE), as a kernel revoking
 * or granting access would, but without invalidating the TLB: clear or set P, flip R/W or
 * U/S, move the page to another frame, or clear A/D. Never produces a reserved bit or a
 * present entry pointing outside RAM (the oracle compares only RAM-backed translations).
 */
export function mutateEntry(rng: Prng, ram: Uint8Array, s: Scenario, va: number): Mutation {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.length);
  const pdeAddr = s.cr3 + (va >>> 22) * 4;
  const pde = dv.getUint32(pdeAddr, true);
  const large = (pde & PDE_PS) !== 0 && (s.cr4 & CR4_PSE) !== 0;
  const dataFrame = () => DATA_REGION + rng.below((ram.length - DATA_REGION) / 0x1000) * 0x1000;
  let addr: number;
  let old: number;
  if ((pde & PTE_P) !== 0 && !large && rng.chance(0.7)) {
    addr = (pde & 0xfffff000) + ((va >>> 12) & 0x3ff) * 4;
    old = dv.getUint32(addr, true);
    const choice = rng.below(6);
    let value: number;
    if (choice === 0) value = (old & PTE_P) !== 0 ? old & ~PTE_P : ((dataFrame() | (old & 0xfff)) | PTE_P);
    else if (choice === 1) value = old ^ PTE_RW;
    else if (choice === 2) value = old ^ PTE_US;
    else if (choice === 3) value = (old & PTE_P) !== 0 ? dataFrame() | (old & 0xfff) : old;
    else if (choice === 4) value = old & ~(PTE_A | PTE_D);
    else value = (old & PTE_P) !== 0 ? old & ~PTE_P : old ^ PTE_RW;
    dv.setUint32(addr, value >>> 0, true);
    return { addr, value: value >>> 0 };
  }
  addr = pdeAddr;
  old = pde;
  // Only a PDE that maps something valid may be made present: a 4 MiB page at a known base
  // without reserved bits, or a page table in the table region.
  const validIfPresent = large
    ? LARGE_BASES.includes((old & 0xffc00000) >>> 0) && (old & PDE_4M_RESERVED_MASK) === 0
    : (old & 0xfffff000) >= TABLE_REGION && (old & 0xfffff000) < DATA_REGION;
  const choice = rng.below(5);
  let value: number;
  if (choice === 0) value = (old & PTE_P) !== 0 ? old & ~PTE_P : validIfPresent ? old | PTE_P : old;
  else if (choice === 1) value = old ^ PTE_RW;
  else if (choice === 2) value = old ^ PTE_US;
  else if (choice === 3) value = large ? (LARGE_BASES[rng.below(LARGE_BASES.length)]! | (old & 0x3fffff)) : old & ~PTE_A;
  else value = old & ~(PTE_A | PTE_D);
  dv.setUint32(addr, value >>> 0, true);
  return { addr, value: value >>> 0 };
}
