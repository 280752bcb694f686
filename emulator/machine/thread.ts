// Guest threads: kernel paths and domains run on the CPU as coroutines (JavaScript
// generators). A thread's body yields at its preemption points: `yield` means "an interrupt
// or a switch may happen here", `yield BLOCK` means "I wait until someone wakes me".
// Memory accesses in between are synchronous calls on the CPU, each charged in cycles (the
// domain context wraps each in a generator that yields when Cpu.preemptionDue says so).

export const BLOCK: unique symbol = Symbol('block');

/** What a thread body yields: undefined at a preemption point, BLOCK to wait. */
export type Preemption = typeof BLOCK | undefined;

/** The type of a thread body, and of any preemptible operation it `yield*`s into. */
export type GuestCode<T = void> = Generator<Preemption, T, unknown>;

export type Mode = 'user' | 'supervisor';

export type ThreadState = 'ready' | 'blocked' | 'done' | 'faulted';

export class Thread {
  state: ThreadState = 'ready';
  /** Value handed to the body when it resumes from BLOCK (see Cpu.wake). */
  resumeValue: unknown = undefined;
  /** The exception that ended the thread, when state is 'faulted'. */
  error: unknown = undefined;
  /** Cycles this thread has run. */
  cycles = 0;

  constructor(
    readonly id: number,
    readonly name: string,
    public mode: Mode,
    /** Page directory the CPU loads into CR3 when it switches to this thread. */
    public cr3: number,
    /** The body; what it returns is ignored. */
    readonly body: GuestCode<unknown>,
  ) {}

  get runnable(): boolean {
    return this.state === 'ready';
  }
}
