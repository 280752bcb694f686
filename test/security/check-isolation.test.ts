// DESIGN.md §6 items 4 and 5 from the frame table (guest/kernel/isolation.ts, run by
// violations()): every present PTE of an untrusted domain, read from its page tables in
// physical memory, maps a page of the domain's own bank tree or a receive buffer read-only,
// and no receive buffer is writable in it. Each test creates the breach a broken defence would
// (a kernel that maps a neighbour's page, a receive buffer mapped writable, a PTE written
// behind the kernel's back) and asserts the check names it, where the kernel's record-based
// check sees nothing or only that a record is missing.

import { describe, expect, it } from 'vitest';
import { PTE_FRAME_MASK } from '../../emulator/machine/paging.js';
import type { Page } from '../../guest/kernel/pages.js';
import { pteAddress } from '../../guest/kernel/spaces.js';
import { REGION_VA } from '../../guest/apps/raw-stack.js';
import { PAGE_BYTES, txPage } from '../../guest/session/layout.js';
import type { Session } from '../../guest/netdriver/session.js';
import { runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { world, type World } from '../../emulator/cli/scenario/frame-world.js';
import { runWatched } from './watched.js';

/** A free 4 MiB slot of every stack's space, away from its session region. */
const SPARE_VA = 0x0100_0000;

function opened(): World {
  const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2 });
  runUntilOpen(w);
  w.machine.runFor(500_000);
  expect(runWatched(w, 100_000)).toEqual([]);
  return w;
}

/** The page in one of the driver's capability slots for a session. */
const pageIn = (w: World, slot: number) => w.driverDomain.slots[slot]!.obj as Page;
const sessions = (w: World) => w.view.driver!.sessions as [Session, Session];
const stack = (w: World, i: number) => w.clients[i]!.domain!;
const isolation = (seen: string[]) => seen.filter((v) => /^[45] (isolation|receive buffer)/.test(v));

describe('items 4 and 5 from the frame table', () => {
  it("catches a neighbour's page mapped into a stack, which the kernel's records allow", () => {
    const w = opened();
    const [, b] = sessions(w);
    const page = pageIn(w, b.slots.tx[0]!);
    w.kernel.map(w.clients[0]!.space, SPARE_VA, page, false);
    expect(w.kernel.checkInvariants()).toEqual([]); // the mapping is recorded with the rights it has
    const d = stack(w, 0);
    expect(isolation(runWatched(w, 40_000))).toEqual([
      `4 isolation: stack0 (domain #${d.id}) va 0x${SPARE_VA.toString(16)} maps frame ${page.frame}, page #${page.id} of bank #${page.bank!.id}, outside its own bank #${d.bank!.id} and the banks below it`,
    ]);
    expect(page.bank!.parent!.parent).toBe(w.clients[1]!.bank); // the neighbour's session bank, under its session sub-bank
  });

  it('catches a receive buffer mapped writable into its own stack, which item 4 allows', () => {
    const w = opened();
    const [a] = sessions(w);
    const page = pageIn(w, a.slots.rx[1]!);
    w.kernel.map(w.clients[0]!.space, SPARE_VA, page, true);
    expect(w.kernel.checkInvariants()).toEqual([]);
    const d = stack(w, 0);
    expect(isolation(runWatched(w, 40_000))).toEqual([`5 receive buffer: stack0 (domain #${d.id}) va 0x${SPARE_VA.toString(16)} maps receive buffer frame ${page.frame} writable`]);
  });

  it("lets a stack see a neighbour's receive buffer read-only (a public inbound page, as flip misplaces it), never writable", () => {
    const w = opened();
    const [, b] = sessions(w);
    const page = pageIn(w, b.slots.rx[0]!);
    w.kernel.map(w.clients[0]!.space, SPARE_VA, page, false);
    expect(isolation(runWatched(w, 40_000))).toEqual([]);
    w.kernel.map(w.clients[0]!.space, SPARE_VA + PAGE_BYTES, page, true);
    const d = stack(w, 0);
    expect(isolation(runWatched(w, 40_000))).toEqual([`5 receive buffer: stack0 (domain #${d.id}) va 0x${(SPARE_VA + PAGE_BYTES).toString(16)} maps receive buffer frame ${page.frame} writable`]);
  });

  it("reads the page tables themselves: a PTE rewritten behind the kernel's back to a neighbour's control page", () => {
    const w = opened();
    const [a, b] = sessions(w);
    const control = pageIn(w, b.slots.control);
    // Stack 0's PTE for its own transmit page now points at stack 1's control page, writable as before.
    const table = w.clients[0]!.space.tables.get(REGION_VA >>> 22)!;
    const va = a.stackPageVa(txPage(0));
    const at = pteAddress(table, (va >>> 12) & 0x3ff);
    const pte = w.machine.memory.read32(at);
    w.machine.memory.write32(at, ((pte & ~PTE_FRAME_MASK) | (control.frame << 12)) >>> 0);
    const seen = runWatched(w, 40_000);
    const d = stack(w, 0);
    expect(isolation(seen)).toEqual([`4 isolation: stack0 (domain #${d.id}) va 0x${va.toString(16)} maps frame ${control.frame}, page #${control.id} of bank #${control.bank!.id}, outside its own bank #${d.bank!.id} and the banks below it`]);
    expect(seen).toContain(`3 revocation: space #${w.clients[0]!.space.id} va 0x${va.toString(16)} maps frame ${control.frame} without a record`);
  });

  it('trusts the driver and its forwarder with every session, and no one else', () => {
    const w = opened();
    const [a] = sessions(w);
    // The driver mirrors both sessions: its space maps both clients' pages, and that is allowed.
    const driverFrames = new Set(w.kernel.mappings(w.driverDomain.space).map((m) => m.frame));
    expect(driverFrames.has(pageIn(w, a.slots.control).frame)).toBe(true);
    expect(w.kernel.checkIsolation({ trusted: [], receiveBuffers: new Set() }).some((v) => v.startsWith('4 isolation: netdriver'))).toBe(true);
    expect(w.kernel.checkIsolation({ trusted: [], receiveBuffers: new Set() }).some((v) => v.startsWith('4 isolation: netdriver.irq'))).toBe(true);
    expect(isolation(runWatched(w, 40_000))).toEqual([]);
  });
});
