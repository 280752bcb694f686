// Replay lines read back (emulator/cli/explore/replay-line.ts): every line the explorer
// prints (report.ts replayCommand for each scenario, without a bug and with each bug its sweep
// must catch; fuzz-report.ts fuzzReplay) parses to the run it names, written the ways a person
// may paste it, and anything else is refused with a message naming what is wrong.

import { describe, expect, it } from 'vitest';
import { BUG_NAMES, BUGS, type BugName } from '../../emulator/cli/explore/bugs.js';
import { fuzzReplay } from '../../emulator/cli/explore/fuzz-report.js';
import { parseReplayLine, ReplayLineError } from '../../emulator/cli/explore/replay-line.js';
import { replayCommand } from '../../emulator/cli/explore/report.js';
import { SCENARIOS } from '../../emulator/cli/explore/scenarios/index.js';

const OFFSET = 123_456;
const SEED = 7;

function refused(line: string): string {
  try {
    parseReplayLine(line);
  } catch (e) {
    expect(e).toBeInstanceOf(ReplayLineError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${line}`);
}

describe('replay lines parse back to their run', () => {
  for (const sc of SCENARIOS) {
    const bugs: (BugName | null)[] = [null, ...BUG_NAMES.filter((b) => BUGS[b].caughtBy === sc.name)];
    it(`${sc.name}: --at and --probe, ${bugs.map((b) => b ?? 'no bug').join(', ')}`, () => {
      for (const bug of bugs) {
        const p = { scenario: sc.name, seed: SEED, bug };
        expect(parseReplayLine(replayCommand(p, OFFSET))).toEqual({ kind: 'offset', ...p, offset: OFFSET, explain: false });
        expect(parseReplayLine(replayCommand(p, null))).toEqual({ kind: 'probe', ...p, explain: false });
      }
    });
  }

  it('fuzz, with and without a bug', () => {
    expect(parseReplayLine(fuzzReplay(42, null))).toEqual({ kind: 'fuzz', seed: 42, bug: null, explain: false });
    expect(parseReplayLine(fuzzReplay(42, 'no-zero-on-free'))).toEqual({ kind: 'fuzz', seed: 42, bug: 'no-zero-on-free', explain: false });
  });

  it('without npx, with --flag=value, extra spaces, --explain, the report\'s label; the seed defaults as the command\'s does', () => {
    const want = { kind: 'offset', scenario: 'revoke-during-copy-rx', seed: 3, bug: 'no-zero-on-free', offset: 900, explain: true };
    expect(parseReplayLine('  reloaded   explore revoke-during-copy-rx --seed=3  --bug no-zero-on-free --at=900 --explain ')).toEqual(want);
    expect(parseReplayLine('replay: npx reloaded explore revoke-during-copy-rx --at 900 --bug=no-zero-on-free --seed 3 --explain')).toEqual(want);
    expect(parseReplayLine('npx reloaded explore unmap-vs-stale-tlb --probe')).toEqual({ kind: 'probe', scenario: 'unmap-vs-stale-tlb', seed: 1, bug: null, explain: false });
    expect(parseReplayLine('reloaded explore fuzz --seeds=1 --first-seed=9 --explain')).toEqual({ kind: 'fuzz', seed: 9, bug: null, explain: true });
  });
});

describe('anything else is refused, saying why', () => {
  it('not an explore line', () => {
    expect(refused('npx reloaded run --seed 1')).toMatch(/^not a replay line of reloaded explore/);
    expect(refused('')).toMatch(/^not a replay line/);
    expect(refused('npx reloaded explore')).toMatch(/^no scenario: .*revoke-during-copy-rx/);
  });

  it('an unknown scenario, listing the known ones', () => {
    const m = refused('npx reloaded explore revoke-during-lunch --seed 1 --at 5');
    expect(m).toMatch(/^no scenario 'revoke-during-lunch'; there are: /);
    for (const sc of SCENARIOS) expect(m).toContain(sc.name);
  });

  it('an unknown bug, listing BUG_NAMES', () => {
    const m = refused('npx reloaded explore revoke-during-copy-rx --seed 1 --bug no-such-bug --at 5');
    expect(m).toBe(`--bug: no planted bug 'no-such-bug'; there are: ${BUG_NAMES.join(', ')}`);
    expect(refused('npx reloaded explore fuzz --first-seed 1 --seeds 1 --bug nope')).toMatch(/^--bug: no planted bug 'nope'/);
  });

  it('no --at or --probe, or both', () => {
    expect(refused('npx reloaded explore revoke-during-copy-rx --seed 1')).toMatch(/no --at OFFSET or --probe/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 5 --probe')).toMatch(/--at and --probe/);
  });

  it('a bad number, an offset past the scenario\'s end', () => {
    expect(refused('npx reloaded explore revoke-during-copy-rx --seed x --at 5')).toBe('--seed: expected a whole number, got \'x\'');
    expect(refused('npx reloaded explore revoke-during-copy-rx --at -5')).toBe('--at: expected a whole number, got \'-5\'');
    expect(refused('npx reloaded explore revoke-during-copy-rx --seed')).toMatch(/--seed needs a value/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --at=1e6')).toBe('--at: expected a whole number, got \'1e6\'');
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 99999999999999999999')).toMatch(/^--at: expected a whole number/);
    const end = SCENARIOS.find((s) => s.name === 'revoke-during-copy-rx')!.end;
    expect(refused(`npx reloaded explore revoke-during-copy-rx --at ${end}`)).toMatch(/past the scenario's end/);
  });

  it('extra or unknown flags, and words', () => {
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 5 --colour')).toBe('explore revoke-during-copy-rx: unknown flag --colour');
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 5 --workers 4')).toMatch(/--workers does not belong in the replay of one run/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --from 5 --at 5')).toMatch(/--from does not belong/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 5 --at 6')).toMatch(/--at given twice/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --at 5 extra')).toMatch(/unexpected 'extra'/);
    expect(refused('npx reloaded explore revoke-during-copy-rx --probe=yes')).toMatch(/--probe takes no value/);
    expect(refused('npx reloaded explore fuzz --first-seed 1 --seeds 1 --at 5')).toMatch(/^explore fuzz: --at does not belong/);
  });

  it('fuzz with --seeds other than 1', () => {
    expect(refused('npx reloaded explore fuzz --first-seed 1 --seeds 100')).toMatch(/--seeds 100: a replay runs one seed/);
    expect(refused('npx reloaded explore fuzz --first-seed 1')).toMatch(/no --seeds 1/);
  });
});
