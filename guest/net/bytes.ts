// Big-endian (network byte order) field access over a frame held in a Uint8Array, and the
// small address helpers every header module needs. Reads past the end give 0 rather than
// throwing: callers check lengths first, and a hostile frame must never crash a parser.

/** Read an unsigned 16-bit big-endian field at `off`. */
export function get16(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) << 8) | (b[off + 1] ?? 0);
}

/** Read an unsigned 32-bit big-endian field at `off` (an IPv4 address, for instance). */
export function get32(b: Uint8Array, off: number): number {
  return (((b[off] ?? 0) << 24) | ((b[off + 1] ?? 0) << 16) | ((b[off + 2] ?? 0) << 8) | (b[off + 3] ?? 0)) >>> 0;
}

export function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

export function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** Whether b[off, off+n) equals want[0, n). */
export function bytesEqual(b: Uint8Array, off: number, want: Uint8Array, n = want.length): boolean {
  if (off + n > b.length || n > want.length) return false;
  for (let i = 0; i < n; i++) if (b[off + i] !== want[i]) return false;
  return true;
}

/** An IPv4 address as a 32-bit number, from "10.0.0.2"; undefined when malformed. */
export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0);
}

export function formatIpv4(a: number): string {
  return [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join('.');
}

/** Parse "02:52:4c:00:00:01" (or with '-'); undefined when malformed. */
export function parseMac(s: string): Uint8Array | undefined {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, off = 0): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ get16, get32, put16, put32, bytesEqual, parseIpv4, formatIpv4, parseMac, formatMac });
