// The colours the views agree on: one per owner of a frame (the kernel, the driver, each
// client), and the frame states that are nobody's (free, not yet zeroed, quarantined).

import { OWNER_DRIVER, OWNER_FIRST_CLIENT, OWNER_KERNEL } from '../protocol.js';

export const FREE_COLOUR = '#eeeeee';
export const DIRTY_COLOUR = '#c9c9c9';
export const QUARANTINE_COLOUR = '#e02424';
export const KERNEL_COLOUR = '#555555';
export const DRIVER_COLOUR = '#2f5fa8';
export const HIGHLIGHT_COLOUR = '#ff00aa';
const CLIENT_COLOURS = ['#e08a1e', '#2e9e58', '#8a4fc0', '#c0397a', '#1ea3a8', '#a8a01e', '#7a5230', '#5a7a1e'];

export function ownerColour(owner: number): string {
  if (owner === OWNER_KERNEL) return KERNEL_COLOUR;
  if (owner === OWNER_DRIVER) return DRIVER_COLOUR;
  const k = owner - OWNER_FIRST_CLIENT;
  // Past the named colours (clients 9 to 16), hues spread around the wheel, none near the reds of quarantine.
  if (k >= 0) return CLIENT_COLOURS[k] ?? `hsl(${(40 + k * 67) % 300 + 30}, 55%, 42%)`;
  return '#999999';
}
