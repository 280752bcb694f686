// The run's trace: every event the machine wants to be accountable for (DMA beats,
// interrupts, kernel-visible CPU actions) is folded into a rolling 64-bit hash that
// identifies the run, and optionally kept as entries for display and replay diagnostics.
//
// A kind is named once (`trace.kind('dma.beat')`); its code is a hash of the name, so codes
// do not depend on the order in which components registered them.

import { hashString } from './prng.js';

export interface TraceEntry {
  readonly cycle: number;
  readonly kind: string;
  readonly args: readonly number[];
}

/** Told of every record as it is folded in, named (an explanation's recorder: it only reads). */
export type TraceObserver = (e: TraceEntry) => void;

export class Trace {
  /** Records folded in so far. */
  count = 0;
  readonly observers = new Set<TraceObserver>();
  private h1 = 0x6a09e667;
  private h2 = 0xbb67ae85 | 0;
  private readonly names = new Map<number, string>();
  private readonly kept: TraceEntry[] = [];

  /** @param keep how many of the latest entries to keep in memory (0: hash only). */
  constructor(private readonly keep = 0) {}

  kind(name: string): number {
    const code = hashString(name);
    const prev = this.names.get(code);
    if (prev !== undefined && prev !== name) throw new Error(`trace kinds '${prev}' and '${name}' collide`);
    this.names.set(code, name);
    return code;
  }

  record(cycle: number, kind: number, a = 0, b = 0, c = 0): void {
    this.count++;
    this.mix(cycle >>> 0);
    this.mix(Math.floor(cycle / 0x100000000));
    this.mix(kind);
    this.mix(a | 0);
    this.mix(b | 0);
    this.mix(c | 0);
    if (this.keep > 0) {
      if (this.kept.length >= this.keep) this.kept.shift();
      this.kept.push({ cycle, kind: this.names.get(kind) ?? `#${kind}`, args: [a, b, c] });
    }
    if (this.observers.size > 0) {
      const e: TraceEntry = { cycle, kind: this.names.get(kind) ?? `#${kind}`, args: [a, b, c] };
      for (const o of this.observers) o(e);
    }
  }

  private mix(w: number): void {
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    this.h1 = Math.imul(((this.h1 ^ k) << 13) | ((this.h1 ^ k) >>> 19), 5) + 0xe6546b64 | 0;
    this.h2 = Math.imul(this.h2 ^ (k + this.h1), 0x85ebca6b) ^ (this.h2 >>> 13);
  }

  /** The rolling hash as 16 hex digits. */
  hash(): string {
    const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return hex(this.h1) + hex(this.h2);
  }

  entries(): readonly TraceEntry[] {
    return this.kept;
  }
}
