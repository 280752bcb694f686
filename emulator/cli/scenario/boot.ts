// The boot scenario, what `reloaded run` (and `npm start`, and the page) runs: the machine
// boots the kernel; the driver domain takes the card; N clients (10.0.0.2, 10.0.0.3, ...)
// each open a session from their own bank and run their own TCP/IP stack with echo, discard
// and HTTP servers; the peer host at 10.0.0.1 exercises every one of them (stacks.ts); at
// the chosen cycles chosen clients destroy their banks; the kernel invariants are checked
// after every stride of the run. The report (boot-report.ts) says what every session and
// stack did, what each revocation did, whether the driver and the other clients carried on,
// and the trace hash. A pure function of its options: no wall clock, nothing node-only.

import type { FaultRates } from '../../../devices/wire/faults.js';
import { MBIT_10, MBIT_100, type Wire } from '../../../devices/wire/wire.js';
import type { Machine } from '../../machine/machine.js';
import type { KernelConfig } from '../../../guest/kernel/kernel.js';
import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';
import type { Session } from '../../../guest/netdriver/session.js';
import { violations } from './checks.js';
import { IncrementalChecks } from './incremental.js';
import { progressOf, report, statusOf, type BootReport, type RevocationRecord } from './boot-report.js';
import type { UnsafeOptions } from './net.js';
import { ATTACK_NAMES, isAttackName, type AttackName } from '../../../guest/hostile/attacks.js';
import { composeStackNet, TOPOLOGIES, type StackNet, type StackNetOptions, type Topology } from './stacks.js';
import { LINK_SPEEDS, MAX_CLIENTS, MAX_MILLIS, MODES, STRATEGIES } from './defaults.js';

export type { BootReport, RevocationReport, SessionReport } from './boot-report.js';
export { BOOT_DEFAULTS, LINK_SPEEDS, MAX_MILLIS, MODES, STRATEGIES } from './defaults.js';
export const FAULT_NAMES = ['loss', 'duplicate', 'reorder', 'corrupt'] as const;

/** Cycles between two invariant checks. */
export const CHECK_EVERY = 20_000;

/** Client `client` (1 = 10.0.0.2) destroys its bank at emulated cycle `cycle`. */
export interface Revoke {
  client: number;
  cycle: number;
}

/** Client `client` (1-based) runs the attack `attack` (guest/hostile/attacks.ts) instead of the honest stack. */
export interface Hostile {
  client: number;
  attack: AttackName;
}

/** Client `client` (1-based) is there from boot (its bank and space) but its stack domain starts at cycle `cycle`. */
export interface Join {
  client: number;
  cycle: number;
}

export interface BootOptions {
  seed: number;
  /** Emulated milliseconds. */
  millis: number;
  strategy: Strategy;
  mode: CardMode;
  /** Client stacks, 1..16. */
  clients: number;
  /** How the network subsystem is laid out (stacks.ts; default factored). */
  topology?: Topology;
  /** Who revokes when: a list, 'none', or undefined for revokeAt's rule. */
  revokes?: readonly Revoke[] | 'none';
  /** Client 1's revocation alone (used when revokes is undefined): a cycle, 'none', or undefined for the middle of the run. */
  revokeAt?: number | 'none';
  /** Link speed in Mbit/s (10 or 100; default 100). */
  link?: number;
  /** Faults the wire injects, each a probability in [0, 1]. */
  faults?: FaultRates;
  /** Attach more listeners to the wire (the CLI's pcap writer, an external bridge). */
  onWire?: (wire: Wire, machine: Machine) => void;
  /** No built-in peer: the wire is connected elsewhere (the CLI's --wire udp:...). */
  noPeer?: boolean;
  /** The peer's traffic to each client (tests and benchmarks: the CLI never sets it); fields left out keep the exerciser's defaults. */
  traffic?: StackNetOptions['traffic'];
  /** Cycles between invariant checks (default CHECK_EVERY). */
  checkEvery?: number;
  /**
   * Benchmarks only (the CLI never sets it): false skips the invariant checks after each
   * stride, so `reloaded bench` can measure what they cost. The checks at a revocation and
   * the last, full check at the end still run.
   */
  strideChecks?: boolean;
  /** The kernel's boot configuration (benchmarks and tests only: the CLI never sets it). */
  kernel?: KernelConfig;
  /** Test-only: defences switched off, so a red-team test can show it sees what they stop. */
  unsafe?: {
    /** The report reads a stack's counters the ordinary way (a spread), running any getter its domain left in them. */
    readDomainDataDirectly?: boolean;
    /** The composition's defences (net.ts UnsafeOptions), e.g. to show that a hostile stack's attack is seen without them. */
    net?: UnsafeOptions;
  };
  /** The applications each client runs (tests: a hostile application); default echo, discard and HTTP. */
  apps?: StackNetOptions['apps'];
  /** Clients whose stack domain is an attacker (factored topology only). */
  hostile?: readonly Hostile[];
  /** Clients that join late: their stack domain starts at a stride boundary at the cycle given (factored topology only). */
  joins?: readonly Join[];
}

