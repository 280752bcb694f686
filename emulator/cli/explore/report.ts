// A sweep's report: the window the probe found, which offsets ran, the distinct outcomes with
// the offset ranges of each, and the violations grouped by what they say, each with a
// one-line replay command of its first offset. Shards of one sweep merge into exactly the
// report of the whole sweep (mergeSweeps), so a large sweep spreads over any batch system.

import type { BugName } from './bugs.js';
import { addOffset, formatRanges, rangeCount, unionRanges, type Range } from './ranges.js';
import type { OffsetResult, ProbeResult } from './sweep.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface SweepPlan {
  readonly scenario: string;
  readonly seed: number;
  readonly bug: BugName | null;
  /** The whole sweep: offsets from, from + step, ..., up to to. */
  readonly from: number;
  readonly to: number;
  readonly step: number;
  readonly shard: Shard | null;
}

export interface ProbeViolation {
  readonly cycle: number;
  readonly messages: readonly string[];
  readonly replay: string;
}

export interface ReportedViolation extends ProbeViolation {
  readonly offset: number;
}

export interface SweepReport {
  readonly kind: 'sweep';
  readonly scenario: string;
  readonly seed: number;
  readonly bug: BugName | null;
  readonly window: { readonly from: number; readonly to: number; readonly events: number };
  readonly sweep: { readonly from: number; readonly to: number; readonly step: number };
  /** The shards this report covers (null: the whole sweep). */
  readonly shards: { readonly indices: readonly number[]; readonly count: number } | null;
  readonly offsets: number;
  /** Distinct cycles at which the action took effect (it waits for the next preemption point). */
  readonly instants: { readonly count: number; readonly first: number | null; readonly last: number | null };
  readonly outcomes: readonly { readonly outcome: string; readonly offsets: number; readonly ranges: readonly Range[] }[];
  readonly violations: readonly { readonly signature: string; readonly offsets: number; readonly ranges: readonly Range[]; readonly first: ReportedViolation }[];
  readonly probe: { readonly checked: number; readonly outcome: string; readonly violation: ProbeViolation | null };
  readonly ok: boolean;
}

/** The command that reruns one offset (or, with `offset` null, the probe) exactly. */
export function replayCommand(p: Pick<SweepPlan, 'scenario' | 'seed' | 'bug'>, offset: number | null): string {
  const bug = p.bug ? ` --bug ${p.bug}` : '';
  return `npx reloaded explore ${p.scenario} --seed ${p.seed}${bug} ${offset === null ? '--probe' : `--at ${offset}`}`;
}

/** What a violation says with its numbers taken out: violations that differ only in frame, cycle or address group together. */
export function signature(messages: readonly string[]): string {
  const m = messages[0] ?? '';
  const item = /^\d+ /.exec(m)?.[0] ?? ''; // the invariant's number stays
  return item + m.slice(item.length).replace(/\b(0x[0-9a-f]+|\d+)\b/g, 'N');
}

export function summarize(plan: SweepPlan, pr: ProbeResult, results: readonly OffsetResult[]): SweepReport {
  const step = plan.step;
  const outcomes = new Map<string, [number, number][]>();
  const bad = new Map<string, { ranges: [number, number][]; first: ReportedViolation }>();
  let instants = 0;
  let last: number | null = null;
  for (const r of [...results].sort((a, b) => a.offset - b.offset)) {
    if (r.acted !== last) instants++;
    last = r.acted;
    addOffset(getOr(outcomes, r.outcome, () => []), r.offset, step);
    if (!r.violation) continue;
    const sig = signature(r.violation.messages);
    const g = getOr(bad, sig, () => ({ ranges: [], first: { offset: r.offset, cycle: r.violation!.cycle, messages: r.violation!.messages, replay: replayCommand(plan, r.offset) } }));
    addOffset(g.ranges, r.offset, step);
  }
  const sorted = [...results].sort((a, b) => a.offset - b.offset);
  const pv = pr.violation;
  return finish({
    kind: 'sweep', scenario: plan.scenario, seed: plan.seed, bug: plan.bug,
    window: { ...pr.window, events: pr.events },
    sweep: { from: plan.from, to: plan.to, step },
    shards: plan.shard ? { indices: [plan.shard.index], count: plan.shard.count } : null,
    offsets: results.length,
    instants: { count: instants, first: sorted[0]?.acted ?? null, last: sorted[sorted.length - 1]?.acted ?? null },
    outcomes: [...outcomes].map(([outcome, ranges]) => ({ outcome, offsets: rangeCount(ranges, step), ranges })),
    violations: [...bad].map(([sig, g]) => ({ signature: sig, offsets: rangeCount(g.ranges, step), ranges: g.ranges, first: g.first })),
    probe: { checked: pr.checked, outcome: pr.outcome, violation: pv ? { cycle: pv.cycle, messages: pv.messages, replay: replayCommand(plan, null) } : null },
  });
}

/** Order outcomes and violations by their first offset, and set ok. */
function finish(r: Omit<SweepReport, 'ok'>): SweepReport {
  const byFirst = <T extends { ranges: readonly Range[] }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.ranges[0]?.[0] ?? 0) - (b.ranges[0]?.[0] ?? 0));
  return { ...r, outcomes: byFirst(r.outcomes), violations: byFirst(r.violations), ok: r.violations.length === 0 && r.probe.violation === null };
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

