// One exploration, start to end, as the command, the tests and the bench run it: the probe,
// the offsets of the (narrowed, sharded) window, one run per instant at which they act
// (instants.ts) on the workers, the report.

import { byInstant } from './instants.js';
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
  /** Worker processes (1: one, or this process for a few offsets or from the sources). */
  readonly workers?: number;
  /** Told the offsets done so far, and the total. */
  readonly progress?: (done: number, total: number) => void;
  /** Run only the probe. */
  readonly probeOnly?: boolean;
  /** Run every offset, even several that act at the same instant (the result is the same, only slower: instants.ts). */
  readonly everyOffset?: boolean;
}

export async function explore(sc: Scenario, c: ScenarioConfig, o: ExploreOptions = {}): Promise<SweepReport> {
  const pr = probe(sc, c);
  const span = o.probeOnly ? { from: pr.window.from, to: pr.window.from, step: 1 } : sweepSpan(pr.window, o, sc.end);
  const shard = o.shard ?? null;
  const offsets = o.probeOnly ? [] : offsetsOf(span, shard);
  // One run per instant the action can take effect at; its result holds for every offset of the instant.
  const groups = byInstant(offsets, o.everyOffset ? undefined : pr.stops);
  // Offsets done after n runs (the runs come back in no particular order; for the progress line this is near enough).
  const done = [0];
  for (const g of groups) done.push(done[done.length - 1]! + g.offsets.length);
  const runs = await runItems({ kind: 'sweep', scenario: sc.name, config: c, window: pr.window }, groups.map((g) => g.offsets[0]!), o.workers ?? 1, (n) => o.progress?.(done[n]!, offsets.length));
  const byOffset = new Map(runs.map((r) => [r.offset, r]));
  const results = groups.flatMap((g) => {
    const r = byOffset.get(g.offsets[0]!)!;
    if (g.instant !== undefined && r.acted !== g.instant) {
      throw new Error(`explore: offset ${r.offset} acted at cycle ${r.acted}, where the probe's map of stops says ${g.instant} (rerun with --every-offset, and report this)`);
    }
    return g.offsets.map((offset) => ({ ...r, offset }));
  });
  return summarize({ scenario: sc.name, seed: c.seed, bug: c.bug ?? null, ...span, shard }, pr, results);
}
