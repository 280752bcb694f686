// The driver's checks of ring entries a stack wrote (DESIGN.md §5): bounds, ownership,
// duplicates, lengths. Pure functions over the private copy of an entry, returning the
// accepted values or a rejection reason; never throwing, whatever the words are.

import { ETH_MAX_FRAME, ETH_MIN_FRAME } from '../net/ethernet.js';
import { PAGE_BYTES, type Geometry } from './layout.js';
import type { Entry } from './ring.js';
import type { RejectReason } from './reasons.js';

export interface TxRequest {
  /** Byte offset of the frame in the session's transmit area. */
  readonly offset: number;
  readonly length: number;
  readonly cookie: number;
}

/** Check a TX_SUBMIT entry against the session's geometry. */
export function checkTxEntry(e: Entry, g: Geometry): TxRequest | RejectReason {
  const [offset, length, cookie] = e;
  if (length < ETH_MIN_FRAME || length > ETH_MAX_FRAME) return 'bad-length';
  if (offset >= g.txPages * PAGE_BYTES || offset + length > g.txPages * PAGE_BYTES) return 'out-of-bounds';
  if ((offset % PAGE_BYTES) + length > PAGE_BYTES) return 'crosses-page';
  return { offset, length, cookie };
}

/**
 * Check an RX_FILL entry: the buffer number must be one of the session's receive buffers, and
 * not one the driver already holds (posted twice, or not yet returned by a delivery).
 */
export function checkFillEntry(e: Entry, g: Geometry, driverHolds: (buffer: number) => boolean): number | RejectReason {
  const buffer = e[0];
  if (buffer >= g.rxBuffers) return 'out-of-bounds';
  if (driverHolds(buffer)) return 'duplicate';
  return buffer;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ checkTxEntry, checkFillEntry });
