// Benchmark plumbing: time a body on the host clock and print figures as aligned rows.

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A goal the figure should meet, for the printed verdict. */
  readonly goal?: number;
}

/** Run `body` (which returns how many operations it did) until `minMs` have passed; ops per host second. */
export function opsPerSecond(body: () => number, minMs = 300): number {
  body(); // warm up the JIT
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    ops += body();
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

export function printResults(results: BenchResult[]): void {
  const w = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const v = r.value >= 1000 ? Math.round(r.value).toLocaleString('en-US') : r.value.toPrecision(4);
    const goal = r.goal === undefined ? '' : r.value >= r.goal ? `  (goal ≥ ${r.goal.toLocaleString('en-US')}: met)` : `  (goal ≥ ${r.goal.toLocaleString('en-US')}: NOT met)`;
    console.log(`${r.name.padEnd(w)}  ${v.padStart(14)} ${r.unit}${goal}`);
  }
}
