// The worker's check of what the page sends: a command's shape and numbers, each refused with
// a message that names the field, before anything runs. (A run's options are then checked by
// the boot scenario itself, as `reloaded run`'s are.)

import type { Command, RunConfig } from './protocol.js';

/** Most cycles one step may take: a full run at the longest (60 s at 133 MHz). */
export const MAX_STEP_CYCLES = 8_000_000_000;

export class CommandError extends Error {
  override name = 'CommandError';
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new CommandError(`${what}: expected an object`);
  return x as Record<string, unknown>;
}

function integer(x: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) throw new CommandError(`${what}: expected an integer from ${min} to ${max}, got ${String(x)}`);
  return x;
}

function text(x: unknown, what: string): string {
  if (typeof x !== 'string') throw new CommandError(`${what}: expected a string`);
  return x;
}

function config(x: unknown): RunConfig {
  const c = record(x, 'config');
  const revokes = c.revokes;
  return {
    seed: integer(c.seed, 'seed', 0),
    millis: typeof c.millis === 'number' ? c.millis : Number.NaN, // its range is the boot scenario's to check
    strategy: text(c.strategy, 'strategy') as RunConfig['strategy'],
    mode: text(c.mode, 'mode') as RunConfig['mode'],
    clients: integer(c.clients, 'clients', 1),
    link: integer(c.link, 'link', 1),
    revokes: revokes === undefined ? undefined : clientCycles(revokes, 'revokes'),
    joins: c.joins === undefined ? undefined : clientCycles(c.joins, 'joins'),
    spare: c.spare === undefined ? undefined : integer(c.spare, 'spare', 0),
    hostile: c.hostile === undefined ? undefined : list(c.hostile, 'hostile').map((h, i) => {
      const o = record(h, `hostile[${i}]`);
      return { client: integer(o.client, `hostile[${i}].client`, 1), attack: text(o.attack, `hostile[${i}].attack`) };
    }),
  };
}

function list(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) throw new CommandError(`config.${what}: expected a list`);
  return x;
}

function clientCycles(x: unknown, what: string): { client: number; cycle: number }[] {
  return list(x, what).map((r, i) => {
    const o = record(r, `${what}[${i}]`);
    return { client: integer(o.client, `${what}[${i}].client`, 1), cycle: integer(o.cycle, `${what}[${i}].cycle`, 0) };
  });
}

export function checkCommand(x: unknown): Command {
  const c = record(x, 'command');
  switch (c.kind) {
    case 'start':
      return { kind: 'start', config: config(c.config) };
    case 'run':
    case 'pause':
    case 'join':
      return { kind: c.kind };
    case 'step':
      return { kind: 'step', cycles: integer(c.cycles, 'step', 1, MAX_STEP_CYCLES) };
    case 'speed':
      return { kind: 'speed', cyclesPerUpdate: integer(c.cyclesPerUpdate, 'speed', 1, MAX_STEP_CYCLES) };
    case 'revoke':
      return { kind: 'revoke', client: integer(c.client, 'revoke: client', 1), cycle: c.cycle === undefined ? undefined : integer(c.cycle, 'revoke: cycle', 0) };
    case 'inspect':
      return { kind: 'inspect', frame: integer(c.frame, 'inspect: frame', 0) };
    case 'replay':
      return { kind: 'replay', line: text(c.line, 'replay: line') };
    default:
      throw new CommandError(`unknown command ${JSON.stringify(String(c.kind))}`);
  }
}
