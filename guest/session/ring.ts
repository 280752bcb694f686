// Single-producer / single-consumer rings in shared memory with free-running 32-bit indexes
// (DESIGN.md §5). The producer owns `prod`, the consumer owns `cons`; the number of entries
// in the ring is (prod - cons) mod 2^32, and slot i is entry i mod size.
//
// Each side keeps its own index privately and only ever *writes* it to shared memory: it
// never trusts the copy there, which the other side (a hostile stack) may have scribbled on.
// The other side's index is read once per poll into a snapshot, and an entry is read once,
// into a private copy, before anyone looks at it: there is no window between checking a
// value and using it. A peer index that moved more than `size` away is an 'index-jump':
// reported, never acted on, never fatal. Every access is a preemption point (a generator):
// the other side may run between any two of them, which the rules above already allow for.

import type { GuestCode } from '../kernel/api/context.js';
import { ENTRY_BYTES, ENTRY_WORDS, type RingLayout } from './layout.js';
import type { SharedMemory } from './memory.js';

export type Entry = [number, number, number, number];

/** The consumer's end of a ring. */
export class RingReader {
  private cons: number;
  private seenProd: number;

  constructor(
    private readonly mem: SharedMemory,
    /** Virtual address of the control page in this side's address space. */
    private readonly base: number,
    private readonly layout: RingLayout,
    readonly size: number,
    start = 0,
  ) {
    this.cons = start >>> 0;
    this.seenProd = this.cons;
  }

  /** Entries taken so far (free-running). */
  get index(): number {
    return this.cons;
  }

  /**
   * Read the producer's index once and return how many entries are ready, or 'index-jump' when
   * it claims more than the ring holds (then nothing is taken until it makes sense again).
   */
  *poll(): GuestCode<number | 'index-jump'> {
    const prod = (yield* this.mem.load32(this.base + this.layout.prodOffset)) >>> 0;
    const n = (prod - this.cons) >>> 0;
    if (n > this.size) {
      this.seenProd = this.cons;
      return 'index-jump';
    }
    this.seenProd = prod;
    return n;
  }

  /** Entries ready as of the last poll and not taken yet. */
  get ready(): number {
    return (this.seenProd - this.cons) >>> 0;
  }

  /** Take the next entry (copied out of shared memory) and publish the new consumer index; undefined when none is ready. */
  *take(): GuestCode<Entry | undefined> {
    if (this.ready === 0) return undefined;
    const at = this.base + this.layout.entriesOffset + (this.cons & (this.size - 1)) * ENTRY_BYTES;
    const e: Entry = [0, 0, 0, 0];
    for (let w = 0; w < ENTRY_WORDS; w++) e[w] = (yield* this.mem.load32(at + 4 * w)) >>> 0;
    this.cons = (this.cons + 1) >>> 0;
    yield* this.mem.store32(this.base + this.layout.consOffset, this.cons);
    return e;
  }
}

/** The producer's end of a ring. */
export class RingWriter {
  private prod: number;

  constructor(
    private readonly mem: SharedMemory,
    private readonly base: number,
    private readonly layout: RingLayout,
    readonly size: number,
    start = 0,
  ) {
    this.prod = start >>> 0;
  }

  /** Entries put so far (free-running). */
  get index(): number {
    return this.prod;
  }

  /**
   * Read the consumer's index once and return how many entries may be put, or 'index-jump'
   * when it claims to have consumed entries never put (then the ring counts as full).
   */
  *space(): GuestCode<number | 'index-jump'> {
    const cons = (yield* this.mem.load32(this.base + this.layout.consOffset)) >>> 0;
    const used = (this.prod - cons) >>> 0;
    return used > this.size ? 'index-jump' : this.size - used;
  }

  /** Write an entry and publish it. The caller checked space() first. */
  *put(words: readonly number[]): GuestCode {
    const at = this.base + this.layout.entriesOffset + (this.prod & (this.size - 1)) * ENTRY_BYTES;
    for (let w = 0; w < ENTRY_WORDS; w++) yield* this.mem.store32(at + 4 * w, (words[w] ?? 0) >>> 0);
    this.prod = (this.prod + 1) >>> 0;
    yield* this.mem.store32(this.base + this.layout.prodOffset, this.prod);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ RingReader, RingWriter });
