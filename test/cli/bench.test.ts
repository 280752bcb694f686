// `reloaded bench` as a user runs it (the built bundle under node): bad flags and unknown
// sections exit 2 with a clear message, and --json prints one JSON document on stdout and
// nothing else, with the emulated figures of the section asked for. No host-time assertions.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');

const bench = (...args: string[]) => spawnSync('node', [BIN, 'bench', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });

// dist/ is built once for the whole run (test/support/build.ts).

describe('reloaded bench', () => {
  it('refuses bad flags and unknown sections with exit code 2 and says what is known', () => {
    const flag = bench('--bogus');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
    expect(flag.stdout).toBe('');
    const section = bench('--quick', 'netdriver', 'nosuch');
    expect(section.status).toBe(2);
    expect(section.stderr).toMatch(/no bench section nosuch; there are: machine, devices, x86, kernel, netdriver, strategies, .*topologies, cardmodes, boot, simulation/);
    expect(section.stdout).toBe('');
    const out = bench('--out');
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/option '--out <dir>' argument missing/);
  });

  it('--json --quick SECTION: one JSON document on stdout, results.json and the chart in --out', () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-'));
    const r = bench('--json', '--quick', '--out', out, 'strategies');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout); // the whole of stdout
    expect(doc.schema).toBe('reloaded-bench/1');
    expect(doc.quick).toBe(true);
    expect(Object.keys(doc.sections)).toEqual(['netdriver']);
    expect(doc.sections.netdriver.figures.every((f: { kind: string; runs: number }) => f.kind === 'emulated' && f.runs === 1)).toBe(true);
    expect(doc.comparison.copyFlipCrossoverBytes).toBeGreaterThan(256);
    expect(doc.comparison.copyFlipCrossoverBytes).toBeLessThan(1024);
    expect(doc.comparison.factoredOverMonolithic.value).toBeNull();
    expect(doc.comparison.factoredOverMonolithic.reason).toMatch(/topologies section was not run/);
    expect(doc.machine.emulated.cpuHz).toBe(133_000_000);
    expect(doc.machine.host.cores).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(doc);
    expect(existsSync(join(out, 'receive-strategies.svg'))).toBe(true);
    // Progress went to stderr.
    expect(r.stderr).toMatch(/bench: netdriver/);
  });
});
