// The benchmark's statistics: min and median of repeated host-time samples, and the
// interleaved schedule that gives both sides of a ratio the same share of whatever else the
// host is doing (A B A B A B, never A A A B B B, so a load that drifts during the run moves
// both sides alike). Emulated figures need none of this: they are exact functions of the
// configuration and are measured once.

/** Samples of one host-time quantity, with their min and median. */
export interface Samples {
  readonly samples: readonly number[];
  readonly min: number;
  readonly median: number;
}

export function min(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('min of no samples');
  return Math.min(...xs);
}

/** The middle sample (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

export function samplesOf(xs: readonly number[]): Samples {
  return { samples: [...xs], min: min(xs), median: median(xs) };
}

/** Least repeats of a host-time figure. */
export const MIN_REPEATS = 3;

/** One side of an interleaved measurement: `run` does the work once and returns its sample. */
export interface Side {
  readonly name: string;
  readonly run: () => number | Promise<number>;
}

export interface InterleaveOptions {
  /** Run every side once first, discarded (the JIT's warm-up). Default true. */
  readonly warmup?: boolean;
}

/**
 * Run the sides in turn, `repeats` rounds of one run each (A B A B ...), after an optional
 * discarded round; returns each side's samples by name.
 */
export async function measureInterleaved(sides: readonly Side[], repeats: number, o: InterleaveOptions = {}): Promise<Record<string, Samples>> {
  if (!(Number.isInteger(repeats) && repeats >= MIN_REPEATS)) throw new Error(`measureInterleaved: expected at least ${MIN_REPEATS} repeats, got ${repeats}`);
  const names = new Set(sides.map((s) => s.name));
  if (names.size !== sides.length) throw new Error('measureInterleaved: two sides share a name');
  if (o.warmup ?? true) for (const s of sides) await s.run();
  const got = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  for (let r = 0; r < repeats; r++) for (const s of sides) got.get(s.name)!.push(await s.run());
  return Object.fromEntries(sides.map((s) => [s.name, samplesOf(got.get(s.name)!)]));
}

/** Host seconds `body` takes. */
export function hostSeconds(body: () => void): number {
  const start = performance.now(); // wall-clock ok
  body();
  return (performance.now() - start) / 1000; // wall-clock ok
}

/** Host seconds an asynchronous `body` takes. */
export async function hostSecondsAsync(body: () => Promise<void>): Promise<number> {
  const start = performance.now(); // wall-clock ok
  await body();
  return (performance.now() - start) / 1000; // wall-clock ok
}

/** Operations per host second of `body` (which returns how many it did), run for at least `minMs`: one sample. */
export function opsPerSecond(body: () => number, minMs: number): number {
  let ops = 0;
  const start = performance.now(); // wall-clock ok
  let elapsed = 0;
  while (elapsed < minMs) {
    ops += body();
    elapsed = performance.now() - start; // wall-clock ok
  }
  return (ops * 1000) / elapsed;
}
