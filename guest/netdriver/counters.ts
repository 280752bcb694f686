// The driver's counters (DESIGN.md §5): per session and global, plain data that tests and
// the CLI read. Every drop and every rejection is counted under its reason, in the session
// it concerns (if any) and globally.

import { DROP_REASONS, type DropReason } from '../net/demux.js';
import { REJECT_REASONS, type RejectReason } from '../session/reasons.js';

export interface Counters {
  /** Frames put on a session's deliver ring. */
  delivered: number;
  /** ... of which copied from the driver's buffers, flipped in place, or exchanged from another session's page. */
  copied: number;
  flipped: number;
  exchanged: number;
  /** Frames that went on the wire. */
  transmitted: number;
  dropped: Record<DropReason, number>;
  rejected: Record<RejectReason, number>;
  /** Pages pinned right now, and the most ever at once. */
  pinnedNow: number;
  pinnedPeak: number;
}

export interface GlobalCounters extends Counters {
  /** Frames the card received (good ones), and frames it reported missed or in error. */
  received: number;
  missed: number;
  busErrors: number;
  sessionsOpened: number;
  sessionsClosed: number;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export function newCounters(): Counters {
  return { delivered: 0, copied: 0, flipped: 0, exchanged: 0, transmitted: 0, dropped: zeros(DROP_REASONS), rejected: zeros(REJECT_REASONS), pinnedNow: 0, pinnedPeak: 0 };
}

export function newGlobalCounters(): GlobalCounters {
  return { ...newCounters(), received: 0, missed: 0, busErrors: 0, sessionsOpened: 0, sessionsClosed: 0 };
}

export type Event = 'delivered' | 'copied' | 'flipped' | 'exchanged' | 'transmitted';

/** Where a session's counters are: the counters themselves, or something that has them. */
export type CountersOf = Counters | { readonly counters: Counters } | undefined;
const of = (s: CountersOf): Counters | undefined => (s && 'counters' in s ? s.counters : s);

/** Count an event in a session (when there is one) and globally. */
export function count(g: Counters, s: CountersOf, e: Event): void {
  g[e]++;
  const c = of(s);
  if (c) c[e]++;
}

export function countDrop(g: Counters, s: CountersOf, r: DropReason): void {
  g.dropped[r]++;
  const c = of(s);
  if (c) c.dropped[r]++;
}

export function countReject(g: Counters, s: CountersOf, r: RejectReason): void {
  g.rejected[r]++;
  const c = of(s);
  if (c) c.rejected[r]++;
}

/** A change of `delta` pins in a session (and globally). */
export function countPins(g: Counters, s: CountersOf, delta: number): void {
  const sc = of(s);
  for (const c of sc ? [g, sc] : [g]) {
    c.pinnedNow += delta;
    c.pinnedPeak = Math.max(c.pinnedPeak, c.pinnedNow);
  }
}

/** Sum of every drop (or rejection) reason. */
export const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** A deep copy, for a reader that must not see later changes. */
export function snapshot<C extends Counters>(c: C): C {
  return { ...c, dropped: { ...c.dropped }, rejected: { ...c.rejected } };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ newCounters, newGlobalCounters, count, countDrop, countReject, countPins, total, snapshot });
