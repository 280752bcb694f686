// Space banks (DESIGN.md §4 "Space bank"): a tree. Every frame an object holds is charged to
// the bank that allocated it and to all of that bank's ancestors, and no bank on the chain
// may go over its limit. Pins are charged the same way against the pin limits (§4 `pin` row).
// The opaque bank is just a capability without the destroy/free/limits/query rights.
// A sub-bank itself takes one frame from its parent, so no allocation is ever free.
// Beside its usage a bank carries `reserved`: frames held for pinned pages below it (the
// promised replacement of a pinned frame, or the quarantined frame itself: pin.ts). The
// limit bounds usage + reserved, so pins never hold frames beyond a client's limit.

import type { Hardware } from './hardware.js';
import type { KObject, ObjectHeader } from './objects.js';

export interface Bank extends ObjectHeader {
  readonly kind: 'bank';
  /** Parent bank; kept after the bank is destroyed so late unpins can uncharge the chain. */
  readonly parent: Bank | undefined;
  /** Frame holding the bank's own kernel state, charged to its parent (none for the prime bank). */
  readonly frame: number | undefined;
  readonly children: Set<Bank>;
  /** Objects allocated directly from this bank, in allocation order. */
  readonly objects: Set<KObject>;
  /** Frames charged: held by objects of this bank and of its descendants. */
  usage: number;
  /** Frames held for pins on pages of this bank and its descendants (pin.ts); counted against `limit` too. */
  reserved: number;
  limit: number;
  /** Live pins on pages of this bank and of its descendants. */
  pins: number;
  pinLimit: number;
}

/** The bank and its ancestors, nearest first. */
export function* chain(bank: Bank): Generator<Bank> {
  for (let b: Bank | undefined = bank; b; b = b.parent) yield b;
}

/** Charge `frames` to the bank and every ancestor, or nothing if any of them would exceed its limit. */
export function charge(hw: Hardware, bank: Bank, frames: number): boolean {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    if (b.usage + b.reserved + frames > b.limit) return false;
  }
  for (const b of chain(bank)) b.usage += frames;
  return true;
}

/** Charge one pin reserve frame to the bank and every ancestor, or nothing if a limit would be exceeded. */
export function chargeReserve(hw: Hardware, bank: Bank): boolean {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    if (b.usage + b.reserved + 1 > b.limit) return false;
  }
  for (const b of chain(bank)) b.reserved++;
  return true;
}

export function unchargeReserve(hw: Hardware, bank: Bank): void {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    b.reserved--;
  }
}

export function uncharge(hw: Hardware, bank: Bank, frames: number): void {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    b.usage -= frames;
  }
}

/** Charge one pin, or nothing if a pin limit on the chain would be exceeded. */
export function chargePin(hw: Hardware, bank: Bank): boolean {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    if (b.pins + 1 > b.pinLimit) return false;
  }
  for (const b of chain(bank)) b.pins++;
  return true;
}

export function unchargePin(hw: Hardware, bank: Bank): void {
  for (const b of chain(bank)) {
    hw.compute(hw.costs.bankStep);
    b.pins--;
  }
}

/** Every live object allocated from `bank` and its sub-banks (sub-banks included), depth first. */
export function* objectsUnder(bank: Bank): Generator<KObject> {
  for (const o of bank.objects) {
    yield o;
    if (o.kind === 'bank') yield* objectsUnder(o);
  }
}
