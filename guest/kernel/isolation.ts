// DESIGN.md §6 items 4 and 5 checked from the frame table, not from the kernel's record of
// rights: each untrusted domain's page tables are walked in physical memory (pagewalk.ts),
// and of every present PTE the domain can use (U/S in PDE and PTE) the check asks who owns
// the frame it maps, frame -> page -> bank:
//   item 4  Isolation: the frame backs a live page allocated from the domain's own bank tree
//           (the bank the domain was allocated from, or a bank below it: a client's session
//           sub-bank, from which the driver builds the session, is below the client's bank);
//           or it is a receive buffer mapped read-only. Receive buffers hold only public
//           inbound bytes (the card and the driver write them, no stack can: item 5), so a
//           packet misplaced by `flip` and seen read-only shows nothing a client wrote.
//   item 5  Read-only receive buffers: no receive buffer is writable in the domain's space
//           (present, user and R/W in both the PDE and the PTE).
// Two things are the composition's knowledge and are passed in: which domains are trusted to
// see every client (the driver, which mirrors every session's region, and the domains that
// share its space), and which frames are receive buffers (the driver's records and the
// device's write pins). Host-side peeks; returns the violations (empty when both hold).

import { PTE_RW, PTE_US } from '../../emulator/machine/paging.js';
import type { Bank } from './banks.js';
import type { Domain } from './domains.js';
import { entryFrame, walkPresent, type Walk } from './pagewalk.js';
import type { Space } from './spaces.js';
import type { KernelState } from './state.js';

export interface IsolationOptions {
  /** Domains that may see every client's memory; every other runnable domain is checked. */
  readonly trusted: readonly Domain[];
  /** Frames that are receive buffers. */
  readonly receiveBuffers: ReadonlySet<number>;
}

/** `walkOf` reads a space's tables: by default from memory now (see RecordedWalk in pagewalk.ts). */
export function checkIsolation(k: KernelState, o: IsolationOptions, walkOf: (s: Space) => Walk = (s) => (pde, pte) => walkPresent(k.hw, s.pd, pde, pte)): string[] {
  const bad: string[] = [];
  for (const [space, domains] of untrustedSpaces(k, o.trusted)) {
    walkOf(space)((i, pde) => {
      if (entryFrame(pde) < k.frames.state.length) return true;
      bad.push(`4 isolation: space #${space.id} PDE ${i} points outside RAM`);
      return false;
    }, (va, pte, pde) => {
      const rights = pte & pde;
      if ((rights & PTE_US) === 0) return; // the domain runs in user mode: a supervisor entry shows it nothing
      const f = entryFrame(pte);
      const receiveBuffer = o.receiveBuffers.has(f);
      for (const d of domains) {
        const where = `${d.name} (domain #${d.id}) va 0x${va.toString(16)}`;
        if (receiveBuffer && (rights & PTE_RW) !== 0) bad.push(`5 receive buffer: ${where} maps receive buffer frame ${f} writable`);
        const why = receiveBuffer ? undefined : outsideTree(k, f, d.bank);
        if (why) bad.push(`4 isolation: ${where} maps frame ${f}, ${why}`);
      }
    });
  }
  return bad;
}

/** Why frame `f` is not a page of `bank`'s tree, or undefined when it is. */
function outsideTree(k: KernelState, f: number, bank: Bank | undefined): string | undefined {
  if (f >= k.frames.state.length) return 'outside RAM';
  const page = k.frames.owner[f];
  if (k.frames.state[f] !== 'allocated' || page?.kind !== 'page' || !page.live || page.frame !== f) return `which no live page holds (${k.frames.state[f]})`;
  for (let b = page.bank; b; b = b.parent) if (b === bank) return undefined;
  return `page #${page.id} of bank #${page.bank?.id}, outside its own bank #${bank?.id} and the banks below it`;
}

/** The spaces of runnable untrusted domains, each with those domains, in domain order. */
export function untrustedSpaces(k: KernelState, trusted: readonly Domain[]): Map<Space, Domain[]> {
  const spaces = new Map<Space, Domain[]>();
  for (const d of k.domains) {
    if (trusted.includes(d) || (d.state !== 'ready' && d.state !== 'waiting')) continue;
    const list = spaces.get(d.space);
    if (list) list.push(d);
    else spaces.set(d.space, [d]);
  }
  return spaces;
}