/** A problem with the options, reported before anything runs. */
export class BootOptionError extends Error {
  override name = 'BootOptionError';
}

export function cyclesOf(millis: number, cpuHz: number): number {
  return Math.round((millis * cpuHz) / 1000);
}

function checkOptions(o: BootOptions): void {
  if (!(Number.isSafeInteger(o.seed) && o.seed >= 0)) throw new BootOptionError(`seed: expected an integer ≥ 0, got ${o.seed}`);
  if (!(o.millis > 0 && o.millis <= MAX_MILLIS)) throw new BootOptionError(`millis: expected a number in (0, ${MAX_MILLIS}], got ${o.millis}`);
  if (!STRATEGIES.includes(o.strategy)) throw new BootOptionError(`strategy: expected one of ${STRATEGIES.join(', ')}, got ${o.strategy}`);
  if (o.topology !== undefined && !TOPOLOGIES.includes(o.topology)) throw new BootOptionError(`topology: expected one of ${TOPOLOGIES.join(', ')}, got ${o.topology}`);
  if (!MODES.includes(o.mode)) throw new BootOptionError(`mode: expected one of ${MODES.join(', ')}, got ${o.mode}`);
  if (!(Number.isInteger(o.clients) && o.clients >= 1 && o.clients <= MAX_CLIENTS)) throw new BootOptionError(`clients: expected an integer from 1 to ${MAX_CLIENTS}, got ${o.clients}`);
  if (typeof o.revokeAt === 'number' && !(Number.isSafeInteger(o.revokeAt) && o.revokeAt >= 0)) throw new BootOptionError(`revoke-at: expected a cycle ≥ 0, got ${o.revokeAt}`);
  if (o.link !== undefined && !LINK_SPEEDS.includes(o.link)) throw new BootOptionError(`link: expected one of ${LINK_SPEEDS.join(', ')} (Mbit/s), got ${o.link}`);
  for (const [k, v] of Object.entries(o.faults ?? {})) {
    if (!(FAULT_NAMES as readonly string[]).includes(k)) throw new BootOptionError(`faults: unknown fault '${k}'`);
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw new BootOptionError(`${k}: expected a rate from 0 to 1, got ${v}`);
  }
  checkClients(o, 'hostile', o.hostile ?? []);
  checkClients(o, 'join', o.joins ?? []);
  for (const h of o.hostile ?? []) {
    if (!isAttackName(h.attack)) throw new BootOptionError(`hostile: unknown attack '${h.attack}' (the attacks: ${ATTACK_NAMES.join(', ')})`);
  }
  for (const j of o.joins ?? []) {
    if (!(Number.isSafeInteger(j.cycle) && j.cycle >= 0)) throw new BootOptionError(`join: expected a cycle ≥ 0, got ${j.cycle}`);
  }
  if (Array.isArray(o.revokes)) {
    const seen = new Set<number>();
    for (const r of o.revokes) {
      if (!(Number.isInteger(r.client) && r.client >= 1 && r.client <= o.clients)) throw new BootOptionError(`revoke: client ${r.client} does not exist (clients are 1 to ${o.clients})`);
      if (!(Number.isSafeInteger(r.cycle) && r.cycle >= 0)) throw new BootOptionError(`revoke: expected a cycle ≥ 0, got ${r.cycle}`);
      if (seen.has(r.client)) throw new BootOptionError(`revoke: client ${r.client} is revoked twice (a bank is destroyed once)`);
      seen.add(r.client);
    }
  }
}

