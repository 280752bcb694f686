// Device privileges (DESIGN.md §4 "Device privileges"): the capability the driver holds for
// its card: a range of I/O ports, an IRQ line, and the right to pin pages for DMA. The kernel
// creates it at boot for a composition root; no bank allocates one.

import type { Notification } from './notifications.js';
import type { ObjectHeader } from './objects.js';
import type { PinToken } from './pin.js';

export interface DevPriv extends ObjectHeader {
  readonly kind: 'devpriv';
  readonly name: string;
  readonly portBase: number;
  readonly portCount: number;
  /** IRQ line 1..15, or -1 for none. */
  readonly irq: number;
  /** Where the IRQ is delivered: notification and bits to set. */
  irqTarget: { n: Notification; version: number; bits: number } | undefined;
  /** Live pin tokens issued through this capability. */
  readonly tokens: Map<number, PinToken>;
}

/** Whether an access of `width` bytes at `port` lies wholly in the device's range. */
export function portAllowed(dp: DevPriv, port: number, width: number): boolean {
  return Number.isInteger(port) && port >= dp.portBase && port + width <= dp.portBase + dp.portCount;
}
