// What an exploration scenario is (DESIGN.md §7, cycle sweeps): a small machine configuration
// plus one adversarial action whose cycle is the variable. The explorer (sweep.ts) first runs
// the scenario without the action (the probe), which finds the critical window through the
// observers the scenario installs, and then runs it once per offset of that window with the
// action at that offset, checking every invariant after every event from the action on.
// A scenario ends each run by naming what happened (its outcome: delivered, dropped and
// counted, session torn down, ...) and by its own end-of-run checks (no frame lost silently,
// the neighbour's traffic still flows).

import type { FrameSource } from '../../../devices/peers/source.js';
import type { EventSource } from '../../machine/clock.js';
import type { Net } from '../scenario/net.js';
import type { BugName } from './bugs.js';

/** What a run of a scenario is a pure function of. */
export interface ScenarioConfig {
  readonly seed: number;
  /** A planted defect (bugs.ts), for exploration and tests only. */
  readonly bug?: BugName;
}

/** The world a scenario runs in: the composition, a frame source on its wire, and an event source for scheduled traffic. */
export interface ExploreWorld extends Net {
  readonly peer: FrameSource;
  readonly traffic: EventSource;
  /** Every frame the driver put on a session's deliver ring, as it did. */
  readonly deliveries: Delivery[];
  /**
   * What went wrong with the scenario's own setup, noted by checks it scheduled (an exception
   * thrown from a clock event would land in whatever guest code was running): the explorer
   * raises them as a ScenarioError once the run returns.
   */
  readonly setupProblems: string[];
}

export interface Delivery {
  /** 0-based client index (the session's badge - 1). */
  readonly client: number;
  readonly buffer: number;
  readonly length: number;
  /** DELIVER_COPIED, DELIVER_FLIPPED or DELIVER_EXCHANGED (guest/session/layout.ts). */
  readonly how: number;
  readonly cycle: number;
}

/** The critical window the probe run found: its first and last cycle (undefined: never seen). */
export interface Window {
  readonly from: number | undefined;
  readonly to: number | undefined;
}

export interface Scenario {
  readonly name: string;
  /** One line for `reloaded explore --list`. */
  readonly summary: string;
  /** What the window is, in words (for the report). */
  readonly windowIs: string;
  /** The action, in words, as an explanation names it (explain.ts): "client 1 destroys its bank". */
  readonly actionIs?: string;
  /** Cycle at which every run ends. */
  readonly end: number;
  /** Cycles after the window (or after the action, if later) during which every event is still checked. */
  readonly settle: number;
  /** Build the world: the same config always builds the same world. */
  build(c: ScenarioConfig): ExploreWorld;
  /** Install the observers that find the window in the probe run (no action happens in it); the function returned reads it once the run has ended. */
  watchWindow(w: ExploreWorld): () => Window;
  /** The adversarial action, now (the CPU is at a preemption point, or between two kernel operations). */
  act(w: ExploreWorld): void;
  /** What happened, in a few words, once the run has ended. */
  outcome(w: ExploreWorld, acted: boolean): string;
  /** The scenario's own end-of-run checks (empty when all hold). */
  verdict(w: ExploreWorld, acted: boolean): string[];
}

/** A scenario that cannot run as written: its setup did not go as it needs (a bug of ours, reported clearly). */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}
