// One frame in flight on the wire as a receiver sees it: its bytes (frame + FCS, possibly
// still being filled by a streaming sender, which guarantees byte j is present before it
// is due), and when each byte arrives. A corrupted frame carries one flipped bit that
// every read applies. It is plain data, so a card can save and restore it mid-reception.

import { fcsOk } from '../frame.js';
import { PREAMBLE_BYTES, WireTiming } from './timing.js';

export interface ReceptionState {
  bytes: number[];
  length: number;
  origin: number;
  pos: number;
  cpuHz: number;
  bitRate: number;
  flipAt: number;
  flipMask: number;
  fcsVouched?: boolean;
}

export class Reception {
  constructor(
    /** Frame bytes followed by the 4 FCS bytes. */
    readonly bytes: Uint8Array,
    /** Bytes on the wire (frame + FCS). */
    readonly length: number,
    readonly timing: WireTiming,
    /** The transmitter's origin cycle and the byte-time position (from it) where this frame's preamble starts. */
    readonly origin: number,
    readonly pos: number,
    /** Corruption: the byte index whose bits `flipMask` are inverted (-1: none). */
    readonly flipAt = -1,
    readonly flipMask = 0,
    /** The sender computed the FCS over these final bytes (which it will not change). */
    readonly fcsVouched = false,
  ) {}

  private fcsMemo: boolean | undefined;

  /**
   * Whether the frame arrived with a correct FCS. Computed once per frame however many
   * receivers ask, and not at all when the sender vouched for it and nothing was corrupted.
   */
  fcsOk(): boolean {
    if (this.fcsMemo === undefined) this.fcsMemo = (this.fcsVouched && this.flipAt < 0) || fcsOk(this.read(0, this.length));
    return this.fcsMemo;
  }

  /** Cycle at which the preamble starts. */
  get start(): number {
    return this.origin + this.timing.cycles(this.pos);
  }

  /** Cycle at which frame byte j (0 = first destination byte) has fully arrived. */
  arrival(j: number): number {
    return this.origin + this.timing.cycles(this.pos + PREAMBLE_BYTES + j + 1);
  }

  /** Cycle at which the last FCS byte has arrived: the frame has left the wire. */
  get end(): number {
    return this.arrival(this.length - 1);
  }

  /** Number of frame bytes fully arrived by `cycle`. */
  arrivedBy(cycle: number): number {
    const b = this.timing.bytesBy(cycle - this.origin) - this.pos - PREAMBLE_BYTES;
    return Math.max(0, Math.min(this.length, b));
  }

  byte(j: number): number {
    const v = this.bytes[j]!;
    return j === this.flipAt ? v ^ this.flipMask : v;
  }

  /** Copy bytes [from, to) as received (with any corruption). */
  read(from: number, to: number): Uint8Array {
    const out = this.bytes.slice(from, to);
    if (this.flipAt >= from && this.flipAt < to) out[this.flipAt - from]! ^= this.flipMask;
    return out;
  }

  /**
   * Bytes [from, to) as received, for a reader that may look at them a little later (a DMA
   * engine reads its source as each beat lands): the sender's buffer itself, whose arrived
   * bytes never change, unless the corrupted byte is in the range (then a corrected copy).
   */
  view(from: number, to: number): Uint8Array {
    if (this.flipAt >= from && this.flipAt < to) return this.read(from, to);
    return this.bytes.subarray(from, to);
  }

  saveState(): ReceptionState {
    return {
      bytes: Array.from(this.bytes.subarray(0, this.length)),
      length: this.length,
      origin: this.origin,
      pos: this.pos,
      cpuHz: this.timing.cpuHz,
      bitRate: this.timing.bitRate,
      flipAt: this.flipAt,
      flipMask: this.flipMask,
      fcsVouched: this.fcsVouched,
    };
  }

  static fromState(s: ReceptionState): Reception {
    const bytes = Uint8Array.from(s.bytes);
    return new Reception(bytes, s.length, new WireTiming(s.cpuHz, s.bitRate), s.origin, s.pos, s.flipAt, s.flipMask, s.fcsVouched ?? false);
  }
}
