// Reading a replay line back: what `reloaded explore` prints for each violation (report.ts
// replayCommand: `npx reloaded explore SCENARIO --seed S [--bug B] --at N` or `... --probe`;
// fuzz-report.ts fuzzReplay: `npx reloaded explore fuzz --first-seed S --seeds 1 [--bug B]`)
// turned into the plan of the one run it names, so that a page (emulator/web/, its worker)
// can take a pasted line and replay that run step by step (replay-run.ts). The line is read
// as the command would read it (with or without `npx`, `--flag=value`, extra spaces, a
// trailing `--explain`, the report's `replay:` label in front), and anything that is not one
// run of the explorer is refused with a message that names what is wrong. No node-only
// import: this module is bundled for a browser worker.

import { BUG_NAMES, isBugName, type BugName } from './bugs.js';
import { scenarioNamed, SCENARIOS } from './scenarios/index.js';

/** One offset of a sweep (`--at N`): the probe runs first for its window, then the offset. */
export interface OffsetPlan {
  readonly kind: 'offset';
  readonly scenario: string;
  readonly seed: number;
  readonly bug: BugName | null;
  readonly offset: number;
  readonly explain: boolean;
}

/** The probe run alone (`--probe`). */
export interface ProbePlan {
  readonly kind: 'probe';
  readonly scenario: string;
  readonly seed: number;
  readonly bug: BugName | null;
  readonly explain: boolean;
}

/** One fuzz seed (`explore fuzz --first-seed S --seeds 1`). */
export interface FuzzPlan {
  readonly kind: 'fuzz';
  readonly seed: number;
  readonly bug: BugName | null;
  readonly explain: boolean;
}

export type ReplayPlan = OffsetPlan | ProbePlan | FuzzPlan;

/** A line that is not the replay of one run of the explorer: the message says why. */
export class ReplayLineError extends Error {
  override name = 'ReplayLineError';
}

/** The explorer's default seed (command.ts: --seed, --first-seed). */
const DEFAULT_SEED = 1;
/** The label a formatted report puts before a replay line. */
const LABEL = 'replay:';

/** The flags each kind of line may carry, and whether each takes a value. */
const SWEEP_FLAGS: Readonly<Record<string, boolean>> = { '--seed': true, '--bug': true, '--at': true, '--probe': false, '--explain': false };
const FUZZ_FLAGS: Readonly<Record<string, boolean>> = { '--first-seed': true, '--seeds': true, '--bug': true, '--explain': false };
/** Flags of `reloaded explore` that do not belong in the replay of one run. */
const NOT_REPLAY = new Set(['--list', '--from', '--to', '--step', '--shard', '--workers', '--every-offset', '--json']);

/**
 * Longest line read, in characters. A replay line the explorer prints is under 150; a line is
 * pasted from elsewhere (a chat, an issue), so it may be anything. Unbounded, a line padded
 * with megabytes of spaces between valid words was accepted and the page's worker sent it
 * back, whole, in every snapshot (a few per host second), and a megabyte word came back
 * whole in the error message the status line shows: either wedges the tab.
 */
export const MAX_LINE = 1_000;

/** Test-only: defences switched off, so a red-team test can show it sees what they stop. */
export interface ReplayLineUnsafe {
  /** Read a line of any length. */
  unboundedLine?: boolean;
}

