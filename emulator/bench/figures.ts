// What a benchmark section produces: figures that each say what kind they are and what they
// measured. An *emulated* figure (cycles, emulated Mbit/s, emulated µs) is an exact function of
// the configuration, measured once; a *host* figure (host seconds, anything per host second)
// depends on the host and its load, so it carries the min and median of several interleaved
// repeats (stats.ts). `measured` names the rig: a figure from a rig without CPU or kernel is
// a figure of that rig, not of the system.

import type { Samples } from './stats.js';

export interface Goal {
  /** The comparison, e.g. '≥ 20,000,000'. */
  readonly text: string;
  readonly met: boolean;
}

interface FigureBase {
  readonly name: string;
  readonly unit: string;
  /** The rig and configuration the figure was measured on. */
  readonly measured: string;
  readonly goal?: Goal;
}

export interface EmulatedFigure extends FigureBase {
  readonly kind: 'emulated';
  readonly value: number;
  /** Always 1: the figure is deterministic. */
  readonly runs: 1;
}

export interface HostFigure extends FigureBase {
  readonly kind: 'host';
  /** For a rate, min is the slowest run; for a duration, the fastest. */
  readonly min: number;
  readonly median: number;
  readonly samples: readonly number[];
  readonly repeats: number;
}

export type Figure = EmulatedFigure | HostFigure;

export function emulated(name: string, value: number, unit: string, measured: string, goal?: Goal): EmulatedFigure {
  return { name, kind: 'emulated', value, runs: 1, unit, measured, ...(goal && { goal }) };
}

export function host(name: string, s: Samples, unit: string, measured: string, goal?: Goal): HostFigure {
  return { name, kind: 'host', min: s.min, median: s.median, samples: s.samples, repeats: s.samples.length, unit, measured, ...(goal && { goal }) };
}

/** A goal `value ≥ at`. */
export function atLeast(value: number, at: number): Goal {
  return { text: `≥ ${at.toLocaleString('en-US')}`, met: value >= at };
}

/** A goal `value < at`. */
export function below(value: number, at: number): Goal {
  return { text: `< ${at.toLocaleString('en-US')}`, met: value < at };
}

/** A number for a person: thousands separated, else four significant digits. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(4)).toString();
}

/** The figures as aligned text rows: emulated ones as one value, host ones as median (min); what they measured on a line before each run of figures that share it. */
export function formatFigures(figures: readonly Figure[]): string[] {
  const w = Math.max(0, ...figures.map((f) => f.name.length));
  const out: string[] = [];
  let measured: string | undefined;
  for (const f of figures) {
    if (f.measured !== measured) out.push(`  [${f.kind === 'host' ? 'host figures' : 'emulated, exact'}: ${(measured = f.measured)}]`);
    const v = f.kind === 'emulated' ? formatNumber(f.value) : `${formatNumber(f.median)} (min ${formatNumber(f.min)}, ${f.repeats} runs)`;
    const goal = f.goal ? `  [goal ${f.goal.text}: ${f.goal.met ? 'met' : 'NOT met'}]` : '';
    out.push(`${f.name.padEnd(w)}  ${v.padStart(14)} ${f.unit}${goal}`);
  }
  return out;
}
