// The byte pattern of bulk data and of the HTTP server's /bytes/N: byte i of a stream is
// i mod 251. 251 is prime and not a power of two, so a lost, repeated or misplaced segment
// of any length (a multiple of 256 included) shows up as wrong bytes.

export const PATTERN_MODULUS = 251;

/** `length` bytes of the pattern starting at stream offset `offset`. */
export function patternBytes(offset: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let v = offset % PATTERN_MODULUS;
  for (let i = 0; i < length; i++) {
    b[i] = v;
    if (++v === PATTERN_MODULUS) v = 0;
  }
  return b;
}

/** The index in `data` of the first byte that is not the pattern at `offset`, or -1. */
export function patternMismatch(data: Uint8Array, offset: number): number {
  let v = offset % PATTERN_MODULUS;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== v) return i;
    if (++v === PATTERN_MODULUS) v = 0;
  }
  return -1;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ patternBytes, patternMismatch });