export function parseReplayLine(line: string, unsafe: ReplayLineUnsafe = {}): ReplayPlan {
  if (line.length > MAX_LINE && !unsafe.unboundedLine) throw new ReplayLineError(`not a replay line of reloaded explore: ${line.length.toLocaleString('en-US')} characters (a replay line has fewer than ${MAX_LINE}): '${line.trim().slice(0, 60)}...'`);
  const words = line.trim().split(/\s+/).filter((w) => w !== '');
  if (words[0] === LABEL) words.shift();
  if (words[0] === 'npx') words.shift();
  if (words[0] !== 'reloaded' || words[1] !== 'explore') {
    throw new ReplayLineError(`not a replay line of reloaded explore: expected 'npx reloaded explore ...', got '${line.trim().slice(0, 60)}'`);
  }
  const rest = words.slice(2);
  if (rest[0] === 'fuzz') return fuzzPlan(flagsOf(rest.slice(1), FUZZ_FLAGS, 'explore fuzz'));
  const [name, ...more] = rest;
  if (name === undefined || name.startsWith('--')) throw new ReplayLineError(`no scenario: a replay line names one after 'explore' (there are: ${scenarioNames()})`);
  const sc = scenarioNamed(name);
  if (!sc) throw new ReplayLineError(`no scenario '${name}'; there are: ${scenarioNames()}`);
  const f = flagsOf(more, SWEEP_FLAGS, `explore ${name}`);
  const seed = f.has('--seed') ? count('--seed', f.get('--seed')!) : DEFAULT_SEED;
  const bug = bugOf(f.get('--bug'));
  const explain = f.has('--explain');
  const at = f.get('--at');
  if (f.has('--probe')) {
    if (at !== undefined) throw new ReplayLineError('--at and --probe: a replay line runs one offset or the probe, not both');
    return { kind: 'probe', scenario: name, seed, bug, explain };
  }
  if (at === undefined) throw new ReplayLineError(`explore ${name}: no --at OFFSET or --probe: without one the line sweeps the whole window, it does not replay one run`);
  const offset = count('--at', at);
  if (offset >= sc.end) throw new ReplayLineError(`--at ${offset} is past the scenario's end (cycle ${sc.end - 1} is the last of ${name})`);
  return { kind: 'offset', scenario: name, seed, bug, offset, explain };
}

function fuzzPlan(f: Map<string, string>): FuzzPlan {
  const seeds = f.get('--seeds');
  if (seeds === undefined) throw new ReplayLineError('explore fuzz: no --seeds 1: without it fuzz runs 100 seeds, a replay runs one');
  if (count('--seeds', seeds) !== 1) throw new ReplayLineError(`explore fuzz: --seeds ${seeds}: a replay runs one seed (--seeds 1)`);
  const seed = f.has('--first-seed') ? count('--first-seed', f.get('--first-seed')!) : DEFAULT_SEED;
  return { kind: 'fuzz', seed, bug: bugOf(f.get('--bug')), explain: f.has('--explain') };
}

/** The flags of a line, by name (a flag without a value maps to ''), each at most once and each one `allowed`. */
function flagsOf(words: readonly string[], allowed: Readonly<Record<string, boolean>>, what: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) throw new ReplayLineError(`${what}: unexpected '${word}'`);
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    const takes = allowed[name];
    if (takes === undefined) {
      throw new ReplayLineError(NOT_REPLAY.has(name) || Object.hasOwn(SWEEP_FLAGS, name) || Object.hasOwn(FUZZ_FLAGS, name)
        ? `${what}: ${name} does not belong in the replay of one run`
        : `${what}: unknown flag ${name}`);
    }
    if (flags.has(name)) throw new ReplayLineError(`${what}: ${name} given twice`);
    let value = '';
    if (eq >= 0) {
      if (!takes) throw new ReplayLineError(`${what}: ${name} takes no value`);
      value = word.slice(eq + 1);
    } else if (takes) {
      const next = words[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ReplayLineError(`${what}: ${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, value);
  }
  return flags;
}

/** A whole number of the line (a seed, an offset, a count). */
function count(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new ReplayLineError(`${flag}: expected a whole number, got '${text}'`);
  return n;
}

function bugOf(name: string | undefined): BugName | null {
  if (name === undefined) return null;
  if (!isBugName(name)) throw new ReplayLineError(`--bug: no planted bug '${name}'; there are: ${BUG_NAMES.join(', ')}`);
  return name;
}

function scenarioNames(): string {
  return SCENARIOS.map((s) => s.name).join(', ');
}