/** Hostile stacks and late joins: real clients, each named once, and only where every client has a stack domain of its own. */
function checkClients(o: BootOptions, flag: string, list: readonly { client: number }[]): void {
  if (list.length > 0 && (o.topology ?? 'factored') !== 'factored') throw new BootOptionError(`${flag}: only the factored topology gives each client a stack domain of its own (got --topology ${o.topology})`);
  const seen = new Set<number>();
  for (const { client } of list) {
    if (!(Number.isInteger(client) && client >= 1 && client <= o.clients)) throw new BootOptionError(`${flag}: client ${client} does not exist (clients are 1 to ${o.clients})`);
    if (seen.has(client)) throw new BootOptionError(`${flag}: client ${client} is named twice`);
    seen.add(client);
  }
}

/** The late joins of a run ending at cycle `end`, in the order they happen; a revocation before its client joined is refused. */
function joinsOf(o: BootOptions, end: number, revocations: readonly Revoke[]): Join[] {
  const list = (o.joins ?? []).map((j) => ({ ...j }));
  for (const j of list) {
    if (j.cycle > end) throw new BootOptionError(`join: ${j.client}@${j.cycle}: cycle ${j.cycle} is after the end of the run (${end} cycles in ${o.millis} ms)`);
    const r = revocations.find((rv) => rv.client === j.client);
    if (r && r.cycle < j.cycle) throw new BootOptionError(`join: client ${j.client} would be revoked at cycle ${r.cycle}, before it joins at ${j.cycle} (revoke it later, or give --revoke none)`);
  }
  return list.sort((a, b) => a.cycle - b.cycle || a.client - b.client);
}

/** The revocations of a run ending at cycle `end`, in the order they happen. */
function revocationsOf(o: BootOptions, end: number): Revoke[] {
  if (o.topology === 'inkernel') {
    // No client has a bank of its own there: the network's state is all in the one domain with the device privilege.
    const asked = Array.isArray(o.revokes) ? o.revokes.length > 0 : o.revokes === undefined && typeof o.revokeAt === 'number';
    if (asked) throw new BootOptionError('revoke: the inkernel topology has no client banks to destroy (every stack lives in the kernel\'s protection domain); use --revoke none');
    return [];
  }
  const list: Revoke[] = o.revokes === 'none' ? [] : o.revokes
    ? o.revokes.map((r) => ({ ...r }))
    : o.revokeAt === 'none' ? [] : [{ client: 1, cycle: o.revokeAt ?? Math.floor(end / 2) }];
  for (const r of list) {
    const flag = o.revokes ? `revoke: ${r.client}@${r.cycle}:` : 'revoke-at:';
    if (r.cycle > end) throw new BootOptionError(`${flag} cycle ${r.cycle} is after the end of the run (${end} cycles in ${o.millis} ms)`);
  }
  return list.sort((a, b) => a.cycle - b.cycle || a.client - b.client);
}

/**
 * The peer's traffic for the machine at hand. Its pings and UDP datagrams (about 2 KB per
 * client per interval) scale with the link, so a 10 Mbit/s wire is not overrun by them alone.
 * In classic mode every byte crosses the data port, each access a system call: about 100,000
 * cycles a full frame (progress.ts DRIVER_FRAME_CYCLES), some 1,300 frames a second. The
 * peer then sends no discard stream and smaller TCP echo and HTTP transfers, at a fifth of the
 * rate, or the driver (above the stacks in priority) would take the whole CPU receiving and
 * leave the stacks none to answer with: receive livelock, which a heavier load shows.
 */
