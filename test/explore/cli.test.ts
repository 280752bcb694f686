// `reloaded explore` as a user runs it (the built CLI, with worker threads): the listing, a
// sweep's text and JSON reports, a planted bug's violation with its replay line, the replay
// itself, merging shards' JSON files, and the exit codes: 0 clean, 1 a violation, 2 bad
// arguments.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');

function explore(...args: string[]) {
  return spawnSync('node', [BIN, 'explore', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
}

// dist/ is built once for the whole run (test/support/build.ts).

describe('reloaded explore', () => {
  it('--list names every scenario and planted bug with one line each', () => {
    const r = explore('--list');
    expect(r.status).toBe(0);
    for (const name of ['revoke-during-copy-rx', 'revoke-during-flip-rx', 'revoke-during-tx', 'revoke-vs-exchange', 'unmap-vs-stale-tlb', 'destroy-during-setup', 'hostile-header-rewrite', 'revoke-with-iommu']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S.+$`, 'm'));
    }
    expect(r.stdout).toMatch(/^  free-pinned-frame +.+\[revoke-during-flip-rx\]$/m);
  });

  it('sweeps on two workers: the JSON report equals the one-worker report, exit 0', () => {
    const two = explore('revoke-during-copy-rx', '--step', '1500', '--workers', '2', '--json');
    expect(two.stderr).toBe('');
    expect(two.status).toBe(0);
    const one = explore('revoke-during-copy-rx', '--step', '1500', '--workers', '1', '--json');
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
    const r = JSON.parse(two.stdout);
    expect(r.ok).toBe(true);
    expect(r.offsets).toBeGreaterThan(10);
  });

  it('a planted bug: exit 1, the violation with a replay line that reproduces it', () => {
    const r = explore('unmap-vs-stale-tlb', '--bug', 'skip-tlb-flush', '--step', '500');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/VIOLATION at \d+ offsets .*3 revocation: TLB entry/);
    const replay = /replay: npx reloaded explore (.+)$/m.exec(r.stdout)![1]!.split(' ');
    expect(replay).toEqual(['unmap-vs-stale-tlb', '--seed', '1', '--bug', 'skip-tlb-flush', '--at', expect.stringMatching(/^\d+$/)]);
    const again = explore(...replay, '--json');
    expect(again.status).toBe(1);
    const first = JSON.parse(again.stdout).violations[0].first;
    expect(r.stdout).toContain(`seen at cycle ${first.cycle}:`);
    expect(r.stdout).toContain(first.messages[0]);
  });

  it('merge: shards written as JSON files merge into the whole sweep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-'));
    const files = [1, 2].map((k) => {
      const r = explore('revoke-during-tx', '--step', '2500', '--shard', `${k}/2`, '--workers', '1', '--json');
      expect(r.status).toBe(0);
      const f = join(dir, `shard-${k}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const merged = spawnSync('node', [BIN, 'explore', 'merge', ...files, '--json'], { encoding: 'utf8' });
    expect(merged.status).toBe(0);
    const whole = explore('revoke-during-tx', '--step', '2500', '--workers', '1', '--json');
    expect(JSON.parse(merged.stdout)).toEqual(JSON.parse(whole.stdout));
  });

  it('bad arguments exit 2 with one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['no-such-scenario'], /no scenario 'no-such-scenario'; there are: revoke-during-copy-rx/],
      [[], /name a scenario/],
      [['revoke-during-tx', '--bug', 'nope'], /--bug: no planted bug 'nope'/],
      [['revoke-during-tx', '--step', '0'], /expected an integer from 1/],
      [['revoke-during-tx', '--shard', '3/2'], /--shard <K\/N>' argument '3\/2' is invalid. expected K\/N with 1 ≤ K ≤ N/],
      [['revoke-during-tx', '--from', '900000', '--to', '800000'], /--from 900000 is after --to 800000/],
      [['revoke-during-tx', '--at', '5', '--shard', '1/2'], /--at runs one offset/],
      [['revoke-during-tx', '--to', '999999999'], /past the scenario's end/],
      [['revoke-during-tx', '--frobnicate'], /unknown option '--frobnicate'/],
      [['merge', '/no/such/file.json'], /cannot read: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = explore(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
