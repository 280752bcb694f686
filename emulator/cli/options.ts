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

/** Where a bridged wire's frames go: `udp:HOST:PORT`. */
export interface UdpTarget {
  host: string;
  port: number;
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new InvalidArgumentError(`${what} must be 1–65535, got ${text}`);
  return n;
}

export function udpTarget(value: string): UdpTarget {
  const m = /^udp:([^:]+):(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected udp:HOST:PORT, got '${value}'`);
  return { host: m[1]!, port: port(m[2]!, 'UDP port') };
}

/** A local socket address `ADDR:PORT`. */
export function hostPort(value: string): UdpTarget {
  const m = /^([^:]+):(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected ADDR:PORT, got '${value}'`);
  return { host: m[1]!, port: port(m[2]!, 'port') };
}

/** A probability: a number from 0 to 1, or a percentage (`5%`). */
export function rate(value: string): number {
  const v = value.trim();
  const pct = v.endsWith('%');
  const n = Number(pct ? v.slice(0, -1) : v);
  const r = pct ? n / 100 : n;
  if (v === '' || v === '%' || !Number.isFinite(n) || !(r >= 0 && r <= 1)) throw new InvalidArgumentError(`expected a rate from 0 to 1 (or 0% to 100%), got '${value}'`);
  return r;
}

/** A revocation `K@CYCLE` (client K, counting from 1, destroys its bank at CYCLE), or `none`. */
export function revocation(value: string, previous: ({ client: number; cycle: number } | 'none')[] = []): ({ client: number; cycle: number } | 'none')[] {
  const v = value.trim();
  if (v === 'none') return [...previous, 'none'];
  const m = /^(\d+)@(\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`expected K@CYCLE (client K from 1, an emulated cycle) or 'none', got '${value}'`);
  const client = Number(m[1]);
  const cycle = Number(m[2]);
  if (client < 1 || !Number.isSafeInteger(cycle)) throw new InvalidArgumentError(`expected K@CYCLE with K ≥ 1, got '${value}'`);
  return [...previous, { client, cycle }];
}

/** A hostile client `CLIENT:ATTACK` (client from 1; the attack checked against the catalogue where the run is made). */
export function hostileClient(value: string, previous: { client: number; attack: string }[] = []): { client: number; attack: string }[] {
  const m = /^(\d+):([a-z][a-z-]*)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected CLIENT:ATTACK (client from 1, an attack of --list-attacks), got '${value}'`);
  const client = Number(m[1]);
  if (client < 1) throw new InvalidArgumentError(`expected CLIENT:ATTACK with CLIENT ≥ 1, got '${value}'`);
  return [...previous, { client, attack: m[2]! }];
}

/** A late join `CLIENT@CYCLE` (client from 1 starts its stack at that emulated cycle). */
export function lateJoin(value: string, previous: { client: number; cycle: number }[] = []): { client: number; cycle: number }[] {
  const m = /^(\d+)@(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected CLIENT@CYCLE (client from 1, an emulated cycle), got '${value}'`);
  const client = Number(m[1]);
  const cycle = Number(m[2]);
  if (client < 1 || !Number.isSafeInteger(cycle)) throw new InvalidArgumentError(`expected CLIENT@CYCLE with CLIENT ≥ 1, got '${value}'`);
  return [...previous, { client, cycle }];
}
