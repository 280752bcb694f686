// Ethernet frames as the wire carries them: validation with clear errors, the IEEE 802.3
// frame check sequence (CRC-32), and MAC address helpers. A "frame" here is destination
// address through payload (60–1514 bytes, IEEE 802.3 §3.2); the 4-byte FCS is appended
// on the wire.

/** IEEE 802.3 §4.4.2: minimum and maximum frame length without the FCS. */
export const ETH_MIN_FRAME = 60;
export const ETH_MAX_FRAME = 1514;
export const FCS_BYTES = 4;
export const MAC_BYTES = 6;
/** Offset of the EtherType / length field. */
export const ETHERTYPE_OFFSET = 12;

export class FrameError extends Error {
  override name = 'FrameError';
}

/** Check that `frame` is a legal frame (no FCS); returns it typed, or throws FrameError naming `who`. */
export function checkFrame(frame: unknown, who = 'frame'): Uint8Array {
  if (!(frame instanceof Uint8Array)) throw new FrameError(`${who}: a frame must be a Uint8Array of bytes, got ${describe(frame)}`);
  if (frame.length < ETH_MIN_FRAME) throw new FrameError(`${who}: frame of ${frame.length} bytes is shorter than the Ethernet minimum of ${ETH_MIN_FRAME} (pad it)`);
  if (frame.length > ETH_MAX_FRAME) throw new FrameError(`${who}: frame of ${frame.length} bytes is longer than the Ethernet maximum of ${ETH_MAX_FRAME}`);
  return frame;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length} elements`;
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'an object' : typeof x;
}

// CRC-32 of IEEE 802.3 (polynomial 0x04C11DB7, bit-reflected form 0xEDB88320, initial
// value all ones, final complement), table driven, four bytes a step ("slicing by 4":
// table k advances the CRC of a byte by k further zero bytes), byte by byte at the ends.
const CRC_TABLES = (() => {
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k * 256 + n] = (t[t[(k - 1) * 256 + n]! & 0xff]! ^ (t[(k - 1) * 256 + n]! >>> 8)) >>> 0;
  }
  return t;
})();

/** The FCS value of bytes[start, end): the CRC-32 that IEEE 802.3 transmits LSB first. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC_TABLES;
  let c = 0xffffffff;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Write the FCS of bytes[0, n) into bytes[n, n+4) (least significant byte first, as sent). */
export function putFcs(bytes: Uint8Array, n: number): void {
  const c = crc32(bytes, 0, n);
  bytes[n] = c & 0xff;
  bytes[n + 1] = (c >>> 8) & 0xff;
  bytes[n + 2] = (c >>> 16) & 0xff;
  bytes[n + 3] = c >>> 24;
}

/** A copy of `frame` with its FCS appended. */
export function withFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + FCS_BYTES);
  out.set(frame);
  putFcs(out, frame.length);
  return out;
}

/** Whether the last 4 bytes of `wire` are the correct FCS of the rest. */
export function fcsOk(wire: Uint8Array, length = wire.length): boolean {
  if (length < FCS_BYTES) return false;
  const n = length - FCS_BYTES;
  const c = crc32(wire, 0, n);
  return wire[n] === (c & 0xff) && wire[n + 1] === ((c >>> 8) & 0xff) && wire[n + 2] === ((c >>> 16) & 0xff) && wire[n + 3] === c >>> 24;
}

/** Parse "02:52:4c:00:00:01" (or with '-'); throws on anything else. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== MAC_BYTES || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new FrameError(`bad MAC address '${s}'`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: Uint8Array, offset = 0): string {
  return Array.from(mac.subarray(offset, offset + MAC_BYTES), (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function isBroadcast(frame: Uint8Array): boolean {
  for (let i = 0; i < MAC_BYTES; i++) if (frame[i] !== 0xff) return false;
  return true;
}

/** The I/G bit of the first destination byte: set for multicast (and broadcast), IEEE 802.3 §3.2.3. */
export const MULTICAST_BIT = 0x01;

/** The I/G bit of the destination: set for multicast (and broadcast). */
export function isMulticast(frame: Uint8Array): boolean {
  return (frame[0]! & MULTICAST_BIT) !== 0;
}

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): boolean {
  for (let i = 0; i < MAC_BYTES; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** A copy of `frame` with destination and source addresses swapped (what the echo peer sends back). */
export function swapAddresses(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  out.set(frame.subarray(MAC_BYTES, 2 * MAC_BYTES), 0);
  out.set(frame.subarray(0, MAC_BYTES), MAC_BYTES);
  return out;
}

/** Build a frame: dst, src, EtherType, payload, zero-padded to the minimum. */
export function buildFrame(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  const n = Math.max(ETH_MIN_FRAME, 2 * MAC_BYTES + 2 + payload.length);
  const f = new Uint8Array(n);
  f.set(dst.subarray(0, MAC_BYTES), 0);
  f.set(src.subarray(0, MAC_BYTES), MAC_BYTES);
  f[ETHERTYPE_OFFSET] = etherType >> 8;
  f[ETHERTYPE_OFFSET + 1] = etherType & 0xff;
  f.set(payload, 14);
  return checkFrame(f);
}
