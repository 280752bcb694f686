// Allocation from a space bank (DESIGN.md §4 "Space bank": allocates pages, address spaces,
// domains, sub-banks; every allocation counts against the bank and all its ancestors'
// limits). An object's frames are charged before they are taken, and the charge is undone
// if memory is exhausted, so a failed allocation changes nothing.

import type { ErrorCode, Result } from './api/context.js';
import { charge, uncharge, type Bank } from './banks.js';
import type { Endpoint } from './endpoints.js';
import type { KObject, ObjectHeader } from './objects.js';
import type { Notification } from './notifications.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import { writePde, type PageTable, type Region, type Space } from './spaces.js';
import type { KernelState } from './state.js';

export function header(k: KernelState, bank: Bank | undefined): ObjectHeader {
  k.hw.compute(k.hw.costs.objectSetup);
  return { id: k.nextId++, version: 0, live: true, bank };
}

/** Charge one frame to `bank` and take a free frame, or explain why not. */
export function takeFrame(k: KernelState, bank: Bank, state: 'kernel' | 'allocated'): number | ErrorCode {
  if (!charge(k.hw, bank, 1)) return 'limit';
  const f = k.frames.allocate(state);
  if (f === undefined) {
    uncharge(k.hw, bank, 1);
    return 'no-memory';
  }
  return f;
}

function adopt<T extends KObject>(k: KernelState, bank: Bank, obj: T, frame: number): T {
  k.frames.owner[frame] = obj;
  bank.objects.add(obj);
  return obj;
}

export function allocPage(k: KernelState, bank: Bank): Result<Page> {
  const f = takeFrame(k, bank, 'allocated');
  if (typeof f === 'string') return err(f);
  return ok(adopt(k, bank, { ...header(k, bank), kind: 'page', frame: f }, f));
}

/** A space is its page directory; page tables are added (and charged) as mappings need them. */
export function allocSpace(k: KernelState, bank: Bank): Result<Space> {
  const f = takeFrame(k, bank, 'kernel');
  if (typeof f === 'string') return err(f);
  return ok(adopt(k, bank, { ...header(k, bank), kind: 'space', pd: f, tables: new Map() }, f));
}

export function allocEndpoint(k: KernelState, bank: Bank): Result<Endpoint> {
  const f = takeFrame(k, bank, 'kernel');
  if (typeof f === 'string') return err(f);
  return ok(adopt(k, bank, { ...header(k, bank), kind: 'endpoint', frame: f, senders: [], receivers: [] }, f));
}

export function allocNotification(k: KernelState, bank: Bank): Result<Notification> {
  const f = takeFrame(k, bank, 'kernel');
  if (typeof f === 'string') return err(f);
  return ok(adopt(k, bank, { ...header(k, bank), kind: 'notification', frame: f, bits: 0, waiter: undefined }, f));
}

/** A sub-bank: one frame of its parent's; its limits are its own, and its usage also counts above it. */
export function allocBank(k: KernelState, parent: Bank, limit: number, pinLimit: number): Result<Bank> {
  const f = takeFrame(k, parent, 'kernel');
  if (typeof f === 'string') return err(f);
  const b: Bank = {
    ...header(k, parent), kind: 'bank', parent, frame: f, children: new Set(), objects: new Set(),
    usage: 0, reserved: 0, limit, pins: 0, pinLimit,
  };
  parent.children.add(b);
  return ok(adopt(k, parent, b, f));
}

/** A page table for `space` at `pdIndex`, paid by `bank` (the space's own bank, or the delegating bank). */
export function allocTable(k: KernelState, space: Space, pdIndex: number, bank: Bank): Result<PageTable> {
  const f = takeFrame(k, bank, 'kernel');
  if (typeof f === 'string') return err(f);
  k.frames.owner[f] = space;
  const table: PageTable = { frame: f, space, pdIndex, region: undefined, mappings: new Map() };
  space.tables.set(pdIndex, table);
  writePde(k.hw, table);
  return ok(table);
}

/**
 * Delegate the 4 MiB region at `pdIndex` of `space` (DESIGN.md §4 "Address space": its page
 * table is built and controlled by another domain while the memory for it is paid by the
 * space's owner, through `bank`). The slot must not hold a page table yet.
 */
export function delegateRegion(k: KernelState, space: Space, pdIndex: number, bank: Bank): Result<Region> {
  if (space.tables.has(pdIndex)) return err(space.tables.get(pdIndex)!.region ? 'delegated' : 'busy');
  const t = allocTable(k, space, pdIndex, bank);
  if (!t.ok) return t;
  const region: Region = { ...header(k, bank), kind: 'region', table: t.value };
  t.value.region = region;
  return ok(adopt(k, bank, region, t.value.frame));
}
