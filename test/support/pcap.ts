// A reader for classic little-endian libpcap files (the format devices/pcap/writer.ts
// writes): the global header's fields and every record with its microsecond timestamp.
// Anything malformed (bad magic, a record running past the end, captured != original
// length) throws with the offset, so a test fails on it with a readable reason.

export interface PcapRecord {
  /** Timestamp: seconds * 1e6 + microseconds. */
  micros: number;
  /** The captured bytes. */
  frame: Uint8Array;
}

export interface PcapFile {
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  records: PcapRecord[];
}

const MAGIC = 0xa1b2c3d4;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

export function parsePcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER_BYTES) throw new Error(`pcap: ${bytes.length} bytes is shorter than the global header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = dv.getUint32(0, true);
  if (magic !== MAGIC) throw new Error(`pcap: magic 0x${magic.toString(16)} is not 0xa1b2c3d4 (classic, little-endian)`);
  const records: PcapRecord[] = [];
  let o = GLOBAL_HEADER_BYTES;
  while (o < bytes.length) {
    if (o + RECORD_HEADER_BYTES > bytes.length) throw new Error(`pcap: truncated record header at offset ${o}`);
    const micros = dv.getUint32(o, true) * 1e6 + dv.getUint32(o + 4, true);
    const captured = dv.getUint32(o + 8, true);
    const original = dv.getUint32(o + 12, true);
    if (captured !== original) throw new Error(`pcap: record at offset ${o} captured ${captured} of ${original} bytes`);
    if (o + RECORD_HEADER_BYTES + captured > bytes.length) throw new Error(`pcap: record at offset ${o} runs past the end`);
    records.push({ micros, frame: bytes.slice(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + captured) });
    o += RECORD_HEADER_BYTES + captured;
  }
  return { versionMajor: dv.getUint16(4, true), versionMinor: dv.getUint16(6, true), snaplen: dv.getUint32(16, true), linkType: dv.getUint32(20, true), records };
}
