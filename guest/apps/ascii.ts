// Text protocols' bytes (HTTP's request lines and fields are ASCII): a string to bytes and
// back, one byte per character, without the host's TextEncoder (a host object, not one of
// the realm's frozen intrinsics).

/** The bytes of `s`, one per character (its low 8 bits). */
export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** The characters of `b`, one per byte. */
export function text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ascii, text });
