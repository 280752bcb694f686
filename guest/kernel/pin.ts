// Pinning pages for DMA.
//
// DESIGN.md §4, row `pin(page, dir)`: "returns a bus address and a token; pin count +1;
// with an IOMMU, maps the frame for the device. Rule: pins are charged to the page's bank
// and limited per bank."
// Row `unpin(token)`: "pin count −1; with an IOMMU, unmaps first; a quarantined frame with
// count 0 is zeroed and freed. Rule: a token is single-use; double unpin is an error, not a
// crash."
//
// The token remembers the frame, not the page: if the page is revoked or moves meanwhile,
// the unpin still releases exactly the frame the device was given. Bus addresses are
// physical addresses; with the IOMMU on, bus page n is mapped to frame n (writable only
// while some pin of the frame lets the device write).

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import type { PinDirection, Result } from './api/context.js';
import { chargePin, unchargePin, type Bank } from './banks.js';
import { R_READ, R_WRITE } from './caps.js';
import { PIN_STEP } from './costs.js';
import type { DevPriv } from './devpriv.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import type { KernelState } from './state.js';

export interface PinToken {
  readonly id: number;
  readonly frame: number;
  /** The frame's allocation epoch at pin time: it may not change while the pin lives. */
  readonly epoch: number;
  /** The bank (and so the chain) the pin is charged to. */
  readonly bank: Bank;
  /** The device may write the frame. */
  readonly writable: boolean;
}

export function pin(k: KernelState, dp: DevPriv, page: Page, pageRights: number, dir: PinDirection): Result<{ bus: number; token: number }> {
  const writable = dir === 'from-device';
  if ((pageRights & (writable ? R_WRITE : R_READ)) === 0) return err('no-rights');
  if (!chargePin(k.hw, page.bank!)) return err('limit');
  k.hw.compute(PIN_STEP);
  const f = page.frame;
  if (k.frames.pins[f] === 0) k.pinEpoch[f] = k.frames.epoch[f]!;
  k.frames.pins[f]!++;
  k.writablePins[f]! += writable ? 1 : 0;
  if (k.hw.iommuEnabled) k.hw.iommuMap(f, f, k.writablePins[f]! > 0);
  const token: PinToken = { id: k.nextToken++, frame: f, epoch: k.frames.epoch[f]!, bank: page.bank!, writable };
  dp.tokens.set(token.id, token);
  k.counters.pins++;
  k.hw.record('kernel.pin', f, token.id, writable ? 1 : 0);
  return ok({ bus: f * FRAME_SIZE, token: token.id });
}

export function unpin(k: KernelState, dp: DevPriv, tokenId: number): Result {
  const t = dp.tokens.get(tokenId);
  if (!t) return err('bad-token');
  dp.tokens.delete(tokenId);
  k.hw.compute(PIN_STEP);
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
  if (remaining === 0 && k.frames.state[f] === 'quarantined') k.frames.release(f);
  return ok();
}