/** A report that cannot be merged with the others, or is not a report. */
export class MergeError extends Error {
  override name = 'MergeError';
}

/** The reports of disjoint shards of one sweep, as one report: that of the whole sweep when every shard is there. */
export function mergeSweeps(reports: readonly SweepReport[]): SweepReport {
  const [a] = reports;
  if (!a) throw new MergeError('no reports to merge');
  const same = (r: SweepReport) => JSON.stringify([r.scenario, r.seed, r.bug, r.window, r.sweep, r.shards?.count ?? null]);
  for (const r of reports) {
    if (r.kind !== 'sweep') throw new MergeError(`a ${String(r.kind)} report cannot be merged with sweeps`);
    if (same(r) !== same(a)) throw new MergeError(`reports of different sweeps: ${describe(a)} and ${describe(r)}`);
  }
  const shards = mergedShards(reports);
  const step = a.sweep.step;
  const outcomes = group(reports.flatMap((r) => r.outcomes), (o) => o.outcome);
  const violations = group(reports.flatMap((r) => r.violations), (v) => v.signature);
  // Instants are non-decreasing in the offset: shards touching at a boundary may share one.
  const parts = [...reports].filter((r) => r.instants.first !== null).sort((x, y) => x.instants.first! - y.instants.first!);
  let instants = 0;
  parts.forEach((r, i) => (instants += r.instants.count - (i > 0 && parts[i - 1]!.instants.last === r.instants.first ? 1 : 0)));
  return finish({
    ...a,
    shards,
    offsets: reports.reduce((n, r) => n + r.offsets, 0),
    instants: { count: instants, first: parts[0]?.instants.first ?? null, last: parts[parts.length - 1]?.instants.last ?? null },
    outcomes: [...outcomes].map(([outcome, os]) => {
      const ranges = unionRanges(os.map((o) => o.ranges), step);
      return { outcome, offsets: rangeCount(ranges, step), ranges };
    }),
    violations: [...violations].map(([sig, vs]) => {
      const ranges = unionRanges(vs.map((v) => v.ranges), step);
      const first = vs.map((v) => v.first).sort((x, y) => x.offset - y.offset)[0]!;
      return { signature: sig, offsets: rangeCount(ranges, step), ranges, first };
    }),
  });
}

/** The shards a merge of `reports` covers (null: all of them, the whole run); throws if one appears twice. */
export function mergedShards(reports: readonly { readonly shards: SweepReport['shards'] }[]): SweepReport['shards'] {
  const count = reports[0]?.shards?.count ?? 1;
  const indices = reports.flatMap((r) => r.shards?.indices ?? []).sort((x, y) => x - y);
  if (new Set(indices).size !== indices.length || (reports.length > 1 && reports.some((r) => r.shards === null))) {
    throw new MergeError(indices.length === 0 ? 'two whole runs cannot be merged: their offsets overlap' : `shard ${indices.find((x, i) => indices[i + 1] === x) ?? '?'} of ${count} appears twice`);
  }
  return reports[0]?.shards === null || indices.length === count ? null : { indices, count };
}

function group<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) getOr(m, key(x), () => []).push(x);
  return m;
}

function describe(r: SweepReport): string {
  return `${r.scenario} seed ${r.seed}${r.bug ? ` bug ${r.bug}` : ''} offsets ${r.sweep.from}-${r.sweep.to} step ${r.sweep.step}`;
}

/** The report for a person. */
export function formatSweep(r: SweepReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `explore ${r.scenario} (seed ${r.seed}${r.bug ? `, planted bug ${r.bug}` : ''})`,
    `  window   cycles ${r.window.from}-${r.window.to} (${n(r.window.to - r.window.from + 1)} cycles, ${n(r.window.events)} events in the probe run)`,
    `  swept    ${n(r.offsets)} offsets, ${r.sweep.from}-${r.sweep.to} step ${r.sweep.step}${r.shards ? `, shard ${r.shards.indices.join('+')} of ${r.shards.count}` : ''}; the action took effect at ${n(r.instants.count)} distinct cycles`,
    `  checked  every invariant after every event and every return from the kernel, from the action on; the probe run made ${n(r.probe.checked)} such checks from boot (${r.probe.outcome})`,
    '',
    '   offsets  outcome',
    ...r.outcomes.flatMap((o) => [`  ${n(o.offsets).padStart(8)}  ${o.outcome}`, `            at ${formatRanges(o.ranges)}`]),
    '',
  ];
  const pv = r.probe.violation;
  if (pv) lines.push(`  VIOLATION in the probe run (no action yet) at cycle ${pv.cycle}:`, ...pv.messages.slice(0, 4).map((m) => `    ${m}`), `    replay: ${pv.replay}`);
  if (r.violations.length === 0 && !pv) lines.push('  violations: none');
  for (const v of r.violations) {
    lines.push(
      `  VIOLATION at ${n(v.offsets)} offsets (${formatRanges(v.ranges)}): ${v.signature}`,
      `    first at offset ${v.first.offset}, seen at cycle ${v.first.cycle}:`,
      ...v.first.messages.slice(0, 4).map((m) => `      ${m}`),
      `    replay: ${v.first.replay}`,
    );
  }
  return lines.join('\n');
}
