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
    const a = reloaded('run', '--millis', '5.5', '--seed', '3', '--json');
    const b = reloaded('run', '--millis', '5.5', '--seed', '3', '--json');
    expect(a.status).toBe(0);
    const ra = JSON.parse(a.stdout);
    // 5.5 ms at 133 MHz; the CPU stops at its first preemption point past that.
    expect(ra.cycles).toBeGreaterThanOrEqual(731_500);
    expect(ra.cycles).toBeLessThan(732_500);
    // The demo programs a 1 kHz timer: reload 1193 of the 14.31818 MHz / 12 clock. Boot takes
    // well under a tick, far from the boundary of a period.
    const period = (1193 * 12) / 14_318_180;
    expect(ra.interrupts).toBe(Math.floor(5.5e-3 / period));
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
      [['run', '--millis', '1e12'], /expected at most 60000/],
      [['run', '--frobnicate'], /unknown option '--frobnicate'/],
    ] as const) {
      const r = reloaded(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('a bad log level is one clear line, not a stack trace', () => {
    const r = spawnSync('node', [BIN, 'run', '--millis', '1'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'loud' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('reloaded: RELOADED_LOG=loud: expected one of fatal, error, warn, info, debug, trace, silent');
  });
});