function trafficFor(o: BootOptions): NonNullable<StackNetOptions['traffic']> {
  const interval = o.link === 10 ? 0.01 : 0.001;
  if (o.mode !== 'classic') return { intervalSeconds: interval };
  return { intervalSeconds: 5 * interval, discard: false, echoBytes: 16 * 1024 };
}

/** The scenario's composition (stacks.ts) for these options. */
export function composeBoot(o: BootOptions): StackNet {
  return composeStackNet({
    mode: o.mode, strategy: o.strategy, clients: o.clients, topology: o.topology, seed: o.seed, kernel: o.kernel, faults: o.faults,
    bitRate: o.link === 10 ? MBIT_10 : MBIT_100, onWire: o.onWire, noPeer: o.noPeer, apps: o.apps,
    traffic: { ...trafficFor(o), ...o.traffic },
    ...(o.hostile?.length && { hostile: (i: number) => o.hostile!.find((h) => h.client === i + 1)?.attack }),
    ...(o.joins?.length && { late: (i: number) => o.joins!.some((j) => j.client === i + 1) }),
    ...(o.unsafe?.net && { unsafe: o.unsafe.net }),
  });
}

/**
 * One boot run, stride by stride: the loop of runBootScenario, split so that a caller can run
 * the machine between strides its own way (the CLI paces a bridged run to the wall clock,
 * asynchronously, and may stop it early on Ctrl-C).
 */
export class BootRun {
  readonly world: StackNet;
  /** The cycle the run ends at (stop() brings it forward). */
  end: number;
  /** The cycle --millis asked for. */
  readonly plannedEnd: number;
  private readonly pending: Revoke[];
  private readonly pendingJoins: Join[];
  /** The cycle each late client's stack domain started at, by client (1-based). */
  private readonly joined = new Map<number, number>();
  /** Clients joinNow started ahead of their plan, and the cycle: the run is the run with --join at that cycle, and its report says so. */
  private readonly joinedEarly = new Map<number, number>();
  private readonly stride: number;
  private readonly sessions = new Map<number, Session>(); // by badge, kept after the driver drops them
  private readonly seen = new Map<string, number>(); // violation -> first cycle seen
  private readonly revocations: RevocationRecord[] = [];
  private checks = 0;
  /**
   * The invariants after each stride: incremental.ts returns exactly what the full check
   * (checks.ts violations, with the zero-before-reuse scan) returns, rerunning only the parts
   * whose inputs changed since the last stride.
   */
  private readonly checker: IncrementalChecks;
  private bankAtReady: { usage: number; pins: number } | undefined;
  /** The current stride's end, once target() has fixed it; the cycle the last stride ended at. */
  private strideEnd: number | undefined;
  private strideAt = -1;

  constructor(private readonly o: BootOptions) {
    checkOptions(o);
    this.world = composeBoot(o);
    this.checker = new IncrementalChecks(this.world.net);
    this.end = this.plannedEnd = cyclesOf(o.millis, this.world.net.machine.config.cpuHz);
    this.pending = revocationsOf(o, this.end);
    this.pendingJoins = joinsOf(o, this.end, this.pending);
    this.stride = o.checkEvery ?? CHECK_EVERY;
    this.joinDue();
    this.revokeDue();
  }

  get machine(): Machine {
    return this.world.net.machine;
  }

  get done(): boolean {
    return this.machine.now >= this.end;
  }

  /**
   * Where the current stride runs to: the next check, or the next revocation or join if
   * sooner. Fixed when the stride begins (the first call after afterStride), so a caller that
   * runs the machine part of the way (advance) meets the same stride ends as one that runs to
   * each end at once; a revocation scheduled into it brings it forward.
   */
  target(): number {
    if (this.strideEnd !== undefined) return this.strideEnd;
    let t = Math.min(this.end, this.machine.now + this.stride);
    if (this.pending.length > 0) t = Math.min(t, this.pending[0]!.cycle);
    if (this.pendingJoins.length > 0) t = Math.min(t, this.pendingJoins[0]!.cycle);
    return (this.strideEnd = t);
  }

