// The boot scenario with hostile stacks (BootOptions.hostile, `reloaded run --hostile`): for
// every attack of the catalogue (guest/hostile/attacks.ts), a small run in each card mode with
// client 1 hostile shows that no invariant breaks, the report has no problem and names the
// attack, and every honest client is still served in the second half of the run, long after
// the attack began. Where a test-only switch removes the attack's defence (net.ts
// UnsafeOptions), the same run with it removed shows the report, or the kernel's figures, see
// the attack: steal-messages, raise-limit and cheap-opens. (flood-transmit's switch,
// transmitInListOrder, starves only neighbours that flood too, which the honest servers do not;
// with skipHeaderCopy the rewrites in this run land before the driver's check, where it refuses
// them, or after the card read the frame: neither shows. spin's defence, preemption, has a
// switch too, `noPreemptionPoints`, but a domain that never reaches a preemption point never lets the host's loop return: the run would hang,
// as threat-model §6 says of plain loops.)

import { describe, expect, it } from 'vitest';
import { BootRun, type BootOptions } from '../../emulator/cli/scenario/boot.js';
import { progressOf, type BootReport } from '../../emulator/cli/scenario/boot-report.js';
import { CLIENT_BANK_FRAMES, type UnsafeOptions } from '../../emulator/cli/scenario/net.js';
import { formatBootReport } from '../../emulator/cli/scenario/text.js';
import { ATTACK_NAMES, ATTACKS, type AttackName } from '../../guest/hostile/attacks.js';

const CLIENTS = 3;
const HOSTILE = 1;
/** Long enough for the sessions to open, the peer's traffic to start and run for a while; classic mode's traffic is five times sparser. */
const MILLIS = { busmaster: 20, classic: 40 } as const;

interface Outcome {
  report: BootReport;
  run: BootRun;
  /** Per client, the peer's answers in the second half of the run. */
  late: number[];
}

function run(attack: AttackName, mode: BootOptions['mode'], extra: Partial<BootOptions> = {}): Outcome {
  const r = new BootRun({ seed: 1, millis: MILLIS[mode], strategy: 'flip', mode, clients: CLIENTS, revokes: 'none', hostile: [{ client: HOSTILE, attack }], ...extra });
  let half: number[] | undefined;
  while (!r.done) {
    r.machine.runUntil(r.target());
    r.afterStride();
    if (!half && r.machine.now >= r.end / 2) half = r.world.exercisers.map(progressOf);
  }
  const report = r.finish();
  return { report, run: r, late: r.world.exercisers.map((e, i) => progressOf(e) - half![i]!) };
}

const honest = (o: Outcome) => o.report.sessions.filter((s) => s.client !== HOSTILE);

describe('hostile stacks in the boot scenario', () => {
  for (const mode of ['busmaster', 'classic'] as const) {
    for (const attack of ATTACK_NAMES) {
      it(`${attack} (${mode}): the invariants hold, the honest clients are served, the report names the attack`, () => {
        const o = run(attack, mode);
        const { report } = o;
        expect(report.problems).toEqual([]);
        expect(report.invariants.violations).toBe(0);
        expect(report.driver.alive).toBe(true);
        expect(report.sessions[HOSTILE - 1]!.status).toBe('hostile');
        expect(report.hostile).toEqual([{ client: HOSTILE, attack, summary: ATTACKS[attack].summary, threat: ATTACKS[attack].threat, defence: ATTACKS[attack].defence }]);
        expect(formatBootReport(report)).toContain(`client ${HOSTILE} runs the attack ${attack}`);
        for (const s of honest(o)) {
          expect(s.status).toBe('open');
          expect(o.late[s.client - 1], `client ${s.client}'s answers in the run's second half`).toBeGreaterThan(0);
        }
        // The attacker holds no more than its own bank's limit, whatever it asked for.
        expect(o.run.world.net.clients[HOSTILE - 1]!.bank.usage).toBeLessThanOrEqual(CLIENT_BANK_FRAMES);
      });
    }
  }

  it('the attacks leave traces in what the driver counts: rejected ring entries, the flood and the rewritten headers sent as checked', () => {
    expect(run('scribble-rings', 'busmaster').report.sessions[HOSTILE - 1]!.rejected).toBeGreaterThan(100);
    expect(run('flood-transmit', 'busmaster').report.sessions[HOSTILE - 1]!.transmitted).toBeGreaterThan(100);
    expect(run('rewrite-headers', 'busmaster').report.sessions[HOSTILE - 1]!.transmitted).toBeGreaterThan(50);
    expect(run('raise-limit', 'busmaster').run.world.net.clients[HOSTILE - 1]!.bank.usage).toBe(CLIENT_BANK_FRAMES);
  });

  it('the same hostile run twice gives the same trace', () => {
    expect(run('scribble-rings', 'busmaster').report.trace.hash).toBe(run('scribble-rings', 'busmaster').report.trace.hash);
  });
});

describe('with the defence switched off, the run sees the attack', () => {
  const off = (net: UnsafeOptions, extra: Partial<BootOptions> = {}) => ({ unsafe: { net }, ...extra });
  /** A client joining after the attacker had time to do its worst. */
  const lateClient = { joins: [{ client: CLIENTS, cycle: 1_000_000 }] };
  const pinLimited = (o: Outcome) => honest(o).reduce((a, s) => a + (s.why['pin-limit'] ?? 0), 0);

  it("steal-messages with the driver's endpoint receivable: the checks see the driver's messages go missing", () => {
    const { report } = run('steal-messages', 'busmaster', off({ stacksReceiveOnDriverEndpoint: true }));
    expect(report.invariants.violations).toBeGreaterThan(0);
    expect(report.problems.length).toBeGreaterThan(0);
  });

  it('raise-limit with the limits right: the attacker holds more than its limit and the neighbours\' transmits fail for want of pins', () => {
    expect(pinLimited(run('raise-limit', 'busmaster', lateClient))).toBe(0);
    const o = run('raise-limit', 'busmaster', off({ clientsChangeLimits: true }, lateClient));
    expect(o.run.world.net.clients[HOSTILE - 1]!.bank.usage).toBeGreaterThan(CLIENT_BANK_FRAMES);
    expect(pinLimited(o)).toBeGreaterThan(0);
  });

  it('cheap-opens with failed setups abandoned: an honest client gets no session', () => {
    const defended = run('cheap-opens', 'busmaster', lateClient);
    expect(defended.report.problems).toEqual([]);
    expect(defended.report.sessions.map((s) => s.status)).toEqual(['hostile', 'open', 'open']);
    const o = run('cheap-opens', 'busmaster', off({ driverAbandonsFailedSetups: true }, lateClient));
    expect(o.report.problems.join('\n')).toMatch(/client \d: session setup-failed/);
  });
});
