// Offset ranges: a sorted list of offsets on a grid of `step`, kept as [first, last] pairs
// of consecutive grid points, so that 24,000 offsets with two outcomes print as two ranges
// and shards merge by concatenation.

export type Range = readonly [number, number];

/** Append `offset` (not below the last one) to `ranges`. */
export function addOffset(ranges: [number, number][], offset: number, step: number): void {
  const last = ranges[ranges.length - 1];
  if (last && offset === last[1] + step) last[1] = offset;
  else ranges.push([offset, offset]);
}

/** The union of disjoint range lists on one grid, sorted, with touching ranges joined. */
export function unionRanges(lists: readonly (readonly Range[])[], step: number): [number, number][] {
  const all = lists.flat().slice().sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of all) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) throw new RangeError(`offset ranges overlap at ${a}: the reports are not disjoint`);
    if (last && a === last[1] + step) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}

/** How many grid points the ranges hold. */
export function rangeCount(ranges: readonly Range[], step: number): number {
  return ranges.reduce((n, [a, b]) => n + (b - a) / step + 1, 0);
}

export function formatRanges(ranges: readonly Range[], most = 4): string {
  const shown = ranges.slice(0, most).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return ranges.length > most ? `${shown.join(', ')}, … (${ranges.length} ranges)` : shown.join(', ');
}
