// Why the driver refuses something a stack wrote (DESIGN.md §5, "validates every descriptor
// a stack posts"). Each is counted per session; none is fatal to the driver.

import { TX_HEADER_REASONS } from '../net/txcheck.js';

export const REJECT_REASONS = Object.freeze([
  'index-jump', // a ring index moved further than the ring holds
  'out-of-bounds', // a buffer number or offset outside the session's own buffers
  'bad-length', // a length outside the Ethernet frame sizes, or past the buffer
  'crosses-page', // a transmit frame that spans two pages (not one DMA fragment)
  'duplicate', // a receive buffer posted while the driver already holds it
  ...TX_HEADER_REASONS.filter((r) => r !== 'bad-length'), // the transmit header check
  'pin-limit', // the kernel refused to pin the page (the session's bank is at its pin limit)
  'revoked', // the session's storage was revoked while the driver used it
] as const);
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Status codes in TX_DONE entries: 0 is sent, otherwise 1 + the index of the reason. */
export function txStatusOf(reason: RejectReason | undefined): number {
  return reason === undefined ? 0 : 1 + REJECT_REASONS.indexOf(reason);
}

export function reasonOfTxStatus(status: number): RejectReason | undefined {
  return status === 0 ? undefined : REJECT_REASONS[status - 1];
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ txStatusOf, reasonOfTxStatus });
