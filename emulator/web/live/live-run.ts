// A boot run the page watches: the run `reloaded run` makes (scenario/boot.ts BootRun, the
// same code), stepped a few thousand cycles at a time with the recorder and the packet log
// listening, and the page's revocations scheduled into it as they come. Each revocation is
// kept in the run's config, so `command` is always the `reloaded run` line that makes this
// very run in node, trace hash and all.

import { BootRun, cyclesOf, type BootOptions, type BootReport } from '../../cli/scenario/boot.js';
import { DEFAULT_MACHINE_CONFIG } from '../../machine/config.js';
import type { RunConfig, Snapshot } from '../protocol.js';
import { WorldWatch } from './world-watch.js';
import type { AttackName } from '../../../guest/hostile/attacks.js';

/** The `reloaded run` line for a config. */
export function commandLine(c: RunConfig): string {
  const revokes = c.revokes === undefined ? [] : c.revokes.length === 0 ? ['--revoke none'] : c.revokes.map((r) => `--revoke ${r.client}@${r.cycle}`);
  const hostile = (c.hostile ?? []).map((h) => `--hostile ${h.client}:${h.attack}`);
  const joins = (c.joins ?? []).map((j) => `--join ${j.client}@${j.cycle}`);
  return ['npx reloaded run', `--seed ${c.seed}`, `--millis ${c.millis}`, `--strategy ${c.strategy}`, `--mode ${c.mode}`, `--clients ${c.clients}`, `--link ${c.link}`, ...revokes, ...hostile, ...joins].join(' ');
}

/** Spares as joins at the run's last cycle (the last `spare` clients, unless they already have a join). */
function withSpares(c: RunConfig): RunConfig {
  const spare = c.spare ?? 0;
  if (!(Number.isInteger(spare) && spare >= 0 && spare < c.clients)) throw new Error(`spare: expected an integer from 0 to ${c.clients - 1} (fewer than the clients), got ${spare}`);
  const end = cyclesOf(c.millis, DEFAULT_MACHINE_CONFIG.cpuHz);
  const joins = [...(c.joins ?? [])];
  for (let k = c.clients - spare + 1; k <= c.clients; k++) if (!joins.some((j) => j.client === k)) joins.push({ client: k, cycle: end });
  const { spare: _, ...rest } = c;
  return { ...rest, joins: byCycle(joins) };
}

const byCycle = <T extends { client: number; cycle: number }>(xs: T[]) => xs.sort((a, b) => a.cycle - b.cycle || a.client - b.client);

export function bootOptions(c: RunConfig): BootOptions {
  const revokes = c.revokes === undefined ? undefined : c.revokes.length === 0 ? 'none' : c.revokes;
  // An attack's name is the boot scenario's to check (BootOptionError names the known ones).
  const hostile = c.hostile?.map((h) => ({ client: h.client, attack: h.attack as AttackName }));
  return { seed: c.seed, millis: c.millis, strategy: c.strategy, mode: c.mode, clients: c.clients, link: c.link, revokes, hostile, joins: c.joins };
}

export class LiveRun {
  readonly run: BootRun;
  private readonly watch: WorldWatch;
  private report: BootReport | undefined;
  /** The run's config with its revocations spelled out (the default one resolved to its cycle). */
  readonly config: RunConfig & { revokes: { client: number; cycle: number }[] };

  /** `test`: tests only (the worker never passes it): hostile applications, the scenario's test-only switches. */
  constructor(asked: RunConfig, test: Pick<BootOptions, 'apps' | 'unsafe'> = {}) {
    const config = withSpares(asked);
    const o = bootOptions(config);
    this.run = new BootRun({ ...o, ...test });
    // The revocations spelled out: the default one (client 1 mid-run), still to come at cycle 0, from the run's own list.
    this.config = { ...config, revokes: config.revokes ? config.revokes.map((r) => ({ ...r })) : [...this.run.pendingRevocations], joins: [...(config.joins ?? [])], hostile: [...(config.hostile ?? [])] };
    this.watch = new WorldWatch(this.run.world.net, () => this.run.sessionsSeen);
  }

  get now(): number {
    return this.run.machine.now;
  }

  get done(): boolean {
    return this.report !== undefined;
  }

  /** Run `cycles` more cycles (or to the end), as runBootScenario runs them (BootRun.advance); the report once the end is reached. */
  advance(cycles: number): void {
    if (this.report) return;
    this.run.advance(cycles);
    this.watch.tick();
    if (this.run.done) this.report = this.run.finish();
  }

  /** Client `client` destroys its bank now or at `cycle`: into the run and into its config. */
  revoke(client: number, cycle = this.now): void {
    this.run.schedule({ client, cycle });
    this.config.revokes = byCycle([...this.config.revokes.filter((r) => r.client !== client), { client, cycle }]);
  }

  /**
   * The first client waiting to join starts now (the page's "add a client" on the running
   * machine): the run is from here on the run with that join at this cycle, and its config
   * says so. A stride ends here, as it would at a join planned for this cycle.
   */
  join(): number {
    const client = this.run.waitingToJoin[0];
    if (client === undefined) throw new Error('join: no client is waiting to join (declare spare clients when starting the run)');
    const at = this.now;
    if (!this.run.joinNow(client)) throw new Error(`join: client ${client} could not join`);
    this.config.joins = byCycle([...(this.config.joins ?? []).filter((j) => j.client !== client), { client, cycle: at }]);
    return client;
  }

  inspect(frame: number) {
    return this.watch.inspect(frame);
  }

  snapshot(running: boolean): Snapshot {
    return {
      kind: 'snapshot',
      replay: undefined,
      run: {
        ...this.watch.machine(), end: this.run.end, running, done: this.done,
        command: commandLine(this.config), config: structuredClone(this.config),
        violations: [...this.run.violationsSeen].map(([v, c]) => `cycle ${c}: ${v}`),
        waiting: [...this.run.waitingToJoin],
      },
      ...this.watch.views(this.config.mode, { probes: this.run.world.probes, status: (client) => this.run.statusOf(client) }),
      report: this.report,
    };
  }
}

