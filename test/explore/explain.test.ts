// `reloaded explore ... --explain` (emulator/cli/explore/explain.ts): for planted bugs, the
// explanation of the first violation's replay names what matters (the action, the card's
// beat into a frame with its owner, the domain of a CPU access, the missing INVLPG or
// quarantine), the rerun with observers sees exactly the replay's violation (observers change
// nothing), the ring stays bounded, and the command refuses --explain on a sweep (exit 2).

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BugName } from '../../emulator/cli/explore/bugs.js';
import { explainReplay, explainReport, formatExplanation, momentOf, type Explanation } from '../../emulator/cli/explore/explain.js';
import { explore, type ExploreOptions } from '../../emulator/cli/explore/explore.js';
import type { SweepReport } from '../../emulator/cli/explore/report.js';
import { scenarioNamed, SCENARIOS } from '../../emulator/cli/explore/scenarios/index.js';
import { probe, runOffset } from '../../emulator/cli/explore/sweep.js';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');

interface Case {
  readonly scenario: string;
  readonly bug: BugName;
  readonly explanation: Explanation;
  readonly report: SweepReport;
}

/** Sweep `scenario` with `bug` on a coarse grid (or only the probe) and explain the first violation's replay. */
async function explained(scenario: string, bug: BugName, grid: 'probe' | ((w: { from: number; to: number }) => ExploreOptions)): Promise<Case> {
  const sc = scenarioNamed(scenario)!;
  const c = { seed: 1, bug };
  const report = await explore(sc, c, grid === 'probe' ? { probeOnly: true } : grid(probe(sc, c).window));
  const explanation = explainReport(sc, c, report, grid === 'probe');
  expect(explanation).toBeDefined();
  return { scenario, bug, explanation: explanation!, report };
}

const tenth = (w: { from: number; to: number }): ExploreOptions => ({ step: Math.ceil((w.to - w.from) / 10) });
const texts = (x: Explanation) => x.events.map((e) => e.text);
const indexOf = (x: Explanation, pattern: RegExp) => x.events.findIndex((e) => pattern.test(e.text));

/** The explanation's violation is the replay's, and a replay without observers sees the same. */
function expectReproduced(k: Case): void {
  const x = k.explanation;
  expect(x.reproduced).toBe(true);
  const sc = scenarioNamed(k.scenario)!;
  const plain = x.offset === null ? probe(sc, { seed: 1, bug: k.bug }).violation : runOffset(sc, { seed: 1, bug: k.bug }, k.report.window, x.offset).violation;
  expect(x.violation).toEqual(plain);
  const seen = x.offset === null ? k.report.probe.violation! : k.report.violations[0]!.first;
  expect(x.violation).toEqual({ cycle: seen.cycle, messages: seen.messages });
}