  /**
   * Run `cycles` more (no further than the end), stride by stride, calling afterStride at
   * each stride's end as runBootScenario does, however the cycles fall: the page's steps.
   */
  advance(cycles: number): void {
    const goal = Math.min(this.end, this.machine.now + cycles);
    while (this.machine.now < goal) {
      const target = this.target();
      this.machine.runUntil(Math.min(target, goal));
      if (this.machine.now >= target) this.afterStride();
    }
  }

  /**
   * Start late client `client` now (the page's "add a client" on a running machine), ahead of
   * the cycle its join was planned for; the run from here on is the run with that client's
   * join at this cycle (`--join CLIENT@<this cycle>`). False if it is not waiting to join.
   */
  joinNow(client: number): boolean {
    const k = this.pendingJoins.findIndex((j) => j.client === client);
    if (k < 0) return false;
    const at = this.machine.now; // before the kernel spends cycles starting it
    this.joinedEarly.set(client, at);
    this.startJoin(this.pendingJoins.splice(k, 1)[0]!);
    // A join planned for this cycle ends a stride here: end it (and check) unless one ended here already.
    if (this.strideAt !== at) this.afterStride();
    return true;
  }

  /** After the machine ran to target(): note what changed, revoke what is due, check the invariants. */
  afterStride(): void {
    this.strideAt = this.machine.now;
    this.strideEnd = undefined;
    this.observe();
    this.joinDue();
    this.revokeDue();
    if (this.o.strideChecks !== false) this.check();
    const closed = this.world.net.view.driver?.counters.sessionsClosed ?? 0;
    for (const rv of this.revocations) if (rv.sessionClosedBy === undefined && closed > rv.closedBefore) rv.sessionClosedBy = this.machine.now;
  }

  /**
   * Client `r.client` destroys its bank at `r.cycle` (now or later), as if the run had been
   * given that revocation from the start: the page's "revoke now" and "revoke at". A
   * revocation of that client still pending is replaced. A stride ends at every revocation's
   * cycle and the machine stops at the same places whichever way it is stepped, so the run is
   * the one `reloaded run --revoke K@CYCLE` makes.
   */
  schedule(r: Revoke): void {
    if (this.o.topology === 'inkernel') throw new BootOptionError('revoke: the inkernel topology has no client banks to destroy');
    if (!(Number.isInteger(r.client) && r.client >= 1 && r.client <= this.o.clients)) throw new BootOptionError(`revoke: client ${r.client} does not exist (clients are 1 to ${this.o.clients})`);
    if (this.revocations.some((rv) => rv.client === r.client)) throw new BootOptionError(`revoke: client ${r.client} has already destroyed its bank`);
    if (!(Number.isSafeInteger(r.cycle) && r.cycle >= this.machine.now)) throw new BootOptionError(`revoke: cycle ${r.cycle} has passed (the run is at cycle ${this.machine.now})`);
    if (r.cycle > this.end) throw new BootOptionError(`revoke: cycle ${r.cycle} is after the end of the run (${this.end})`);
    const rest = this.pending.filter((p) => p.client !== r.client);
    rest.push({ client: r.client, cycle: r.cycle });
    this.pending.splice(0, this.pending.length, ...rest.sort((a, b) => a.cycle - b.cycle || a.client - b.client));
    if (this.strideEnd !== undefined) this.strideEnd = Math.min(this.strideEnd, r.cycle);
    if (r.cycle !== this.machine.now) return;
    // Due now: revoke before anything else runs, as a stride ending here would. If one already
    // ended here (and was checked), revoke without checking that stride twice.
    if (this.strideAt === this.machine.now) {
      this.observe();
      this.revokeDue();
    } else {
      this.afterStride();
    }
  }

  /** Client `client`'s status now, as the report will say it (revoked, hostile, not joined, its session's). */
  statusOf(client: number): string {
    return statusOf(this.o, client - 1, this.joined, this.revocations.some((r) => r.client === client), this.world.probes[client - 1]?.status);
  }

  /** The clients still waiting to join, in the order they will. */
  get waitingToJoin(): readonly number[] {
    return this.pendingJoins.map((j) => j.client);
  }

