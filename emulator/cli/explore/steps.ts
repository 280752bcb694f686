// One definition of how an exploration run advances, for every way of running it. A run (the
// probe, an offset run, a fuzz seed: sweep.ts, fuzz.ts) is written once, as a generator of
// its steps: it yields each cycle the machine is to run to, and does its host-side work (the
// action, checks switched on and off, the final check) between the yields. The sweeps drive
// it in one go to each cycle (runToEnd); a replay on a page (replay-run.ts) drives the very
// same steps a few thousand cycles at a time and may stop early. Runs in any steps are the
// same run (the stop at run()'s limit is the host's, test/machine/cpu.test.ts), so both see
// the same events, checks and violations.
//
// An exception out of the machine while it runs to a step's cycle is thrown into the steps at
// that yield, where the run's own handler (EventChecks.surviving) takes it as it took it when
// the run called the machine itself.

import type { ExploreWorld } from './scenario.js';
import { retireWorld } from './world.js';

/** A run's steps: it yields each cycle the machine is to run to next, and returns the run's result. */
export type RunSteps<R> = Generator<number, R, void>;

/** A run whose world is built: the world, and the steps that run it. */
export interface Run<R> {
  readonly world: ExploreWorld;
  readonly steps: RunSteps<R>;
  /** The cycle the run ends at, or at the latest (a fuzz seed's limits added up); the machine stops at the first place it can at or after it. */
  readonly end: number;
}

/** Drives a run's steps, as far as it is asked at a time. */
export class Stepper<R> {
  /** The cycle the steps are waiting for the machine to reach (undefined: the steps are finished). */
  private target: number | undefined;
  private ended: { readonly result: R } | undefined;

  constructor(private readonly run: Run<R>) {
    this.take(() => run.steps.next());
  }

  /** The steps have returned. */
  get finished(): boolean {
    return this.ended !== undefined;
  }

  /** The run's result, once finished. */
  get result(): R | undefined {
    return this.ended?.result;
  }

  /**
   * Run the machine towards `limit`: to each cycle the steps ask for, or to `limit` if that
   * comes first (the machine then stands at the first place it can stop at or after it), and
   * on through the steps, until the limit is reached, the steps are finished, or `stop()`
   * says so (checked before each run of the machine; the machine's own run may end early,
   * Cpu.stopSoon).
   */
  advance(limit: number, stop: () => boolean = () => false): void {
    const m = this.run.world.machine;
    while (this.target !== undefined && !stop()) {
      const target = this.target;
      const to = Math.min(target, limit);
      if (m.now >= to && m.now < target) return; // at the limit, short of the step's cycle
      let why: 'until' | 'idle';
      try {
        why = m.runUntil(to);
      } catch (e) {
        this.take(() => this.run.steps.throw(e));
        continue;
      }
      // Reached (the machine stops at the first place at or after the cycle, or has nothing left to do): the steps go on.
      if (why === 'idle' || m.now >= target) this.take(() => this.run.steps.next());
      else if (m.now < to) return; // the run was stopped early (stopSoon)
    }
  }

  private take(next: () => IteratorResult<number, R>): void {
    const r = next();
    if (r.done) {
      this.target = undefined;
      this.ended = { result: r.value };
    } else {
      this.target = r.value;
    }
  }
}

/** Run the whole run, the machine in one go to each cycle its steps ask for (what the sweeps do), and give its world's RAM back. */
export function runToEnd<R>(run: Run<R>): R {
  const s = new Stepper(run);
  s.advance(Infinity);
  retireWorld(run.world);
  return s.result as R;
}
