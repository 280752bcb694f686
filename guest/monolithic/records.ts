// Reading and writing the records of the monolithic protocol (protocol.ts) in a domain's own
// copy of the shared area: little-endian words and padded byte strings. The copy in and out
// of the shared pages is one charged bulk access (ctx.read / ctx.write); these work on the
// private copy, so what the server checks is what it uses.

import { padded } from './protocol.js';

/** Builds records into a buffer of at most `capacity` bytes. */
export class RecordWriter {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  length = 0;

  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Bytes left. */
  get room(): number {
    return this.capacity - this.length;
  }

  /** Append a record of `words` and `data` (padded); false (nothing written) when it does not fit. */
  add(words: readonly number[], data?: Uint8Array): boolean {
    const need = words.length * 4 + padded(data?.length ?? 0);
    if (need > this.room) return false;
    for (const w of words) {
      this.view.setUint32(this.length, w >>> 0, true);
      this.length += 4;
    }
    if (data) {
      this.bytes.set(data, this.length);
      this.length += padded(data.length);
    }
    return true;
  }

  /** The records written so far, and start over. */
  take(): Uint8Array {
    const out = this.bytes.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Reads records out of a private copy; every read is bounds-checked (undefined past the end). */
export class RecordReader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  words(n: number): number[] | undefined {
    if (this.offset + n * 4 > this.bytes.length) return undefined;
    const out = Array.from({ length: n }, (_, k) => this.view.getUint32(this.offset + k * 4, true));
    this.offset += n * 4;
    return out;
  }

  data(n: number): Uint8Array | undefined {
    // n is bounded by what is left before it is padded: padded() works in 32-bit arithmetic, and a length of 2^31 or
    // more (a hostile record's) pads to a negative number, which would pass the check and move the offset backwards.
    if (!Number.isSafeInteger(n) || n < 0 || n > this.bytes.length - this.offset || this.offset + padded(n) > this.bytes.length) return undefined;
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += padded(n);
    return out;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ RecordWriter, RecordReader });
