// `reloaded run --hostile CLIENT:ATTACK`, `--join CLIENT@CYCLE` and `--list-attacks` (the
// built CLI, as a user runs it), and the boot scenario's late joins (BootOptions.joins): a
// late client's stack starts at its cycle, not before, opens its session and gets the peer's
// traffic; the run until the join is the same whenever the join comes; runs without joins
// keep their trace (the default `npm start` hash).

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun, CHECK_EVERY, runBootScenario, type BootOptions } from '../../emulator/cli/scenario/boot.js';
import { progressOf } from '../../emulator/cli/scenario/boot-report.js';
import { ATTACK_NAMES } from '../../guest/hostile/attacks.js';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');
/** The default run's trace hash (`npm start`), which joins and hostile stacks must not change. */
const DEFAULT_HASH = '5d22f0fc7f0c1700';
/** Where client 3 joins: 2,000,000 cycles (15 ms), a stride boundary. */
const JOIN = 100 * CHECK_EVERY;
const LATE: BootOptions = { seed: 1, millis: 40, strategy: 'flip', mode: 'busmaster', clients: 3, revokes: 'none', joins: [{ client: 3, cycle: JOIN }] };

function reloaded(...args: string[]) {
  return spawnSync('node', [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
}

// dist/ is built once for the whole run (test/support/build.ts).

describe('reloaded run --hostile, --join, --list-attacks', () => {
  it('--list-attacks names every attack of the catalogue', () => {
    const r = reloaded('run', '--list-attacks');
    expect(r.status).toBe(0);
    for (const a of ATTACK_NAMES) expect(r.stdout).toMatch(new RegExp(`^${a} `, 'm'));
  });

  it('a hostile client and a late one: the report names both, the run is ok', () => {
    const r = reloaded('run', '--millis', '20', '--clients', '3', '--revoke', 'none', '--hostile', '2:scribble-rings', '--join', '3@1000000', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.problems).toEqual([]);
    expect(j.hostile.map((h: { client: number; attack: string }) => `${h.client}:${h.attack}`)).toEqual(['2:scribble-rings']);
    expect(j.joins[0].client).toBe(3);
    expect(j.joins[0].cycle).toBeGreaterThanOrEqual(1_000_000);
    expect(j.sessions.map((s: { status: string }) => s.status)).toEqual(['open', 'hostile', 'open']);
    const text = reloaded('run', '--millis', '20', '--clients', '3', '--revoke', 'none', '--hostile', '2:scribble-rings', '--join', '3@1000000');
    expect(text.stdout).toMatch(/hostile +client 2 runs the attack scribble-rings: /);
    expect(text.stdout).toMatch(/join +client 3 joined at cycle 1,0\d\d,\d\d\d/);
  });

  it('rejects bad values with a clear message and exit code 1', () => {
    for (const [args, msg] of [
      [['--hostile', '1'], /--hostile .* expected CLIENT:ATTACK \(client from 1, an attack of --list-attacks\), got '1'/],
      [['--hostile', '0:spin'], /expected CLIENT:ATTACK with CLIENT ≥ 1, got '0:spin'/],
      [['--hostile', '1:nuke'], /^reloaded: --hostile: unknown attack 'nuke' \(the attacks: steal-messages, raise-limit, .*\)$/m],
      [['--hostile', '3:spin'], /^reloaded: --hostile: client 3 does not exist \(clients are 1 to 2\)$/m],
      [['--hostile', '1:spin', '--hostile', '1:flood-transmit'], /^reloaded: --hostile: client 1 is named twice$/m],
      [['--hostile', '1:spin', '--topology', 'monolithic'], /^reloaded: --hostile: only the factored topology/m],
      [['--join', 'soon'], /--join .* expected CLIENT@CYCLE \(client from 1, an emulated cycle\), got 'soon'/],
      [['--join', '4@10'], /^reloaded: --join: client 4 does not exist \(clients are 1 to 2\)$/m],
      [['--join', '2@10', '--join', '2@20'], /^reloaded: --join: client 2 is named twice$/m],
      [['--millis', '1', '--join', '2@999999999'], /^reloaded: --join: 2@999999999: cycle 999999999 is after the end of the run \(133000 cycles in 1 ms\)$/m],
      [['--millis', '2', '--revoke', '2@10', '--join', '2@100'], /^reloaded: --join: client 2 would be revoked at cycle 10, before it joins at 100/m],
      [['--join', '1@5000000'], /^reloaded: --join: client 1 would be revoked at cycle 3325000, before it joins/m],
      [['--join', '2@10', '--topology', 'inkernel', '--revoke', 'none'], /^reloaded: --join: only the factored topology/m],
    ] as const) {
      const r = reloaded('run', ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });
});

describe('late joins in the boot scenario', () => {
  it('client 3 starts at its cycle: no domain, no session and only its boot allocation before; then its session opens and the peer exercises it', () => {
    const run = new BootRun(LATE);
    const bank = run.world.net.clients[2]!.bank;
    const atBoot = bank.usage;
    const opened: number[] = [];
    while (!run.done) {
      if (run.machine.now < JOIN) {
        expect(run.world.net.clients[2]!.domain).toBeUndefined();
        expect(bank.usage).toBe(atBoot);
        expect(run.world.net.view.driver?.sessions.some((s) => s.badge === 3) ?? false).toBe(false);
      } else if (run.world.net.view.driver?.sessions.some((s) => s.badge === 3) && opened.length === 0) opened.push(run.machine.now);
      run.machine.runUntil(run.target());
      run.afterStride();
    }
    const r = run.finish();
    expect(r.problems).toEqual([]);
    // It joins at the first stride boundary at or after its cycle (the stride ends with the instruction that reaches it).
    const at = r.joins[0]!.cycle!;
    expect(at).toBeGreaterThanOrEqual(JOIN);
    expect(at - JOIN).toBeLessThan(CHECK_EVERY);
    expect(opened[0]).toBeGreaterThan(at);
    const late = r.sessions[2]!;
    expect(late.status).toBe('open');
    expect(late.joinedAt).toBe(at);
    expect(late.delivered).toBeGreaterThan(0);
    expect(progressOf(run.world.exercisers[2])).toBeGreaterThan(0);
    expect(r.trafficFrom).toBeLessThan(JOIN); // the others' traffic did not wait for it
  });

  it('is deterministic, and the run until the join is the same whenever the join comes', () => {
    expect(runBootScenario(LATE).trace.hash).toBe(runBootScenario(LATE).trace.hash);
    const hashAt = (cycle: number, o: BootOptions) => {
      const run = new BootRun(o);
      while (run.machine.now < cycle) {
        run.machine.runUntil(Math.min(cycle, run.target()));
        if (run.machine.now < cycle) run.afterStride();
      }
      return run.machine.trace.hash();
    };
    const later = { ...LATE, joins: [{ client: 3, cycle: 2 * JOIN }] };
    expect(hashAt(JOIN, LATE)).toBe(hashAt(JOIN, later));
  });

  it('joinNow starts a waiting client at the current stride boundary: the same run as a join planned for that cycle', () => {
    const page = new BootRun({ ...LATE, joins: [{ client: 3, cycle: 2 * JOIN }] });
    let added = false;
    while (!page.done) {
      page.machine.runUntil(page.target());
      page.afterStride();
      if (!added && page.machine.now >= JOIN) added = page.joinNow(3); // the user clicks "add a client"
    }
    expect(added).toBe(true);
    expect(page.joinNow(3)).toBe(false);
    const r = page.finish();
    const at = r.joins[0]!.cycle!;
    // The report says the join was asked for where joinNow made it, not at the plan it replaced.
    expect(r.joins[0]!.requestedCycle).toBe(at);
    expect(at).toBeLessThan(2 * JOIN);
    // `reloaded run --join 3@<that cycle>` replays the page's run exactly.
    const cli = runBootScenario({ ...LATE, joins: [{ client: 3, cycle: at }] });
    expect(r.trace.hash).toBe(cli.trace.hash);
    expect(r).toEqual(cli);
  });

  it('runs without joins or hostile stacks keep their trace: the default run', () => {
    expect(runBootScenario(BOOT_DEFAULTS).trace.hash).toBe(DEFAULT_HASH);
  });
});
