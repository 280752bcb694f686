// The NE2000 station address PROM: 16 bytes (MAC in 0–5, 0x57 0x57 in 14–15, the NE2000
// signature Linux's ne.c checks), wired to a 16-bit card so that each byte appears twice
// at remote DMA addresses 0–31: reading it in byte mode gives every byte doubled, which
// is how ne.c's probe tells a 16-bit card from an 8-bit one.

import { MAC_BYTES } from '../frame.js';

export const PROM_BYTES = 16;
export const PROM_WINDOW = 32;
export const NE2000_SIGNATURE = 0x57;

/** The 32-byte PROM window as remote DMA sees it. */
export function promImage(mac: Uint8Array): Uint8Array {
  if (mac.length !== MAC_BYTES) throw new RangeError(`PROM: a MAC address has 6 bytes, got ${mac.length}`);
  const prom = new Uint8Array(PROM_BYTES);
  prom.set(mac, 0);
  prom[14] = NE2000_SIGNATURE;
  prom[15] = NE2000_SIGNATURE;
  const window = new Uint8Array(PROM_WINDOW);
  for (let i = 0; i < PROM_BYTES; i++) window[2 * i] = window[2 * i + 1] = prom[i]!;
  return window;
}
