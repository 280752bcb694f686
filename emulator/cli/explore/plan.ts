// Which offsets a sweep runs: the probe's window unless --from/--to narrow it, every `step`
// cycles, and of those the K-th of N contiguous slices when sharded (--shard K/N). Slices are
// contiguous so that each shard's outcome ranges stay few and merge end to end.

import type { Shard } from './report.js';

export interface Span {
  readonly from: number;
  readonly to: number;
  readonly step: number;
}

/** Bad exploration arguments: the command exits 2 with this message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The sweep's span: the window, narrowed by what the user asked, checked against the scenario's run. */
export function sweepSpan(window: { from: number; to: number }, ask: { from?: number; to?: number; step?: number }, end: number): Span {
  const from = ask.from ?? window.from;
  const to = ask.to ?? window.to;
  const step = ask.step ?? 1;
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  if (to >= end) throw new UsageError(`offset ${to} is past the scenario's end (cycle ${end - 1} is its last)`);
  return { from, to, step };
}

/** The offsets of a span, or of one shard of it. */
export function offsetsOf(span: Span, shard: Shard | null): number[] {
  const count = Math.floor((span.to - span.from) / span.step) + 1;
  const [lo, hi] = shard ? [Math.floor(((shard.index - 1) * count) / shard.count), Math.floor((shard.index * count) / shard.count)] : [0, count];
  return Array.from({ length: hi - lo }, (_, i) => span.from + (lo + i) * span.step);
}