describe('--explain names what a violation is about', () => {
  it('skip-tlb-flush: the revocation of the stack\'s page, no INVLPG, and the stack reading through the stale entry', async () => {
    const k = await explained('unmap-vs-stale-tlb', 'skip-tlb-flush', tenth);
    expectReproduced(k);
    const x = k.explanation;
    const action = indexOf(x, /^ACTION: client 1 revokes the page its stack reads at va 0x1000000$/);
    const revoke = indexOf(x, /^kernel revokes the 1 mapping of frame \d+ \(client 1's page; mapped rw at 0x1000000 in stack0's space\)$/);
    const check = x.events.findIndex((e) => e.kind === 'check');
    expect(action).toBeGreaterThanOrEqual(0);
    expect(revoke).toBeGreaterThan(action);
    expect(check).toBeGreaterThan(revoke);
    expect(x.events[check]!.from).toBe(x.violation!.cycle);
    // Between the revocation and the check: no INVLPG at all.
    expect(texts(x).slice(revoke, check).filter((t) => t.startsWith('INVLPG'))).toEqual([]);
    expect(texts(x).slice(check)).toContainEqual(expect.stringMatching(/^stack0 read va 0x1000000-0x1000003 \(\d+ accesses, \d+ bytes\) -> frame \d+ \+0x0-0x3 THROUGH A STALE TLB ENTRY/));
    expect(x.findings).toContainEqual(expect.stringMatching(/^no INVLPG of va 0x1000000 since the kernel cleared its PTE in stack0's space \(the loaded space\)/));
    expect(x.meanings).toEqual(['3 revocation: when the revoking operation returned, a PTE or a TLB entry still granted access to the revoked frame']);
  });

  it('wrong-buffer-dma (a probe violation): the card\'s beat into another session\'s frame, with the descriptor and the pin it was armed with', async () => {
    const k = await explained('revoke-during-flip-rx', 'wrong-buffer-dma', 'probe');
    expectReproduced(k);
    const x = k.explanation;
    expect(x.offset).toBeNull();
    expect(x.events.some((e) => e.kind === 'action')).toBe(false);
    const frame = /ne2k wrote frame (\d+)/.exec(x.violation!.messages[0]!)![1];
    // The bad beat, on a line of its own at the violation's cycle, just before the check.
    const check = x.events.findIndex((e) => e.kind === 'check');
    const beat = x.events[check - 1]!;
    expect(beat.from).toBe(x.violation!.cycle);
    expect(beat.text).toMatch(new RegExp(`^card wrote 1 beat \\(4 bytes\\) into frame ${frame} \\+0x0-0x3 \\(client 2's page; session #2's receive buffer \\d+;.*\\) for receive descriptor \\d+, armed by the driver with session #2's buffer \\d+ \\(pin token \\d+ on frame (?!${frame}\\))\\d+\\)$`));
    expect(x.meanings.map((m) => m.split(':')[0])).toEqual(['1 dma', '1 dma transfer']);
  });

  it('no-header-copy: the driver checks the headers in the stack\'s page, the stack rewrites them, the card reads them from there', async () => {
    const k = await explained('hostile-header-rewrite', 'no-header-copy', (w) => ({ from: w.from, to: w.from + 3000, step: 50 }));
    expectReproduced(k);
    const x = k.explanation;
    // The violation is found by the end-of-run check; the explanation centres on the cycle its message names (the frame on the wire).
    expect(x.moment).toBeLessThan(x.violation!.cycle);
    expect(x.moment).toBe(momentOf(x.violation!));
    const action = indexOf(x, /^ACTION: client 1's stack rewrites the Ethernet and IPv4 headers in its transmit page 0/);
    const read = indexOf(x, /^card read \d+ beats .* from frame \d+ \+0x0-\S+ \(client 1's page; session #1's transmit page 0; pinned token \d+ for the card to read;.*\) for transmit descriptor \d+ \(session #1's frame: the headers, in the stack's own page\)$/);
    expect(action).toBeGreaterThan(indexOf(x, /^netdriver read va 0x2001000-\S+ .*session #1's transmit page 0/));
    expect(read).toBeGreaterThan(action);
    expect(x.events.at(-1)!.kind).toBe('check');
    expect(x.meanings[0]).toMatch(/^5 transmit check: a frame went on the wire with headers the driver did not check/);
  });

  it('free-pinned-frame: the bank destroyed, pinned frames revoked and never quarantined, the card writing a free frame', async () => {
    const k = await explained('revoke-during-flip-rx', 'free-pinned-frame', tenth);
    expectReproduced(k);
    const x = k.explanation;
    const frame = /pinned frame (\d+) is free/.exec(x.violation!.messages[0]!)![1];
    expect(texts(x)).toContain('ACTION: client 1 destroys its bank');
    expect(texts(x)).toContainEqual(expect.stringMatching(new RegExp(`^kernel revokes the 0 mappings of frame ${frame} \\(client 1's page; pinned token \\d+ for the card to write\\)$`)));
    expect(texts(x).filter((t) => t.startsWith('kernel quarantines'))).toEqual([]);
    const check = x.events.findIndex((e) => e.kind === 'check');
    expect(texts(x).slice(check)).toContainEqual(expect.stringMatching(new RegExp(`^card wrote \\d+ beats \\(\\d+ bytes\\) into frame ${frame} \\S+ \\(free, not yet zeroed; pinned token \\d+ for the card to write\\) for receive descriptor`)));
    expect(x.findings).toContainEqual(expect.stringMatching(new RegExp(`^frame ${frame}'s mappings were revoked at cycle \\d+ while it had a live pin .* and it was never quarantined: it is free now$`)));
    expect(formatExplanation(x)).toContain(`2 pin: pinned frame ${frame} is free`);
  });

  it('keeps a bounded number of lines, whatever the run\'s length', async () => {
    const sc = scenarioNamed('revoke-during-flip-rx')!;
    const c = { seed: 1, bug: 'wrong-buffer-dma' as const };
    const seen = probe(sc, c).violation!;
    const x = explainReplay(sc, c, { offset: null }, seen, { before: 5, after: 2 });
    expect(x.reproduced).toBe(true);
    // 5 before (one of them the check), 2 after, one line saying how many earlier ones were dropped.
    expect(x.events.length).toBe(8);
    expect(x.events[0]!.kind).toBe('omitted');
    expect(x.events[5]!.kind).toBe('check');
  });

  it('keeps the action\'s line when the ring has moved past it (full-rights-endpoint: the check is at the end of the run)', async () => {
    const k = await explained('steal-driver-messages', 'full-rights-endpoint', tenth);
    expectReproduced(k);
    const x = k.explanation;
    expect(x.events.slice(0, 3).map((e) => e.kind)).toEqual(['omitted', 'action', 'omitted']);
    expect(x.events[1]!.text).toMatch(/^ACTION: /);
    expect(x.events.at(-1)!.kind).toBe('check');
  });

  it('every scenario names its action', () => {
    expect(SCENARIOS.filter((s) => !s.actionIs).map((s) => s.name)).toEqual([]);
  });

  it('the moment is the earliest cycle the messages name, else the check\'s', () => {
    expect(momentOf({ cycle: 900, messages: ['2 pin: pinned frame 3 is free'] })).toBe(900);
    expect(momentOf({ cycle: 900, messages: ['1 dma: cycle 500: ne2k wrote frame 3', '1 dma: cycle 400: ne2k wrote frame 3'] })).toBe(400);
  });
});

describe('reloaded explore --explain (the built CLI)', () => {
  function run(...args: string[]) {
    return spawnSync('node', [BIN, 'explore', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
  }

  // dist/ is built once for the whole run (test/support/build.ts).

  it('--at N --explain: the report, then the named events and what the violation means; exit 1', () => {
    const sweep = run('unmap-vs-stale-tlb', '--bug', 'skip-tlb-flush', '--step', '1000', '--json');
    const first = JSON.parse(sweep.stdout).violations[0].first;
    const r = run('unmap-vs-stale-tlb', '--bug', 'skip-tlb-flush', '--at', String(first.offset), '--explain');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`replay: npx reloaded explore unmap-vs-stale-tlb --seed 1 --bug skip-tlb-flush --at ${first.offset}`);
    expect(r.stdout).toMatch(new RegExp(`^explanation of offset ${first.offset}: `, 'm'));
    expect(r.stdout).toMatch(/^ +\d+  ACTION: client 1 revokes the page its stack reads at va 0x1000000$/m);
    expect(r.stdout).toMatch(new RegExp(`^ +${first.cycle}  CHECK FAILED: 1 violation \\(below\\)$`, 'm'));
    expect(r.stdout).toContain(`  violation at cycle ${first.cycle}:\n    ${first.messages[0]}`);
    expect(r.stdout).toMatch(/what this means:\n {4}3 revocation: /);
    expect(r.stdout).not.toContain('NOT REPRODUCED');
  });

  it('--probe --explain --json: the explanation in the report, its violation the probe\'s', () => {
    const r = run('revoke-during-flip-rx', '--bug', 'wrong-buffer-dma', '--probe', '--explain', '--json');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    const x = report.explanation;
    expect(x.reproduced).toBe(true);
    expect(x.violation).toEqual({ cycle: report.probe.violation.cycle, messages: report.probe.violation.messages });
    expect(x.events.length).toBeGreaterThan(10);
    expect(x.events.at(-1)).toEqual({ from: expect.any(Number), to: expect.any(Number), kind: expect.any(String), text: expect.any(String) });
    expect(x.events.some((e: { kind: string; text: string }) => e.kind === 'dma' && e.text.includes('into frame'))).toBe(true);
  });

  it('--explain on a sweep of many offsets: refused, exit 2', () => {
    const r = run('unmap-vs-stale-tlb', '--bug', 'skip-tlb-flush', '--step', '500', '--explain');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--explain explains one run, not a sweep: give it --at OFFSET');
  });

  it('--explain of a replay without a violation says so; exit 0', () => {
    const r = run('unmap-vs-stale-tlb', '--at', '29021', '--explain');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('explanation: the replay saw no violation to explain');
  });
});
