// IPv4 reassembly (RFC 791 §3.2, with RFC 815's view of a datagram as its holes): fragments
// in, whole datagrams out, keyed by (source, destination, protocol, identification). State
// is bounded in time and space, because fragments are the cheapest way for a peer to make a
// host hold memory: each datagram has a fixed deadline from its first fragment, and the
// bytes and datagrams held across all reassemblies have a ceiling.
//
// Overlap policy: a fragment that overlaps one already held, with bytes that differ, drops
// the whole datagram (counted as overlapping-fragments). Which copy of overlapping bytes wins
// is exactly what the classic attacks play on (the "teardrop" overlap, and overlaps that show
// a firewall or IDS one payload and the host another, RFC 1858 §4); a host that refuses the
// datagram leaves nothing to choose. RFC 5722 makes this the rule for IPv6 and Linux applies
// it to IPv4 too. An exact duplicate (same place, same bytes) is what a network that
// duplicates packets delivers, so only the copy is dropped (as RFC 8200 §4.5 allows).
//
// With overlaps refused, RFC 815's hole list is the gaps between the fragments held, kept
// sorted by offset: the datagram is complete when they run from 0 to the end without a gap.
//
// Timeout: RFC 791 suggests 15 s as the timer's initial value; RFC 1122 §3.3.2 asks for a
// fixed timeout not raised by later fragments' TTL, so a peer cannot keep a reassembly
// alive by trickling fragments. Time is the caller's `now` in CPU cycles (no clock here).
//
// Order: reassemblies sit in a Map, whose iteration order is insertion order (ECMAScript
// §24.1: deterministic, not hash order). An entry is never re-inserted, so the first entry
// is always the oldest: eviction and expiry visit reassemblies in the order they started.

import { countDrop, type DropCounters, type StackDropReason } from './drops.js';
import { IPV4_MAX_DATAGRAM, isFragment, type Ipv4Datagram } from './ipv4-input.js';
import { bytesEqual } from '../net/bytes.js';

/** RFC 791 §3.2: the suggested initial value of the reassembly timer. */
export const REASSEMBLY_TIMEOUT_SECONDS = 15;
/** Default bound on fragment bytes held across all reassemblies: four largest datagrams. */
export const DEFAULT_REASSEMBLY_MAX_BYTES = 4 * (IPV4_MAX_DATAGRAM + 1);
/** Default bound on datagrams under reassembly at once. */
export const DEFAULT_REASSEMBLY_MAX_DATAGRAMS = 64;

export interface ReassemblyConfig {
  /** Cycles from a datagram's first fragment after which its reassembly is abandoned. */
  readonly timeoutCycles: number;
  /** Most fragment payload bytes held across all reassemblies. */
  readonly maxBytes: number;
  /** Most datagrams under reassembly at once. */
  readonly maxDatagrams: number;
}

/** The defaults for a CPU of `cpuHz` cycles per second. */
export function defaultReassemblyConfig(cpuHz: number): ReassemblyConfig {
  return { timeoutCycles: REASSEMBLY_TIMEOUT_SECONDS * cpuHz, maxBytes: DEFAULT_REASSEMBLY_MAX_BYTES, maxDatagrams: DEFAULT_REASSEMBLY_MAX_DATAGRAMS };
}

/** What became of a datagram handed to the reassembler. */
export type ReassemblyResult =
  | { readonly datagram: Ipv4Datagram; readonly fragments: number } // whole (reassembled from `fragments`, or 1 when it was never fragmented)
  | { readonly held: true } // kept until the rest arrives
  | { readonly dropped: StackDropReason }; // counted; earlier fragments of its datagram may have gone too

interface Piece {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

interface Reassembly {
  readonly started: number;
  /** Held fragments, sorted by offset, never overlapping. */
  readonly pieces: Piece[];
  /** The header fields of the fragment at offset 0, once it came (RFC 791 §3.2: the reassembled header is the first fragment's). */
  first: Ipv4Datagram | undefined;
  /** Payload length, once the last fragment (MF clear) came. */
  end: number | undefined;
  bytes: number;
}

const keyOf = (d: Ipv4Datagram): string => `${d.src}/${d.dst}/${d.protocol}/${d.id}`;
const pieceEnd = (p: Piece): number => p.offset + p.bytes.length;

/** The reassembly state of one stack. */
export class Reassembler {
  private readonly pending = new Map<string, Reassembly>();
  private heldBytes = 0;

  constructor(
    private readonly config: ReassemblyConfig,
    private readonly drops: DropCounters,
  ) {}

  /** Fragment payload bytes held now, across all reassemblies. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** Datagrams under reassembly now. */
  get datagramsHeld(): number {
    return this.pending.size;
  }

  /** Fragments held now, across all reassemblies. */
  get fragmentsHeld(): number {
    let n = 0;
    for (const r of this.pending.values()) n += r.pieces.length;
    return n;
  }

