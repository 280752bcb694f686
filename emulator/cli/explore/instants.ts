// Where an offset's action takes effect, known from the probe. An offset run stops the CPU at
// the first point at or after the offset where run() can stop (a preemption point, the run
// loop's turn, or anywhere in a stretch of compute or sleep), and acts there. Two offsets that
// stop at the same cycle run the very same computation: the prefix is the probe's, the stop
// costs nothing, and the action happens in the same state. So the explorer runs one offset
// per instant and gives its result to every offset of that instant (explore.ts), checking
// that the run it made stopped where the map said. The map is the probe's record of every
// place the CPU could have stopped (Cpu.stops), in the order the run passed them.

import type { StopObserver } from '../../machine/cpu.js';

export class StopMap implements StopObserver {
  /** Records [from, to] in run order, `to` never decreasing: a point is [p, p]. */
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  /** False if the run ever went back in time (then the map is not used). */
  valid = true;

  point(cycle: number): void {
    this.add(cycle, cycle);
  }

  span(from: number, to: number): void {
    if (to >= from) this.add(from, to);
  }

  private add(from: number, to: number): void {
    const last = this.to[this.to.length - 1];
    if (last !== undefined && to < last) this.valid = false;
    if (last === to && this.from[this.from.length - 1] === from) return; // the same place again
    this.from.push(from);
    this.to.push(to);
  }

  /** The cycle at which an offset run with limit `offset` stops (undefined: past the last record). */
  actedAt(offset: number): number | undefined {
    let lo = 0;
    let hi = this.to.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.to[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.to.length ? Math.max(offset, this.from[lo]!) : undefined;
  }
}

/** Offsets (in order) grouped by the instant they act at: each group's first offset stands for it. */
export function byInstant(offsets: readonly number[], map: StopMap | undefined): { instant: number | undefined; offsets: number[] }[] {
  const groups: { instant: number | undefined; offsets: number[] }[] = [];
  for (const o of offsets) {
    const instant = map?.valid ? map.actedAt(o) : undefined;
    const last = groups[groups.length - 1];
    if (last && instant !== undefined && last.instant === instant) last.offsets.push(o);
    else groups.push({ instant, offsets: [o] });
  }
  return groups;
}
