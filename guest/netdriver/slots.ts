// A free list of the driver's capability slots: each session takes some at setup and gives
// them back when it ends, so the slot table (one frame, paid once) never grows. A stack: a
// failed setup that gives back what it took leaves the list as it found it.

export class SlotAllocator {
  private readonly free: number[] = [];

  constructor(first: number, end: number) {
    for (let s = end - 1; s >= first; s--) this.free.push(s);
  }

  get available(): number {
    return this.free.length;
  }

  /** The free slots, the next to be taken last (a copy, for observers). */
  list(): number[] {
    return [...this.free];
  }

  take(n: number): number[] | undefined {
    if (n > this.free.length) return undefined;
    return this.free.splice(this.free.length - n, n).reverse();
  }

  /** The inverse of `take`: giving back what a take returned leaves the free list exactly as it was before. */
  give(slots: readonly number[]): void {
    for (let i = slots.length - 1; i >= 0; i--) this.free.push(slots[i]!);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ SlotAllocator });
