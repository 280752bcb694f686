// Capabilities (DESIGN.md §4 "Capability"): (object, version, rights), plus a badge that
// endpoint capabilities carry to the receiver. A capability whose version no longer matches
// its object's is *void*, and `lookup` treats it exactly as the null capability: every
// operation sees `undefined` for both, so no operation can tell them apart.

import type { ObjectKind, Right } from './api/context.js';
import { plainList } from './args.js';
import type { KObject } from './objects.js';

export const R_READ = 1;
export const R_WRITE = 2;
export const R_DESTROY = 4;
export const R_FREE = 8;
export const R_LIMITS = 16;
export const R_QUERY = 32;

const RIGHT_BITS: Record<Right, number> = { read: R_READ, write: R_WRITE, destroy: R_DESTROY, free: R_FREE, limits: R_LIMITS, query: R_QUERY };

/** The full rights of a fresh capability to an object of each kind. */
export const FULL_RIGHTS: Record<ObjectKind, number> = {
  page: R_READ | R_WRITE,
  bank: R_DESTROY | R_FREE | R_LIMITS | R_QUERY,
  space: R_WRITE,
  region: R_WRITE,
  domain: 0,
  endpoint: R_READ | R_WRITE,
  notification: R_READ | R_WRITE,
  devpriv: R_WRITE,
};

export interface Capability {
  readonly obj: KObject;
  readonly version: number;
  readonly rights: number;
  readonly badge: number;
}

export type CapSlot = Capability | null;

export function capTo(obj: KObject, rights = FULL_RIGHTS[obj.kind], badge = 0): Capability {
  return { obj, version: obj.version, rights: rights & FULL_RIGHTS[obj.kind], badge };
}

/** The object a capability designates if it is valid and of kind `kind`; null and void alike give undefined. */
export function lookup<K extends ObjectKind>(cap: CapSlot | undefined, kind: K): Extract<KObject, { kind: K }> | undefined {
  if (!cap || cap.version !== cap.obj.version || !cap.obj.live || cap.obj.kind !== kind) return undefined;
  return cap.obj as Extract<KObject, { kind: K }>;
}

/** Whether the capability is valid (of any kind). */
export function isValid(cap: CapSlot | undefined): cap is Capability {
  return !!cap && cap.version === cap.obj.version && cap.obj.live;
}

/** Rights names to bits; undefined if any name is unknown (a hostile argument). */
export function rightsFromNames(names: unknown): number | undefined {
  const list = plainList(names, 8);
  if (!list) return undefined;
  let bits = 0;
  for (const n of list) {
    // Check the type before using it as a key: indexing with an object would run its toString.
    if (typeof n !== 'string' || !Object.hasOwn(RIGHT_BITS, n)) return undefined;
    bits |= RIGHT_BITS[n as Right];
  }
  return bits;
}

export function rightsToNames(bits: number): Right[] {
  return (Object.keys(RIGHT_BITS) as Right[]).filter((r) => (bits & RIGHT_BITS[r]) !== 0);
}

/** A copy of `cap` with rights diminished to `mask` (never more than it had) and an optional new badge. */
export function diminish(cap: Capability, mask: number, badge = cap.badge): Capability {
  return { obj: cap.obj, version: cap.version, rights: cap.rights & mask, badge };
}
