// The Pentium's data TLB: 64 entries, 4-way set associative, for 4 KiB pages, plus 8 entries
// (4-way, so 2 sets) for 4 MiB pages (HARDWARE.md §1). Entries are filled by page walks and
// used without re-walking; they are dropped only by INVLPG (one page) or a CR3 write (all).
// So a PTE cleared in memory stays usable through a stale entry until then: the heart of
// the revocation races this machine exists to show.
//
// Replacement is deterministic: an empty way is filled first; when the set is full, FIFO
// within the set (a round-robin victim pointer per set).
// The instruction TLB is not modeled: guest code is not fetched from emulated memory.

export const SMALL_SETS = 16;
export const LARGE_SETS = 2;
export const WAYS = 4;

/** Rights cached in an entry: the AND of every level's R/W and U/S, and the D bit as the walk left it. */
export const TLB_WRITABLE = 1;
export const TLB_USER = 2;
export const TLB_DIRTY = 4;

const INVALID = -1;

class TlbArray {
  /** Virtual page number tag per entry (4 KiB or 4 MiB granularity), or INVALID. */
  readonly tag: Int32Array;
  /** Physical base address of the page. */
  readonly base: Float64Array;
  readonly flags: Uint8Array;
  private readonly victim: Uint8Array;
  /** Fills, invalidations and flushes so far: equal counts mean equal contents. */
  changes = 0;

  constructor(readonly sets: number) {
    this.tag = new Int32Array(sets * WAYS).fill(INVALID);
    this.base = new Float64Array(sets * WAYS);
    this.flags = new Uint8Array(sets * WAYS);
    this.victim = new Uint8Array(sets);
  }

  /** Entry index holding `vpn`, or -1. */
  find(vpn: number): number {
    const first = (vpn % this.sets) * WAYS;
    const tag = this.tag;
    for (let i = first; i < first + WAYS; i++) if (tag[i] === vpn) return i;
    return -1;
  }

  insert(vpn: number, base: number, flags: number): number {
    this.changes++;
    let i = this.find(vpn);
    if (i < 0) i = this.freeWay(vpn % this.sets);
    if (i < 0) {
      const set = vpn % this.sets;
      i = set * WAYS + this.victim[set]!;
      this.victim[set] = (this.victim[set]! + 1) % WAYS;
    }
    this.tag[i] = vpn;
    this.base[i] = base;
    this.flags[i] = flags;
    return i;
  }

  /** An empty way of `set` (filled before anything is evicted), or -1. */
  private freeWay(set: number): number {
    for (let i = set * WAYS; i < (set + 1) * WAYS; i++) if (this.tag[i] === INVALID) return i;
    return -1;
  }

  invalidate(vpn: number): void {
    const i = this.find(vpn);
    if (i < 0) return;
    this.tag[i] = INVALID;
    this.changes++;
  }

  flush(): void {
    this.tag.fill(INVALID);
    this.changes++;
  }

  count(): number {
    let n = 0;
    for (const t of this.tag) if (t !== INVALID) n++;
    return n;
  }
}

export class Tlb {
  readonly small = new TlbArray(SMALL_SETS);
  readonly large = new TlbArray(LARGE_SETS);
  hits = 0;
  misses = 0;

  /** INVLPG: drop whatever entry translates `va`, in either array. */
  invalidatePage(va: number): void {
    this.small.invalidate(va >>> 12);
    this.large.invalidate(va >>> 22);
  }

  /** A CR3 write: every entry is gone (no global pages on this CPU). */
  flush(): void {
    this.small.flush();
    this.large.flush();
  }

  /** Whether any entry currently translates `va` (for tests and invariant checks). */
  holds(va: number): boolean {
    return this.small.find(va >>> 12) >= 0 || this.large.find(va >>> 22) >= 0;
  }

  /** Every valid entry: the page it translates, where to, and the rights it grants (for the revocation and read-only invariants). */
  *cachedFrames(): Generator<{ va: number; base: number; large: boolean; writable: boolean; user: boolean }> {
    for (const [arr, shift, large] of [[this.small, 12, false], [this.large, 22, true]] as const) {
      for (let i = 0; i < arr.tag.length; i++) {
        const t = arr.tag[i]!;
        if (t === INVALID) continue;
        const f = arr.flags[i]!;
        yield { va: (t << shift) >>> 0, base: arr.base[i]!, large, writable: (f & TLB_WRITABLE) !== 0, user: (f & TLB_USER) !== 0 };
      }
    }
  }

  get size(): number {
    return this.small.count() + this.large.count();
  }

  /** Changes of either array so far (fills, invalidations, flushes): unchanged means the same entries. */
  get changes(): number {
    return this.small.changes + this.large.changes;
  }
}
