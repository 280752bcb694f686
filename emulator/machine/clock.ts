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

export interface ScheduledEvent {
  readonly at: number;
  readonly rank: number;
  readonly seq: number;
  readonly fire: EventFn;
  cancelled: boolean;
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
    if (!Number.isSafeInteger(at)) throw new RangeError(`${this.name}: event cycle ${at} is not an integer`);
    if (at < this.clock.now) throw new RangeError(`${this.name}: event at cycle ${at} is in the past (now ${this.clock.now})`);
    const ev: ScheduledEvent = { at, rank: this.rank, seq: this.seq++, fire, cancelled: false };
    this.clock.push(ev);
    return ev;
  }

  /** Schedule `fire` `delay` cycles from now. */
  after(delay: number, fire: EventFn): ScheduledEvent {
    return this.at(this.clock.now + delay, fire);
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.seq < b.seq;
}

export class Clock {
  /** The current cycle: the time of the event being fired, or the CPU's time between events. */
  now = 0;
  /** Cycle of the earliest pending event, or Infinity: lets callers skip catch-up cheaply. */
  nextAt = Infinity;
  /** Events fired so far (cancelled ones are not counted). */
  fired = 0;
  private readonly heap: ScheduledEvent[] = [];
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
    return this.heap.length;
  }

  /** Fire every event due at or before `cycle`, in order, then set the clock to `cycle`. */
  runUntil(cycle: number): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.at <= cycle) this.fireNext();
    if (cycle > this.now) this.now = cycle;
  }

  /** Fire the single earliest event. Returns false when the queue is empty. */
  step(): boolean {
    if (this.heap.length === 0) return false;
    this.fireNext();
    return true;
  }

  /** Fire events until none is left or `limit` cycles is reached. Returns the final cycle. */
  runUntilIdle(limit = Infinity): number {
    while (this.heap.length > 0 && this.heap[0]!.at <= limit) this.fireNext();
    return this.now;
  }

  private fireNext(): void {
    const ev = this.pop();
    if (ev.cancelled) return;
    if (ev.at > this.now) this.now = ev.at;
    this.fired++;
    ev.fire();
  }

  /** Insert into the binary heap (used by EventSource). */
  push(ev: ScheduledEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(ev, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = ev;
    this.nextAt = heap[0]!.at;
  }

  private pop(): ScheduledEvent {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
        if (!before(heap[c]!, last)) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    this.nextAt = n > 0 ? heap[0]!.at : Infinity;
    return top;
  }
}
