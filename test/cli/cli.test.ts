// The `reloaded` command as a user runs it: built with the project's own build script,
// started with node, judged by its output and exit code.

import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');

function reloaded(...args: string[]) {
  return spawnSync('node', [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
}

beforeAll(() => {
  execFileSync('node', ['emulator/cli/build.mjs'], { cwd: ROOT });
});

describe('reloaded run', () => {
  it('prints a deterministic report: same seed, same trace hash', () => {
    const a = reloaded('run', '--millis', '5', '--seed', '3', '--json');
    const b = reloaded('run', '--millis', '5', '--seed', '3', '--json');
    expect(a.status).toBe(0);
    const ra = JSON.parse(a.stdout);
    // 5 ms at 133 MHz; the CPU stops at its first preemption point past that.
    expect(ra.cycles).toBeGreaterThanOrEqual(665_000);
    expect(ra.cycles).toBeLessThan(666_000);
    expect(ra.interrupts).toBe(4);
    expect(ra.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(b.stdout).traceHash).toBe(ra.traceHash);
  });

  it('is the default command and prints a human report', () => {
    const r = reloaded('--millis', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/reloaded machine demo: seed 1, 2 ms emulated/);
    expect(r.stdout).toMatch(/trace +\d[\d,]* records, hash [0-9a-f]{16}/);
  });

  it('rejects bad flags with a clear message and exit code 1', () => {
    for (const [args, msg] of [
      [['run', '--seed', 'abc'], /--seed .* expected an integer, got 'abc'/],
      [['run', '--millis', '-3'], /expected a positive number/],
      [['run', '--frobnicate'], /unknown option '--frobnicate'/],
    ] as const) {
      const r = reloaded(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
