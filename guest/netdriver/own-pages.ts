// The pages a driver keeps for itself (descriptor rings, transmit headers, its receive pool,
// and, in the in-kernel topology, its transmit buffers): allocated from its own bank, mapped
// read-write in its own space and, when the card masters the bus, pinned for the card. Both
// the shared driver (driver.ts) and the in-kernel network (guest/inkernel) start this way.

import type { DomainContext, GuestCode, PinDirection, Slot } from '../kernel/api/context.js';
import { SLOT_BANK, SLOT_DEVPRIV, SLOT_SPACE } from './config.js';

/** A page the driver pinned: its bus address and pin token. */
export interface Pinned {
  readonly bus: number;
  readonly token: number;
}

/** The pins of a driver's own pages the card reads and writes: its descriptor ring page, its header page, its receive pool. */
export interface OwnPins {
  readonly ring?: Pinned;
  readonly header?: Pinned;
  readonly pool: readonly Pinned[];
}

export interface OwnPage {
  readonly slot: Slot;
  readonly va: number;
  readonly dir: PinDirection;
}

/** The value of a start-up operation that cannot fail in a sound composition; a failure ends the driver with its reason. */
export function* mustSucceed<T>(what: string, r: GuestCode<{ ok: true; value: T } | { ok: false; error: string }>): GuestCode<T> {
  const x = yield* r;
  if (!x.ok) throw new Error(`driver start: ${what}: ${x.error}`);
  return x.value;
}

/** Allocate and map `pages`; with `pin`, pin each for the card and return the pins in the same order (else none). */
export function* setUpOwnPages(ctx: DomainContext, pages: readonly OwnPage[], pin: boolean): GuestCode<Pinned[]> {
  const pins: Pinned[] = [];
  for (const { slot, va, dir } of pages) {
    yield* mustSucceed('allocPage', ctx.invoke(SLOT_BANK, 'allocPage', { dst: slot }));
    yield* mustSucceed('map', ctx.invoke(SLOT_SPACE, 'map', { va, page: slot, rights: ['read', 'write'] }));
    if (pin) pins.push(yield* mustSucceed('pin', ctx.invoke(SLOT_DEVPRIV, 'pin', { page: slot, dir })));
  }
  return pins;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ mustSucceed, setUpOwnPages });
