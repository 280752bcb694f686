// The DP8390 address filter: physical address match (PAR0–5), broadcast when RCR.AB,
// multicast through the 64-bit MAR hash when RCR.AM, everything when RCR.PRO. The hash
// index is the 6 most significant bits of the big-endian CRC-32 of the destination
// address (the form Linux's ether_crc computes: no final complement), selecting bit
// (index & 7) of MAR[index >> 3] (DP8390 datasheet, "Multicast Address Registers";
// Linux lib8390.c make_mc_bits uses the same bits).

import { isBroadcast, isMulticast, macEquals, MAC_BYTES } from '../frame.js';
import { RCR_AB, RCR_AM, RCR_PRO } from './registers.js';

/** CRC-32 over `bytes` MSB-first with polynomial 0x04C11DB7, initial all ones, no final complement. */
export function etherCrcBigEndian(bytes: Uint8Array, offset = 0, length = MAC_BYTES): number {
  let crc = 0xffffffff;
  for (let i = 0; i < length; i++) {
    let b = bytes[offset + i]!;
    for (let k = 0; k < 8; k++, b >>= 1) {
      const carry = (crc >>> 31) ^ (b & 1);
      crc = (crc << 1) >>> 0;
      if (carry) crc = (crc ^ 0x04c11db7) >>> 0;
    }
  }
  return crc >>> 0;
}

/** The MAR hash index (0..63) of a destination address. */
export function multicastHashIndex(dst: Uint8Array, offset = 0): number {
  return etherCrcBigEndian(dst, offset) >>> 26;
}

/** Whether a frame with destination at frame[0..5] passes the filter. */
export function accepts(frame: Uint8Array, rcr: number, par: Uint8Array, mar: Uint8Array): boolean {
  if (rcr & RCR_PRO) return true;
  if (isBroadcast(frame)) return (rcr & RCR_AB) !== 0;
  if (isMulticast(frame)) {
    if ((rcr & RCR_AM) === 0) return false;
    const h = multicastHashIndex(frame);
    return (mar[h >> 3]! & (1 << (h & 7))) !== 0;
  }
  return macEquals(frame, 0, par);
}
