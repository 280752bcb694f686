// Reading what a domain wrote, as plain data. The report reads counters that domain code
// keeps (a stack's counters, its servers' statistics): reading them the ordinary way (a
// spread, a property read) would run whatever getters or proxy traps that code left there,
// in the composition root, outside the domain's thread and its cycles. So the report takes
// only the keys it expects, each an own data property holding a number (or a nested record
// of them), read through property descriptors; anything else and the whole record is
// refused (undefined), which the report says.

import { plainArgs } from '../../../guest/kernel/args.js';

/** A record of numbers, possibly nested: the shape of what is read. */
export type NumberRecord = { readonly [k: string]: number | NumberRecord };

/**
 * A copy of `x` with the keys of `shape`, each a number (or, where `shape` has a record, a
 * record read the same way); undefined if `x` or any part is not plain data of that shape.
 */
export function readPlain<T extends NumberRecord>(x: unknown, shape: T): T | undefined {
  const own = plainArgs(x);
  if (own === undefined || x === undefined || x === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, want] of Object.entries(shape)) {
    const v = own[k];
    if (typeof want === 'number') {
      if (typeof v !== 'number') return undefined;
      out[k] = v;
    } else {
      const inner = readPlain(v, want);
      if (inner === undefined) return undefined;
      out[k] = inner;
    }
  }
  return out as T;
}
