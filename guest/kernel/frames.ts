// The frame table (DESIGN.md §4 "Frame"): for every 4 KiB physical frame its state (free,
// kernel, allocated, quarantined), its pin count, the reverse map of the PTEs that map it,
// its allocation epoch and its owner. A frame's old contents are never visible to its next
// owner (§6 item 7): a freed frame goes back to the free list marked dirty, and is zeroed
// when it is next handed out. Zeroing at allocation rather than at release keeps a bank's
// destruction short (it frees every frame of the bank in one non-preemptible system call:
// zeroing them all there held the CPU for several quanta, issue 9 second review), and charges
// the zeroing to whoever allocates. The free list is a stack: a freed frame is the next one
// handed out, which makes any reuse bug show at once.
//
// Every pinned frame that is still its page's frame holds a promise of one free frame (the
// pin reserve, pin.ts): if its page is revoked, the page moves to that frame and the pinned
// one goes to quarantine, so revocation never runs out of memory. Ordinary allocations leave
// the promised frames on the free list.

import type { Hardware } from './hardware.js';
import type { KObject } from './objects.js';
import type { Mapping } from './spaces.js';

export type FrameState = 'free' | 'kernel' | 'allocated' | 'quarantined';

export class FrameTable {
  readonly state: FrameState[];
  readonly pins: Int32Array;
  /** Value of `epochs` when the frame was last allocated. */
  readonly epoch: Float64Array;
  readonly rmap: Set<Mapping>[];
  /** 1 for a free frame that still holds its last owner's bytes (zeroed when next allocated). */
  readonly dirty: Uint8Array;
  /** The object whose storage the frame is (page, page table's space or region, domain, ...). */
  readonly owner: (KObject | undefined)[];
  private readonly freeList: number[] = [];
  /** Allocations so far: the epoch counter. */
  epochs = 0;
  /** Free frames promised to pinned, not yet quarantined frames (see the top of the file). */
  pinReserve = 0;

  constructor(
    private readonly hw: Hardware,
    count: number,
    reserved: number,
  ) {
    this.state = new Array<FrameState>(count).fill('free');
    this.pins = new Int32Array(count);
    this.epoch = new Float64Array(count);
    this.rmap = Array.from({ length: count }, () => new Set<Mapping>());
    this.dirty = new Uint8Array(count);
    this.owner = new Array<KObject | undefined>(count).fill(undefined);
    for (let f = 0; f < reserved; f++) this.state[f] = 'kernel';
    for (let f = count - 1; f >= reserved; f--) this.freeList.push(f);
  }

  get freeCount(): number {
    return this.freeList.length;
  }

  /** Free frames an ordinary allocation may take. */
  get available(): number {
    return this.freeList.length - this.pinReserve;
  }

  /**
   * Take a free frame for `owner`, zeroed, or undefined when memory is exhausted. Only the
   * revocation of a pinned page (`fromReserve`) may take a promised frame.
   */
  allocate(state: 'kernel' | 'allocated', owner?: KObject, fromReserve = false): number | undefined {
    this.hw.compute(this.hw.costs.frameListStep);
    if (!fromReserve && this.available <= 0) return undefined;
    const f = this.freeList.pop();
    if (f === undefined) return undefined;
    if (this.dirty[f] === 1) {
      this.hw.zeroFrame(f);
      this.dirty[f] = 0;
    }
    this.state[f] = state;
    this.owner[f] = owner;
    this.epoch[f] = ++this.epochs;
    return f;
  }

  /** Put a frame nobody maps or pins back on the free list, dirty (it is zeroed when next allocated). */
  release(f: number): void {
    const pinned = this.pins[f]! > 0 && !this.hw.unsafe.freePinnedFrames; // planted bug: a pinned frame may go
    if (pinned || this.rmap[f]!.size > 0 || this.state[f] === 'free') {
      throw new Error(`kernel bug: release of frame ${f} (${this.state[f]}, pins ${this.pins[f]}, mappings ${this.rmap[f]!.size})`);
    }
    this.dirty[f] = this.hw.unsafe.noZeroOnFree ? 0 : 1; // planted bug: the old bytes stay, unmarked
    this.hw.compute(this.hw.costs.frameListStep);
    this.state[f] = 'free';
    this.owner[f] = undefined;
    this.freeList.push(f);
  }

  /** Promise a free frame to a newly pinned frame; false when none is left to promise. */
  reserve(): boolean {
    if (this.available <= 0) return false;
    this.pinReserve++;
    return true;
  }

  /** A pinned frame was unpinned while still its page's: its promise is withdrawn. */
  unreserve(): void {
    this.pinReserve--;
  }

  /**
   * A pinned frame whose page was revoked or freed: held, owned by nobody, until its last
   * unpin. Its promise is spent: the frame held in quarantine is the one it stood for.
   */
  quarantine(f: number): void {
    this.state[f] = 'quarantined';
    this.owner[f] = undefined;
    this.pinReserve--;
  }
}
