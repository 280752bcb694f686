// One exploration, start to end, as the command, the tests and the bench run it: the probe,
// the offsets of the (narrowed, sharded) window, the runs on the workers, the report.

import { offsetsOf, sweepSpan } from './plan.js';
import { runItems } from './pool.js';
import { summarize, type Shard, type SweepReport } from './report.js';
import type { Scenario, ScenarioConfig } from './scenario.js';
import { probe } from './sweep.js';

export interface ExploreOptions {
  readonly from?: number;
  readonly to?: number;
  readonly step?: number;
  readonly shard?: Shard | null;
  /** Worker threads (1: this thread). */
  readonly workers?: number;
  /** Told the offsets done so far, and the total. */
  readonly progress?: (done: number, total: number) => void;
  /** Run only the probe. */
  readonly probeOnly?: boolean;
}

export async function explore(sc: Scenario, c: ScenarioConfig, o: ExploreOptions = {}): Promise<SweepReport> {
  const pr = probe(sc, c);
  const span = o.probeOnly ? { from: pr.window.from, to: pr.window.from, step: 1 } : sweepSpan(pr.window, o, sc.end);
  const shard = o.shard ?? null;
  const offsets = o.probeOnly ? [] : offsetsOf(span, shard);
  const results = await runItems({ kind: 'sweep', scenario: sc.name, config: c, window: pr.window }, offsets, o.workers ?? 1, (n) => o.progress?.(n, offsets.length));
  return summarize({ scenario: sc.name, seed: c.seed, bug: c.bug ?? null, ...span, shard }, pr, results);
}