  /** Take datagram `d` (as ipv4Input gave it) at cycle `now`; expired reassemblies go first. */
  accept(d: Ipv4Datagram, now: number): ReassemblyResult {
    this.expire(now);
    if (!isFragment(d)) return { datagram: d, fragments: 1 };
    const key = keyOf(d);
    let r = this.pending.get(key);
    if (!r) {
      if (this.pending.size >= this.config.maxDatagrams) this.evictOldest(undefined);
      r = { started: now, pieces: [], first: undefined, end: undefined, bytes: 0 };
      this.pending.set(key, r);
    }
    const piece: Piece = { offset: d.fragmentOffset, bytes: d.payload };
    const refused = this.place(r, piece, d);
    if (refused === 'duplicate-fragment') return this.refuse(refused);
    if (refused) return this.abandon(key, r, refused);
    while (this.heldBytes + piece.bytes.length > this.config.maxBytes && this.evictOldest(key));
    if (this.heldBytes + piece.bytes.length > this.config.maxBytes) return this.abandon(key, r, 'reassembly-memory-full');
    this.store(r, { offset: piece.offset, bytes: piece.bytes.slice() }, d);
    return this.complete(key, r) ?? { held: true };
  }

  /** Abandon every reassembly that has run `config.timeoutCycles` by `now`; how many went. */
  expire(now: number): number {
    let n = 0;
    for (const [key, r] of this.pending) {
      if (now - r.started < this.config.timeoutCycles) continue;
      this.forget(key, r, 'reassembly-timeout');
      n++;
    }
    return n;
  }

  /** Why `piece` of `d` cannot join reassembly `r`, or undefined when it can. */
  private place(r: Reassembly, piece: Piece, d: Ipv4Datagram): StackDropReason | undefined {
    const end = pieceEnd(piece);
    for (const p of r.pieces) {
      if (p.offset >= end || pieceEnd(p) <= piece.offset) continue;
      const same = p.offset === piece.offset && p.bytes.length === piece.bytes.length && bytesEqual(p.bytes, 0, piece.bytes);
      return same && d.moreFragments === (pieceEnd(p) !== r.end) ? 'duplicate-fragment' : 'overlapping-fragments';
    }
    const last = r.pieces[r.pieces.length - 1];
    if (!d.moreFragments && ((r.end !== undefined && r.end !== end) || (last !== undefined && pieceEnd(last) > end))) return 'bad-fragment';
    if (d.moreFragments && r.end !== undefined && end > r.end) return 'bad-fragment';
    const headerBytes = (d.fragmentOffset === 0 ? d : r.first)?.headerBytes ?? 0;
    if (headerBytes + Math.max(end, last ? pieceEnd(last) : 0) > IPV4_MAX_DATAGRAM) return 'bad-fragment';
    return undefined;
  }

  private store(r: Reassembly, piece: Piece, d: Ipv4Datagram): void {
    let i = r.pieces.length;
    while (i > 0 && r.pieces[i - 1]!.offset > piece.offset) i--;
    r.pieces.splice(i, 0, piece);
    r.bytes += piece.bytes.length;
    this.heldBytes += piece.bytes.length;
    if (d.fragmentOffset === 0) r.first = { ...d, payload: new Uint8Array(0) }; // the header fields, not the frame
    if (!d.moreFragments) r.end = pieceEnd(piece);
  }

  /** The whole datagram when `r` has no hole left (and forget `r`), else undefined. */
  private complete(key: string, r: Reassembly): ReassemblyResult | undefined {
    if (r.first === undefined || r.end === undefined) return undefined;
    let reached = 0;
    for (const p of r.pieces) {
      if (p.offset !== reached) return undefined;
      reached = pieceEnd(p);
    }
    if (reached !== r.end) return undefined;
    const payload = new Uint8Array(r.end);
    for (const p of r.pieces) payload.set(p.bytes, p.offset);
    this.pending.delete(key);
    this.heldBytes -= r.bytes;
    const datagram: Ipv4Datagram = { ...r.first, totalLength: r.first.headerBytes + r.end, moreFragments: false, fragmentOffset: 0, payload };
    return { datagram, fragments: r.pieces.length };
  }

  /** Drop the oldest reassembly but `keep`; whether there was one. */
  private evictOldest(keep: string | undefined): boolean {
    for (const [key, r] of this.pending) {
      if (key === keep) continue;
      this.forget(key, r, 'reassembly-memory-full');
      return true;
    }
    return false;
  }

  /** Drop reassembly `r` with the fragment that broke it, counting all of them. */
  private abandon(key: string, r: Reassembly, reason: StackDropReason): ReassemblyResult {
    this.forget(key, r, reason);
    return this.refuse(reason);
  }

  /** Drop the incoming fragment alone. */
  private refuse(reason: StackDropReason): ReassemblyResult {
    countDrop(this.drops, reason);
    return { dropped: reason };
  }

  /** Forget reassembly `r`, counting each fragment it held under `reason`. */
  private forget(key: string, r: Reassembly, reason: StackDropReason): void {
    this.pending.delete(key);
    this.heldBytes -= r.bytes;
    if (r.pieces.length) countDrop(this.drops, reason, r.pieces.length);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ defaultReassemblyConfig, Reassembler });
