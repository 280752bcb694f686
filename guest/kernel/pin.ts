// Pinning pages for DMA.
//
// DESIGN.md §4, row `pin(page, dir)`: "returns a bus address and a token; pin count +1;
// with an IOMMU, maps the frame for the device. Rule: pins are charged to the page's bank
// and limited per bank."
// Row `unpin(token)`: "pin count −1; with an IOMMU, unmaps first; a quarantined frame with
// count 0 is freed (dirty: zeroed before reuse, frames.ts). Rule: a token is single-use; double unpin is an error, not a
// crash."
//
// A pinned frame may cost one more frame: if its page is revoked, the page moves to a fresh
// frame while the pinned one waits in quarantine. That frame is paid when the frame's pin
// count rises from 0: one frame charged to the page's bank chain as `reserved` (counted
// against the frame limits, banks.ts) and one free frame promised (frames.ts pinReserve).
// So revocation never allocates, never fails for want of memory, and a client's pins never
// hold frames beyond its limit. The charge is dropped when the count falls back to 0 (with
// the quarantined frame, if any).
//
// The token remembers the frame, not the page: if the page is revoked or moves meanwhile,
// the unpin still releases exactly the frame the device was given. Bus addresses are
// physical addresses; with the IOMMU on, bus page n is mapped to frame n (writable only
// while some pin of the frame lets the device write).

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import type { PinDirection, Result } from './api/context.js';
import { chargePin, chargeReserve, unchargePin, unchargeReserve, type Bank } from './banks.js';
import { R_READ, R_WRITE } from './caps.js';
import type { DevPriv } from './devpriv.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import type { KernelState } from './state.js';

export interface PinToken {
  readonly id: number;
  readonly frame: number;
  /** The frame's allocation epoch at pin time: it may not change while the pin lives. */
  readonly epoch: number;
  /** The page the frame backed at pin time: while it is not quarantined it may back no other (exchange refuses pinned frames). */
  readonly page: Page;
  /** The bank (and so the chain) the pin is charged to. */
  readonly bank: Bank;
  /** The device may write the frame. */
  readonly writable: boolean;
}

export function pin(k: KernelState, dp: DevPriv, page: Page, pageRights: number, dir: PinDirection): Result<{ bus: number; token: number }> {
  const writable = dir === 'from-device';
  if ((pageRights & (writable ? R_WRITE : R_READ)) === 0) return err('no-rights');
  const bank = page.bank!;
  const f = page.frame;
  const first = k.frames.pins[f] === 0;
  if (!chargePin(k.hw, bank)) return err('limit');
  if (first && !chargeReserve(k.hw, bank)) {
    unchargePin(k.hw, bank);
    return err('limit');
  }
  if (first && !k.frames.reserve()) {
    unchargeReserve(k.hw, bank);
    unchargePin(k.hw, bank);
    return err('no-memory');
  }
  k.hw.compute(k.hw.costs.pinStep);
  if (first) {
    k.pinned.add(f);
    k.pinEpoch[f] = k.frames.epoch[f]!;
    k.reserveBank[f] = bank;
  }
  k.frames.pins[f]!++;
  k.writablePins[f]! += writable ? 1 : 0;
  if (k.hw.iommuEnabled) k.hw.iommuMap(f, f, k.writablePins[f]! > 0);
  const token: PinToken = { id: k.nextToken++, frame: f, epoch: k.frames.epoch[f]!, page, bank: page.bank!, writable };
  dp.tokens.set(token.id, token);
  k.counters.pins++;
  k.hw.record('kernel.pin', f, token.id, writable ? 1 : 0);
  return ok({ bus: f * FRAME_SIZE, token: token.id });
}

export function unpin(k: KernelState, dp: DevPriv, tokenId: number): Result {
  const t = dp.tokens.get(tokenId);
  if (!t) return err('bad-token');
  dp.tokens.delete(tokenId);
  k.hw.compute(k.hw.costs.pinStep);
  const f = t.frame;
  const remaining = k.frames.pins[f]! - 1;
  k.writablePins[f]! -= t.writable ? 1 : 0;
  // The device loses access before the count drops (and before any free below).
  if (k.hw.iommuEnabled) {
    if (remaining === 0) k.hw.iommuUnmap(f);
    else if (t.writable && k.writablePins[f] === 0) k.hw.iommuMap(f, f, false);
  }
  k.frames.pins[f] = remaining;
  unchargePin(k.hw, t.bank);
  k.counters.unpins++;
  k.hw.record('kernel.unpin', f, tokenId, remaining);
  if (remaining === 0) {
    k.pinned.delete(f);
    const reserveBank = k.reserveBank[f]!;
    k.reserveBank[f] = undefined;
    if (k.frames.state[f] === 'quarantined') k.frames.release(f);
    else k.frames.unreserve();
    unchargeReserve(k.hw, reserveBank);
  }
  return ok();
}
