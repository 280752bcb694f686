// A fuzz run's report: which seeds ran (of which shards), and every failing seed with its
// schedule, its first violation and the one-line command that replays it exactly. Shards
// merge like a sweep's (report.ts mergedShards).

import type { BugName } from './bugs.js';
import type { FuzzResult } from './fuzz.js';
import { MergeError, mergedShards, type Shard, type SweepReport } from './report.js';

export interface FuzzReport {
  readonly kind: 'fuzz';
  readonly firstSeed: number;
  /** Seeds of the whole run: firstSeed, firstSeed + 1, ... */
  readonly seeds: number;
  readonly bug: BugName | null;
  readonly shards: SweepReport['shards'];
  /** Seeds this report ran. */
  readonly ran: number;
  readonly failing: readonly { readonly seed: number; readonly schedule: string; readonly cycle: number; readonly messages: readonly string[]; readonly replay: string }[];
  readonly ok: boolean;
}

export function fuzzReplay(seed: number, bug: BugName | null): string {
  return `npx reloaded explore fuzz --first-seed ${seed} --seeds 1${bug ? ` --bug ${bug}` : ''}`;
}

export function summarizeFuzz(p: { firstSeed: number; seeds: number; bug: BugName | null; shard: Shard | null }, results: readonly FuzzResult[]): FuzzReport {
  const failing = results.filter((r) => r.violation).sort((a, b) => a.seed - b.seed)
    .map((r) => ({ seed: r.seed, schedule: r.schedule, cycle: r.violation!.cycle, messages: r.violation!.messages, replay: fuzzReplay(r.seed, p.bug) }));
  return { kind: 'fuzz', firstSeed: p.firstSeed, seeds: p.seeds, bug: p.bug, shards: p.shard ? { indices: [p.shard.index], count: p.shard.count } : null, ran: results.length, failing, ok: failing.length === 0 };
}

export function mergeFuzz(reports: readonly FuzzReport[]): FuzzReport {
  const [a] = reports;
  if (!a) throw new MergeError('no reports to merge');
  const same = (r: FuzzReport) => JSON.stringify([r.firstSeed, r.seeds, r.bug, r.shards?.count ?? null]);
  for (const r of reports) if (r.kind !== 'fuzz' || same(r) !== same(a)) throw new MergeError(`reports of different fuzz runs: seeds ${a.firstSeed}+${a.seeds} and ${r.firstSeed}+${r.seeds}`);
  const failing = reports.flatMap((r) => r.failing).sort((x, y) => x.seed - y.seed);
  return { ...a, shards: mergedShards(reports), ran: reports.reduce((n, r) => n + r.ran, 0), failing, ok: failing.length === 0 };
}

export function formatFuzz(r: FuzzReport): string {
  const last = r.firstSeed + r.seeds - 1;
  const lines = [
    `explore fuzz: seeds ${r.firstSeed}-${last}${r.bug ? `, planted bug ${r.bug}` : ''}${r.shards ? `, shard ${r.shards.indices.join('+')} of ${r.shards.count}` : ''}`,
    `  ran      ${r.ran.toLocaleString('en-US')} schedules, every invariant checked after every event and every return from the kernel, boot to end`,
    r.failing.length === 0 ? '  violations: none' : `  FAILING: ${r.failing.length} seeds`,
  ];
  for (const f of r.failing.slice(0, 20)) {
    lines.push(`  seed ${f.seed}: ${f.schedule}`, `    at cycle ${f.cycle}: ${f.messages[0]}`, ...f.messages.slice(1, 3).map((m) => `      ${m}`), `    replay: ${f.replay}`);
  }
  if (r.failing.length > 20) lines.push(`  … and ${r.failing.length - 20} more (--json lists them all)`);
  return lines.join('\n');
}
