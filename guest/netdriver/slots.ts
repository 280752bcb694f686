// A free list of the driver's capability slots: each session takes some at setup and gives
// them back when it ends, so the slot table (one frame, paid once) never grows.

export class SlotAllocator {
  private readonly free: number[] = [];

  constructor(first: number, end: number) {
    for (let s = end - 1; s >= first; s--) this.free.push(s);
  }

  get available(): number {
    return this.free.length;
  }

  take(n: number): number[] | undefined {
    if (n > this.free.length) return undefined;
    return this.free.splice(this.free.length - n, n).reverse();
  }

  give(slots: readonly number[]): void {
    for (const s of slots) this.free.push(s);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ SlotAllocator });
