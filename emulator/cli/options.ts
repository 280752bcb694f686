// Parsers for CLI option values: each rejects bad input with a message that names the
// flag's expectation, so `reloaded` never starts a run on a silently wrong value.

import { InvalidArgumentError } from 'commander';

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected an integer, got '${value}'`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got ${value}`);
    return n;
  };
}

export function positiveNumber(max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
    if (n > max) throw new InvalidArgumentError(`expected at most ${max}, got ${value}`);
    return n;
  };
}

/** A cycle number (an integer ≥ 0), or the word `none`. */
export function cycleOrNone(value: string): number | 'none' {
  if (value.trim() === 'none') return 'none';
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a cycle number or 'none', got '${value}'`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a cycle number or 'none', got ${value}`);
  return n;
}

/** A shard `K/N` of a sweep (1 ≤ K ≤ N). */
export function shard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && index <= count && count <= 1_000_000)) throw new InvalidArgumentError(`expected K/N with 1 ≤ K ≤ N, got '${value}'`);
  return { index, count };
}