  /** The revocations still to come, in order. */
  get pendingRevocations(): readonly Revoke[] {
    return this.pending.map((r) => ({ ...r }));
  }

  /** The clients that have destroyed their banks so far. */
  get revokedClients(): ReadonlySet<number> {
    return new Set(this.revocations.map((r) => r.client));
  }

  /** Every session the driver has opened so far, by badge (kept after the driver drops it). */
  get sessionsSeen(): ReadonlyMap<number, Session> {
    return this.sessions;
  }

  /** Invariant violations seen so far, each with the first cycle it was seen at. */
  get violationsSeen(): ReadonlyMap<string, number> {
    return this.seen;
  }

  /** End the run at the current cycle (what has not happened yet does not). */
  stop(): void {
    this.end = Math.min(this.end, this.machine.now);
  }

  /** The last check (free frames scanned for old bytes too) and the report. */
  finish(): BootReport {
    this.observe();
    this.checks++;
    for (const v of violations(this.world.net, true)) if (!this.seen.has(v)) this.seen.set(v, this.machine.now);
    const { sessions, seen, checks, bankAtReady, revocations, end, plannedEnd, joined } = this;
    const joins = this.o.joins?.map((j) => ({ client: j.client, cycle: this.joinedEarly.get(j.client) ?? j.cycle }));
    return report({ ...this.o, joins }, this.world, { sessions, seen, checks, bankAtReady, revocations, end, plannedEnd, trafficFrom: this.world.trafficFrom, joined });
  }

  private check(): number {
    this.checks++;
    const bad = this.checker.check();
    for (const v of bad) if (!this.seen.has(v)) this.seen.set(v, this.machine.now);
    return bad.length;
  }

  private observe(): void {
    const { net } = this.world;
    for (const s of net.view.driver?.sessions ?? []) this.sessions.set(s.badge, s);
    // The shared driver says when it is ready; the in-kernel network is ready once its stacks are.
    const ready = net.view.driver ? net.view.driver.ready : this.world.probes.every((p) => p.status !== undefined);
    if (!this.bankAtReady && ready) this.bankAtReady = { usage: net.driverBank.usage, pins: net.driverBank.pins };
  }

  private joinDue(): void {
    while (this.pendingJoins.length > 0 && this.pendingJoins[0]!.cycle <= this.machine.now) this.startJoin(this.pendingJoins.shift()!);
  }

  private startJoin(j: Join): void {
    this.joined.set(j.client, this.machine.now);
    this.world.join(j.client - 1);
  }

  private revokeDue(): void {
    while (this.pending.length > 0 && this.pending[0]!.cycle <= this.machine.now) this.revoke(this.pending.shift()!);
  }

  private revoke(r: Revoke): void {
    const { net, probes, exercisers } = this.world;
    const { kernel, machine } = net;
    const c = net.clients[r.client - 1]!;
    const k0 = { ...kernel.counters };
    const closedBefore = net.view.driver?.counters.sessionsClosed ?? 0;
    const before = {
      framesReleased: c.bank.usage,
      pinnedAtRevocation: this.sessions.get(r.client)?.pins ?? 0,
      sessionOpen: probes[r.client - 1]!.status === 'open',
    };
    const start = machine.now;
    kernel.destroy(c.bank);
    this.revocations.push({
      client: r.client, requestedCycle: r.cycle, cycle: start, destroyCycles: machine.now - start, ...before,
      quarantined: kernel.counters.quarantined - k0.quarantined,
      mappingsRevoked: kernel.counters.revokedMappings - k0.revokedMappings,
      violationsRightAfter: this.check(),
      sessionClosedBy: undefined,
      progressAt: exercisers.map(progressOf),
      openAt: probes.map((p) => p.status === 'open'),
      driverUsage: net.driverBank.usage,
      closedBefore,
    });
  }
}

export function runBootScenario(o: BootOptions): BootReport {
  const run = new BootRun(o);
  while (!run.done) {
    run.machine.runUntil(run.target());
    run.afterStride();
  }
  return run.finish();
}
