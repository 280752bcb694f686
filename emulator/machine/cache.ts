// The L1 data cache as a timing model: 8 KiB, 2-way set associative, 32-byte lines
// (HARDWARE.md §1). It keeps tags only: memory is the single store of data, so the cache can
// never make the model compute a wrong value; it only decides what an access costs.
// Loads allocate a line; stores do not (the P54C does not write-allocate). Bus-master writes
// invalidate the lines they touch, as the Pentium's snooping does, so a driver reading a
// freshly DMA'd buffer pays for the misses.

export const LINE_SIZE = 32;
const LINE_SHIFT = 5;
const SETS = 128; // 8 KiB / 32 B / 2 ways
const WAYS = 2;

export class DataCache {
  private readonly tags = new Int32Array(SETS * WAYS).fill(-1);
  /** Per set: which way was used least recently (true LRU for two ways). */
  private readonly lru = new Uint8Array(SETS);
  hits = 0;
  misses = 0;

  /** A load of the line holding `pa`: true on a hit; a miss fills the line. */
  load(pa: number): boolean {
    const line = Math.floor(pa / LINE_SIZE);
    const set = line % SETS;
    const i = set * WAYS;
    if (this.tags[i] === line) {
      this.lru[set] = 1;
      this.hits++;
      return true;
    }
    if (this.tags[i + 1] === line) {
      this.lru[set] = 0;
      this.hits++;
      return true;
    }
    const way = this.lru[set]!;
    this.tags[i + way] = line;
    this.lru[set] = way ^ 1;
    this.misses++;
    return false;
  }

  /** A store to the line holding `pa`: true on a hit (no allocation on a miss). */
  store(pa: number): boolean {
    const line = Math.floor(pa / LINE_SIZE);
    const i = (line % SETS) * WAYS;
    return this.tags[i] === line || this.tags[i + 1] === line;
  }

  /** Snoop: drop every line overlapping [pa, pa+len). */
  invalidate(pa: number, len: number): void {
    const first = pa >>> LINE_SHIFT;
    const last = (pa + len - 1) >>> LINE_SHIFT;
    for (let line = first; line <= last; line++) {
      const i = (line % SETS) * WAYS;
      if (this.tags[i] === line) this.tags[i] = -1;
      if (this.tags[i + 1] === line) this.tags[i + 1] = -1;
    }
  }

  flush(): void {
    this.tags.fill(-1);
  }
}
