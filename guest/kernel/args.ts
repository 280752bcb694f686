// System-call arguments as plain data (DESIGN.md §2: the kernel never runs domain code).
// A domain hands the kernel JavaScript values; reading them the ordinary way (a spread, a
// property read, `Array.from`, `for...of`) would run the domain's getters, iterators and
// proxy traps in the middle of a kernel operation, in supervisor mode, where they could
// change an argument between its check and its use or re-enter the kernel.
//
// So the kernel accepts only plain data, read through property descriptors: an ordinary
// object (prototype Object.prototype or null) or a genuine array (prototype Array.prototype),
// never a proxy (the realm records every proxy: emulator/machine/realm.ts), whose properties
// are all data properties. Anything else is refused as a whole ('bad-arg' for the caller).
// The realm's intrinsics are frozen, so the prototypes compared against are the real ones.

import { isProxy } from '../../emulator/machine/realm.js';

const { getPrototypeOf, getOwnPropertyDescriptor, getOwnPropertyNames } = Object;

/** The prototypes of a plain object and of a genuine array (made once: checked at every system call). */
const PLAIN_OBJECT_PROTOS: readonly (object | null)[] = [Object.prototype, null];
const ARRAY_PROTOS: readonly (object | null)[] = [Array.prototype];

/** An ordinary, non-proxy object whose prototype is one of `protos`. */
function ordinary(x: unknown, protos: readonly (object | null)[]): x is object {
  return typeof x === 'object' && x !== null && !isProxy(x) && protos.includes(getPrototypeOf(x));
}

/** The value of an own data property, or `absent` when `x` has no such property, or `accessor` for a getter/setter. */
const ACCESSOR = Symbol('accessor');
function dataValue(x: object, key: string): unknown {
  const d = getOwnPropertyDescriptor(x, key);
  if (d === undefined) return undefined;
  return 'value' in d ? d.value : ACCESSOR;
}

/**
 * A copy of the arguments object: its own string-keyed data properties, in a record with no
 * prototype. undefined (refuse) for a proxy, an exotic or class instance, an accessor property.
 * `undefined` and `null` stand for "no arguments".
 */
export function plainArgs(x: unknown): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = Object.create(null);
  if (x === undefined || x === null) return out;
  if (!ordinary(x, PLAIN_OBJECT_PROTOS)) return undefined;
  // Every own string key, enumerable or not, in [[OwnPropertyKeys]] order: Reflect.ownKeys
  // less the symbol keys, which are not arguments of any operation (and getOwnPropertyNames is
  // a tenth of ownKeys' cost, at every system call).
  for (const key of getOwnPropertyNames(x)) {
    const v = dataValue(x, key);
    if (v === ACCESSOR) return undefined;
    out[key] = v;
  }
  return out;
}

/** A copy of a genuine array of at most `max` elements, each a data property; undefined (refuse) otherwise. */
export function plainList(x: unknown, max: number): unknown[] | undefined {
  if (!ordinary(x, ARRAY_PROTOS) || !Array.isArray(x)) return undefined;
  const length = dataValue(x, 'length') as number;
  if (length > max) return undefined;
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    const v = dataValue(x, String(i));
    if (v === ACCESSOR) return undefined;
    out.push(v);
  }
  return out;
}

/** A function argument (a domain body) that is not a proxy: the kernel stores it and never calls it. */
export function plainFunction(x: unknown): x is (...args: never[]) => unknown {
  return typeof x === 'function' && !isProxy(x);
}
