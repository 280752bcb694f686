// A pcap writer on the wire: classic libpcap format (magic 0xa1b2c3d4, version 2.4,
// link type 1 = Ethernet), one record per frame heard, stamped with emulated time (the
// cycle the frame's last byte arrived, in microseconds at the CPU clock). Frames are
// written without their FCS, as libpcap captures them on Ethernet.

import { FCS_BYTES } from '../frame.js';
import type { Reception } from '../wire/reception.js';
import type { Wire, WireEndpoint } from '../wire/wire.js';

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

export class PcapWriter implements WireEndpoint {
  private readonly chunks: Uint8Array[] = [];
  frames = 0;

  constructor(
    readonly cpuHz: number,
    readonly name = 'pcap',
  ) {
    const h = new DataView(new ArrayBuffer(GLOBAL_HEADER_BYTES));
    h.setUint32(0, PCAP_MAGIC, true);
    h.setUint16(4, PCAP_VERSION_MAJOR, true);
    h.setUint16(6, PCAP_VERSION_MINOR, true);
    h.setInt32(8, 0, true); // thiszone
    h.setUint32(12, 0, true); // sigfigs
    h.setUint32(16, SNAPLEN, true);
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    this.chunks.push(new Uint8Array(h.buffer));
  }

  /** Attach to a wire as a listener. */
  static on(wire: Wire, cpuHz: number, name = 'pcap'): PcapWriter {
    const w = new PcapWriter(cpuHz, name);
    wire.attach(w);
    return w;
  }

  frame(bytes: Uint8Array, rx: Reception): void {
    this.record(rx.end, bytes.subarray(0, bytes.length - FCS_BYTES));
  }

  /** Add one record stamped at `cycle`. */
  record(cycle: number, frame: Uint8Array): void {
    const micros = Math.floor((cycle * 1e6) / this.cpuHz);
    const h = new DataView(new ArrayBuffer(RECORD_HEADER_BYTES));
    h.setUint32(0, Math.floor(micros / 1e6), true);
    h.setUint32(4, micros % 1e6, true);
    h.setUint32(8, frame.length, true);
    h.setUint32(12, frame.length, true);
    this.chunks.push(new Uint8Array(h.buffer), frame.slice());
    this.frames++;
  }

  /** The capture file so far. */
  bytes(): Uint8Array {
    const n = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
