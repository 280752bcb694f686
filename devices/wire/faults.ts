// Fault injection on the wire: loss, duplication, reordering and bit corruption, each with
// its own rate and its own seeded random stream (so changing one rate never shifts another
// fault's sequence). A decision is made once per frame handed to the wire. A stream is
// created only for a non-zero rate, so a wire without faults needs no random source.

import type { Prng } from '../../emulator/machine/prng.js';

export interface FaultRates {
  /** Probability that a frame reaches no receiver (it still occupies the wire). */
  loss?: number;
  /** Probability that a frame is sent twice, back to back. */
  duplicate?: number;
  /** Probability that a frame is held back and sent after the sender's next frame. */
  reorder?: number;
  /** Probability that one bit of a frame (FCS included) is inverted. */
  corrupt?: number;
}

/** Where the wire gets its random streams (the machine's PrngFactory fits). */
export interface RandomStreams {
  stream(purpose: string): Prng;
}

export interface FaultDecision {
  lose: boolean;
  duplicate: boolean;
  reorder: boolean;
  /** Byte index and bit mask to invert, or flipAt -1. */
  flipAt: number;
  flipMask: number;
}

export class FaultCounters {
  lost = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
}

const NO_FAULT: FaultDecision = Object.freeze({ lose: false, duplicate: false, reorder: false, flipAt: -1, flipMask: 0 });

export class Faults {
  readonly counts = new FaultCounters();
  private readonly loss: Prng | undefined;
  private readonly dup: Prng | undefined;
  private readonly reorder: Prng | undefined;
  private readonly corrupt: Prng | undefined;

  constructor(
    readonly rates: Readonly<FaultRates>,
    random: RandomStreams | undefined,
    name: string,
  ) {
    for (const [k, v] of Object.entries(rates)) {
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${name}: fault rate '${k}' must be a number in [0, 1], got ${v}`);
    }
    const stream = (rate: number | undefined, purpose: string): Prng | undefined => {
      if (!rate) return undefined;
      if (!random) throw new Error(`${name}: fault injection needs a seeded random source (opts.random)`);
      return random.stream(`${name}.${purpose}`);
    };
    this.loss = stream(rates.loss, 'loss');
    this.dup = stream(rates.duplicate, 'duplicate');
    this.reorder = stream(rates.reorder, 'reorder');
    this.corrupt = stream(rates.corrupt, 'corrupt');
  }

  get active(): boolean {
    const r = this.rates;
    return Boolean(r.loss || r.duplicate || r.reorder || r.corrupt);
  }

  /** Decide the faults of one frame of `length` wire bytes (frame + FCS). */
  decide(length: number): FaultDecision {
    if (!this.active) return NO_FAULT;
    const r = this.rates;
    const d: FaultDecision = {
      lose: this.loss?.chance(r.loss!) ?? false,
      duplicate: this.dup?.chance(r.duplicate!) ?? false,
      reorder: this.reorder?.chance(r.reorder!) ?? false,
      flipAt: -1,
      flipMask: 0,
    };
    const corrupt = this.corrupt;
    if (corrupt?.chance(r.corrupt!)) {
      d.flipAt = corrupt.below(length);
      d.flipMask = 1 << corrupt.below(8);
      this.counts.corrupted++;
    }
    if (d.lose) this.counts.lost++;
    if (d.duplicate) this.counts.duplicated++;
    if (d.reorder) this.counts.reordered++;
    return d;
  }
}
