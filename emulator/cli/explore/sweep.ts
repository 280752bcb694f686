// The explorer's two kinds of run (DESIGN.md §7, cycle sweeps). The probe runs a scenario
// without its action, checking every invariant after every clock event and every return from
// the kernel from the first cycle to the last, finds the critical window through the
// scenario's observers, and maps where the CPU could stop (instants.ts). An offset run replays
// the same scenario up to the offset without checks (that prefix is the probe's, the run being
// a pure function of its config), performs the action at the first place at or after the
// offset where the CPU can stop, and checks the same way from then until the window (and a
// settling time after it) has passed; the rest of the run goes unchecked up to its end, where
// a last check (the zero-before-reuse scan included) and the scenario's own checks run once,
// and the scenario names the outcome. Each run is written once as its steps (steps.ts): the
// sweeps run them in one go (probe, runOffset), a replay (replay-run.ts) a little at a time.

import { IncrementalChecks } from '../scenario/incremental.js';
import { StopMap } from './instants.js';
import { runToEnd, type Run, type RunSteps } from './steps.js';
import { ScenarioError, type ExploreWorld, type Scenario, type ScenarioConfig } from './scenario.js';

/** The first violation a run saw: the cycle of the check that saw it, and what it said. */
export interface Violation {
  readonly cycle: number;
  readonly messages: readonly string[];
}

export interface ProbeResult {
  /** The critical window, both ends inclusive. */
  readonly window: { readonly from: number; readonly to: number };
  /** Clock events inside the window. */
  readonly events: number;
  /** Checks made in the whole probe run (after clock events and returns from the kernel). */
  readonly checked: number;
  readonly violation: Violation | undefined;
  readonly outcome: string;
  /** Where each offset's action would take effect (instants.ts). */
  readonly stops: StopMap;
}

export interface OffsetResult {
  readonly offset: number;
  /** The cycle at which the action took effect (the first place at or after the offset where the CPU can stop). */
  readonly acted: number;
  readonly outcome: string;
  readonly violation: Violation | undefined;
}

/** Watches a run from outside without changing it (explain.ts): told of the world once built, of the action, and of the first violation the moment a check sees it. */
export interface RunWatcher {
  built(w: ExploreWorld): void;
  /** The adversarial action is about to happen (`what`: its words, when the run has several). */
  acting(w: ExploreWorld, what?: string): void;
  violated(v: Violation): void;
}

/** Checks after every event while on; remembers the first violation. */
export class EventChecks {
  first: Violation | undefined;
  checked = 0;
  /** Every invariant of DESIGN.md §6 the composition checks, zero-before-reuse included, rechecking only what changed. */
  private readonly checker: IncrementalChecks;

  constructor(private readonly w: ExploreWorld, private readonly watcher?: RunWatcher) {
    this.checker = new IncrementalChecks(w);
  }

  private see(v: Violation): void {
    this.first = v;
    this.watcher?.violated(v);
  }

  /** Check after every clock event and every return from the kernel (a kernel operation can change state between two events). */
  on(): void {
    this.w.machine.clock.afterEvent = () => this.now();
    this.w.machine.cpu.afterKernelExit = () => this.now();
  }

  off(): void {
    this.w.machine.clock.afterEvent = undefined;
    this.w.machine.cpu.afterKernelExit = undefined;
  }

  now(): void {
    this.checked++;
    if (this.first) return;
    const bad = this.checker.check();
    if (bad.length > 0) this.see({ cycle: this.w.machine.now, messages: bad });
  }

  /**
   * Run `body`'s steps; an exception out of the machine (the kernel's own assertion, a
   * device's) is the run's violation, not the explorer's end, and ends the steps. A problem
   * with the scenario's own setup is the explorer's (a ScenarioError).
   */
  *surviving(body: RunSteps<void>): RunSteps<void> {
    try {
      yield* body;
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      if (!this.first) this.see({ cycle: this.w.machine.now, messages: [`crash: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`] });
    }
    const problems = this.w.setupProblems;
    if (problems.length > 0) throw new ScenarioError(problems.join('; '));
  }

  /** The end-of-run check: every invariant, and the scenario's own. */
  final(extra: readonly string[]): void {
    if (this.first) return;
    const bad = [...this.checker.check(), ...extra];
    if (bad.length > 0) this.see({ cycle: this.w.machine.now, messages: bad });
  }
}

/** The probe run: the scenario without its action, checked from boot to end. */
export function probeRun(sc: Scenario, c: ScenarioConfig, watcher?: RunWatcher): Run<ProbeResult> {
  const w = sc.build(c);
  watcher?.built(w);
  return { world: w, steps: probeSteps(sc, w, watcher), end: sc.end };
}

function* probeSteps(sc: Scenario, w: ExploreWorld, watcher: RunWatcher | undefined): RunSteps<ProbeResult> {
  const windowSeen = sc.watchWindow(w);
  const stops = new StopMap();
  w.machine.cpu.stops = stops;
  const cycles: number[] = [];
  const checks = new EventChecks(w, watcher);
  checks.on();
  w.machine.clock.afterEvent = (cycle) => {
    cycles.push(cycle);
    checks.now();
  };
  yield* checks.surviving(atCycle(sc.end));
  checks.off();
  checks.final(sc.verdict(w, false));
  const { from, to } = windowSeen();
  if (from === undefined || to === undefined || to < from) {
    throw new ScenarioError(`${sc.name}: the probe run found no window (${sc.windowIs}): from ${from ?? 'never'} to ${to ?? 'never'}`);
  }
  const events = cycles.filter((t) => t >= from && t <= to).length;
  const outcome = sc.outcome(w, false);
  return { window: { from, to }, events, checked: checks.checked, violation: checks.first, outcome, stops };
}

/** One offset's run: unchecked up to the offset, the action, checked until the window (and its settling time) has passed, unchecked to the end, the final check. */
export function offsetRun(sc: Scenario, c: ScenarioConfig, window: ProbeResult['window'], offset: number, watcher?: RunWatcher): Run<OffsetResult> {
  const w = sc.build(c);
  watcher?.built(w);
  return { world: w, steps: offsetSteps(sc, w, window, offset, watcher), end: sc.end };
}

function* offsetSteps(sc: Scenario, w: ExploreWorld, window: ProbeResult['window'], offset: number, watcher: RunWatcher | undefined): RunSteps<OffsetResult> {
  yield offset;
  const acted = w.machine.now;
  const checks = new EventChecks(w, watcher);
  yield* checks.surviving((function* () {
    checks.on();
    watcher?.acting(w);
    sc.act(w);
    checks.now(); // the action has returned: everything must hold again
    yield Math.max(window.to, acted) + sc.settle;
    checks.off();
    yield sc.end;
  })());
  checks.off();
  checks.final(sc.verdict(w, true));
  const outcome = sc.outcome(w, true);
  return { offset, acted, outcome, violation: checks.first };
}

/** The step of running the machine to `cycle`. */
function* atCycle(cycle: number): RunSteps<void> {
  yield cycle;
}

export function probe(sc: Scenario, c: ScenarioConfig, watcher?: RunWatcher): ProbeResult {
  return runToEnd(probeRun(sc, c, watcher));
}

export function runOffset(sc: Scenario, c: ScenarioConfig, window: ProbeResult['window'], offset: number, watcher?: RunWatcher): OffsetResult {
  return runToEnd(offsetRun(sc, c, window, offset, watcher));
}
