// Revocation: rescinding objects, freeing them, destroying banks.
//
// DESIGN.md §4, row `revoke` / bank `destroy` / `free`: "version bump voids every
// capability; every PTE mapping the frame is cleared and the TLBs flushed before the
// operation returns; a pinned frame goes to quarantine instead of the free list. Rule: the
// frame is never reallocated while pinned."
//
// Every step writes page tables through physical memory and charges cycles, so DMA beats
// keep landing while a long revocation runs (DESIGN.md §3). The TLB flush is INVLPG for
// each cleared PTE of the current space (spaces.ts: only it can have TLB entries), and a
// CR3 reload when the current space itself goes away.

import type { Result } from './api/context.js';
import { objectsUnder, uncharge, type Bank } from './banks.js';
import type { Domain } from './domains.js';
import { detachDomain, failEndpoint, failNotification } from './ipc.js';
import type { KObject } from './objects.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import { clearMapping, clearTable, isCurrent, type Region, type Space } from './spaces.js';
import type { KernelState } from './state.js';
import { FRAME_SIZE } from '../../emulator/machine/memory.js';

/** Clear every PTE that maps `frame`, through the reverse map (§6 item 3). */
export function revokeMappings(k: KernelState, frame: number): void {
  k.hw.record('kernel.revoke', frame, k.frames.rmap[frame]!.size);
  for (const m of [...k.frames.rmap[frame]!]) {
    clearMapping(k.hw, k.frames, m);
    k.counters.revokedMappings++;
  }
}

/** A frame nobody may use any more: to quarantine if pinned (§6 item 2), else freed (dirty: zeroed before reuse). */
export function retireFrame(k: KernelState, frame: number): void {
  if (k.frames.pins[frame]! > 0 && !k.unsafe.freePinnedFrames) {
    k.frames.quarantine(frame);
    k.counters.quarantined++;
    k.hw.record('kernel.quarantine', frame, k.frames.pins[frame]);
  } else {
    k.frames.release(frame);
  }
}

/** Void every capability to `obj` and unlink it from its bank. */
function retire(k: KernelState, obj: KObject): void {
  k.hw.compute(k.hw.costs.objectSetup);
  obj.version++;
  obj.live = false;
  obj.bank?.objects.delete(obj);
}

/** Rescind any object: it and, for a bank, everything allocated from it and its sub-banks. */
export function rescind(k: KernelState, obj: KObject): void {
  switch (obj.kind) {
    case 'page':
      return rescindPage(k, obj);
    case 'space':
      return rescindSpace(k, obj);
    case 'region':
      return rescindRegion(k, obj);
    case 'domain':
      return rescindDomain(k, obj);
    case 'endpoint':
      retire(k, obj);
      failEndpoint(k, obj);
      return releaseCharged(k, obj.bank!, obj.frame);
    case 'notification':
      retire(k, obj);
      failNotification(k, obj);
      return releaseCharged(k, obj.bank!, obj.frame);
    case 'bank':
      return destroyBank(k, obj);
    case 'devpriv':
      return; // boot objects are never rescinded
  }
}

function releaseCharged(k: KernelState, bank: Bank, frame: number): void {
  k.frames.release(frame);
  uncharge(k.hw, bank, 1);
}

function rescindPage(k: KernelState, page: Page): void {
  retire(k, page);
  revokeMappings(k, page.frame);
  retireFrame(k, page.frame);
  uncharge(k.hw, page.bank!, 1);
}

/** Stop a domain for good: it leaves the run queue and every rendezvous. */
export function stopDomain(k: KernelState, d: Domain): void {
  if (d.state === 'stopped') return;
  detachDomain(k, d, objectsUnder(k.primeBank));
  d.state = 'stopped';
  if (d.thread && d.thread.state !== 'faulted') d.thread.state = 'done';
  const i = k.domains.indexOf(d);
  if (i >= 0) k.domains.splice(i, 1);
}

function rescindDomain(k: KernelState, d: Domain): void {
  retire(k, d);
  stopDomain(k, d);
  releaseCharged(k, d.bank!, d.frame);
}

function rescindRegion(k: KernelState, r: Region): void {
  retire(k, r);
  clearTable(k.hw, k.frames, r.table);
  r.table.space.tables.delete(r.table.pdIndex);
  releaseCharged(k, r.bank!, r.table.frame);
}

function rescindSpace(k: KernelState, s: Space): void {
  retire(k, s);
  for (const d of [...k.domains]) if (d.space === s) stopDomain(k, d);
  // Leave the space first if it is loaded: its directory must never be walked again.
  if (isCurrent(k.hw, s)) k.hw.writeCr3(k.kernelPd * FRAME_SIZE);
  for (const t of [...s.tables.values()]) {
    if (t.region) rescindRegion(k, t.region);
    else {
      clearTable(k.hw, k.frames, t);
      s.tables.delete(t.pdIndex);
      releaseCharged(k, s.bank!, t.frame);
    }
  }
  releaseCharged(k, s.bank!, s.pd);
}

/** `destroy`: rescind everything allocated from the bank and its sub-banks, then the bank. */
export function destroyBank(k: KernelState, bank: Bank): void {
  if (!bank.live) return;
  // Domains first, so that no domain is left runnable in a space being taken apart.
  const objs = [...bank.objects];
  for (const o of objs) if (o.kind === 'domain') rescind(k, o);
  for (const o of objs) if (o.live && o.kind !== 'domain') rescind(k, o);
  retire(k, bank);
  bank.parent?.children.delete(bank);
  if (bank.frame !== undefined) releaseCharged(k, bank.parent!, bank.frame);
}

/** `free`: rescind one object, which the bank must have allocated itself. */
export function freeObject(k: KernelState, bank: Bank, obj: KObject): Result {
  if (obj.bank !== bank) return err('not-owner');
  rescind(k, obj);
  return ok();
}

/**
 * `revoke` of a page by its bank: version bump (every capability to it is void, the caller
 * gets a fresh one), every mapping cleared. A pinned frame stays behind in quarantine and
 * the page moves to a fresh zeroed frame, so DMA still in flight never lands in the page.
 * That frame was promised and paid for when the frame was pinned (pin.ts): revocation
 * cannot fail, whatever the state of memory.
 */
export function revokePage(k: KernelState, page: Page): Result {
  k.hw.compute(k.hw.costs.objectSetup);
  page.version++;
  revokeMappings(k, page.frame);
  if (k.frames.pins[page.frame]! > 0) {
    const fresh = k.frames.allocate('allocated', page, true)!;
    retireFrame(k, page.frame);
    page.frame = fresh;
  }
  return ok();
}
