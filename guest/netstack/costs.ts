// What the stack domain charges for protocol work, in compute units (about one instruction
// each, as the kernel's costs.ts counts). Memory traffic is charged by the memory view
// itself (reading a frame out of its receive buffer, writing one into a transmit buffer);
// these are the instructions around it. Estimates (~), after Clark, Jacobson, Romkey and
// Salwen, "An Analysis of TCP Processing Overhead" (IEEE Communications, June 1989): about
// 200-300 instructions of TCP and IP per packet on the common path, plus the Internet
// checksum over the data, about one instruction per byte on a 32-bit CPU (the same figure
// as the CPU's own checksum cost, emulator/machine/costs.ts checksumPerByte).

import { ETH_HEADER } from '../net/ethernet.js';

/** ~ Ethernet, IPv4 and TCP or UDP input for one frame, checksums aside. */
export const INPUT_UNITS_PER_FRAME = 300;
/** ~ Building one frame's headers and routing it, checksums aside. */
export const OUTPUT_UNITS_PER_FRAME = 250;
/** ~ The Internet checksum, per byte checksummed (the IPv4 header and the transport segment). */
export const CHECKSUM_UNITS_PER_BYTE = 1;

export function frameInputCost(frame: Uint8Array): number {
  return INPUT_UNITS_PER_FRAME + Math.max(0, frame.length - ETH_HEADER) * CHECKSUM_UNITS_PER_BYTE;
}

export function frameOutputCost(frame: Uint8Array): number {
  return OUTPUT_UNITS_PER_FRAME + Math.max(0, frame.length - ETH_HEADER) * CHECKSUM_UNITS_PER_BYTE;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ frameInputCost, frameOutputCost });
