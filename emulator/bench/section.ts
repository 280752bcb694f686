// The shape of one benchmark section (`reloaded bench SECTION`): what it is called, whether a
// quick pass runs it, and what it returns: its figures, the structured rows the charts and the
// comparison read, and what it could not measure (with why).

import type { Figure } from './figures.js';

export interface SectionContext {
  /** The short pass (`--quick`): fewer sizes, shorter windows, the fewest repeats. */
  readonly quick: boolean;
  /** A progress line (stderr: stdout is the results'). */
  readonly progress: (line: string) => void;
}

/** Something a section could not measure, and why (e.g. a topology not built yet). */
export interface Unavailable {
  readonly what: string;
  readonly reason: string;
}

export interface SectionResult {
  readonly figures: Figure[];
  /** Structured rows for the charts and the JSON (section-specific). */
  readonly data?: unknown;
  readonly unavailable?: Unavailable[];
}

export interface Section {
  readonly name: string;
  /** Other names it answers to on the command line. */
  readonly aliases?: readonly string[];
  readonly title: string;
  /** Too long for --quick: skipped there unless named. */
  readonly long?: boolean;
  readonly run: (ctx: SectionContext) => SectionResult | Promise<SectionResult>;
}
