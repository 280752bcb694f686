// The machine's one clock and its event queue.
//
// Time is counted in CPU cycles as a plain JavaScript number: integers are exact up to
// 2^53 (about two years of emulated time at 133 MHz), so the count never wraps the way a
// 32-bit cycle counter would.
//
// Devices schedule events through an EventSource. Ties are broken by a fixed rule, never
// by heap layout: events due at the same cycle fire in order of their source's rank (the
// order in which the machine's construction code created the sources), then in the order
// that one source scheduled them. A run is therefore a pure function of its config.

export type EventFn = () => void;

/** A queued event. Handles returned by `at`/`after` are never reused, so cancelling one is always safe. */
export class ScheduledEvent {
  constructor(
    public at: number,
    public rank: number,
    /** Sequence number within the source. */
    public seq: number,
    public fire: EventFn,
    /** Pooled events (from `post`) go back to the pool after firing; handles never do. */
    readonly pooled: boolean,
  ) {}
  cancelled = false;
}


/** A named producer of events with a fixed tie-breaking rank. */
export class EventSource {
  private seq = 0;
  constructor(
    readonly clock: Clock,
    readonly name: string,
    readonly rank: number,
  ) {}

  /** Schedule `fire` at cycle `at` (not before the clock's current cycle). */
  at(at: number, fire: EventFn): ScheduledEvent {
    const clock = this.clock;
    // One comparison pair on the hot path: in the past, not an integer, or NaN.
    if (!(at >= clock.now) || at % 1 !== 0 || at > Number.MAX_SAFE_INTEGER) this.refuse(at);
    const ev = new ScheduledEvent(at, this.rank, this.seq++, fire, false);
    clock.push(ev);
    return ev;
  }

  /**
   * Schedule `fire` at cycle `at` with no handle to cancel it: the event's record is
   * recycled after it fires. The hot paths (DMA beats, wire bytes) use this.
   */
  post(at: number, fire: EventFn): void {
    const clock = this.clock;
    if (!(at >= clock.now) || at % 1 !== 0 || at > Number.MAX_SAFE_INTEGER) this.refuse(at);
    const ev = clock.pool.pop();
    if (ev === undefined) {
      clock.push(new ScheduledEvent(at, this.rank, this.seq++, fire, true));
      return;
    }
    ev.at = at;
    ev.rank = this.rank;
    ev.seq = this.seq++;
    ev.fire = fire;
    clock.push(ev);
  }

  private refuse(at: number): never {
    if (Number.isInteger(at) && !Number.isSafeInteger(at)) throw new RangeError(`${this.name}: event cycle ${at} is beyond 2^53`);
    if (!Number.isSafeInteger(at)) throw new RangeError(`${this.name}: event cycle ${at} is not an integer`);
    throw new RangeError(`${this.name}: event at cycle ${at} is in the past (now ${this.clock.now})`);
  }

  /** Schedule `fire` `delay` cycles from now. */
  after(delay: number, fire: EventFn): ScheduledEvent {
    return this.at(this.clock.now + delay, fire);
  }
}

/** The documented order: cycle, then source rank, then the source's own scheduling order. */
function earlier(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && (a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq)));
}

/**
 * A binary min-heap of events in the documented order (`earlier`). The order is total (no two
 * events share cycle, rank and sequence number), so any correct heap pops the same sequence.
 */
class EventHeap {
  private readonly items: ScheduledEvent[] = [];

  get length(): number {
    return this.items.length;
  }

  /** The earliest event, if any. */
  get top(): ScheduledEvent | undefined {
    return this.items[0];
  }

  push(ev: ScheduledEvent): void {
    const heap = this.items;
    let i = heap.length;
    heap.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (earlier(p, ev)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = ev;
  }

  /** Remove and return the earliest event (the heap must not be empty). */
  pop(): ScheduledEvent {
    const heap = this.items;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ce = heap[c]!;
      if (c + 1 < n) {
        const r = heap[c + 1]!;
        if (earlier(r, ce)) {
          c++;
          ce = r;
        }
      }
      if (earlier(last, ce)) break;
      heap[i] = ce;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

/**
 * Events scheduled at least this many cycles ahead (about 8 ms at 133 MHz) wait in a heap of
 * their own. Most of them are long timeouts that are cancelled long before they are due and stay
 * queued until then (a cancelled event is dropped only when it comes up): in one heap they made
 * every push and pop of the busy near events (DMA beats, wire bytes) walk a deep tree.
 */
const FAR_AHEAD = 2 ** 20;

export class Clock {
  /** The current cycle: the time of the event being fired, or the CPU's time between events. */
  now = 0;
  /** Cycle of the earliest pending event, or Infinity: lets callers skip catch-up cheaply. */
  nextAt = Infinity;
  /** Events fired so far (cancelled ones are not counted). */
  fired = 0;
  /**
   * Called after every event fires (DESIGN.md §7: invariants checked after every event).
   * It must not change the machine's state; it costs nothing when unset.
   */
  afterEvent: ((cycle: number) => void) | undefined;
  /**
   * The pending events (cancelled ones included), split by how far ahead they were scheduled
   * (FAR_AHEAD). The next event is the earlier of the two tops, so the order is the one heap's.
   */
  private readonly near = new EventHeap();
  private readonly far = new EventHeap();
  /** Recycled records of fired pooled events. */
  readonly pool: ScheduledEvent[] = [];
  private readonly sources = new Map<string, EventSource>();

  /** Create the event source `name`; its rank is its creation order. Names are unique. */
  source(name: string): EventSource {
    if (this.sources.has(name)) throw new Error(`event source '${name}' already exists`);
    const s = new EventSource(this, name, this.sources.size);
    this.sources.set(name, s);
    return s;
  }

  cancel(ev: ScheduledEvent | undefined): void {
    if (ev) ev.cancelled = true;
  }

  get pending(): number {
    return this.near.length + this.far.length;
  }

  /** Fire every event due at or before `cycle`, in order, then set the clock to `cycle` (if finite). */
  runUntil(cycle: number): void {
    while (this.nextAt <= cycle && this.pending > 0) this.fireNext();
    if (cycle > this.now && cycle !== Infinity) this.now = cycle;
  }

  /** Fire the single earliest event. Returns false when the queue is empty. */
  step(): boolean {
    if (this.pending === 0) return false;
    this.fireNext();
    return true;
  }

  /** Fire events until none is left or `limit` cycles is reached. Returns the final cycle. */
  runUntilIdle(limit = Infinity): number {
    while (this.nextAt <= limit && this.pending > 0) this.fireNext();
    return this.now;
  }

  private fireNext(): void {
    const ev = this.pop();
    if (ev.cancelled) return;
    this.now = ev.at;
    this.fired++;
    const fire = ev.fire;
    if (ev.pooled) this.pool.push(ev);
    fire();
    this.afterEvent?.(ev.at);
  }

  /** Queue an event (used by EventSource). */
  push(ev: ScheduledEvent): void {
    (ev.at - this.now >= FAR_AHEAD ? this.far : this.near).push(ev);
    if (ev.at < this.nextAt) this.nextAt = ev.at;
  }

  /** Take the earliest pending event (there must be one). */
  private pop(): ScheduledEvent {
    const near = this.near.top;
    const far = this.far.top;
    const ev = far === undefined || (near !== undefined && earlier(near, far)) ? this.near.pop() : this.far.pop();
    this.nextAt = Math.min(this.near.top?.at ?? Infinity, this.far.top?.at ?? Infinity);
    return ev;
  }
}
