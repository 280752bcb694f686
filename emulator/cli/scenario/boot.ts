// The boot scenario, what `reloaded run` (and `npm start`, and the page) runs: the machine
// boots the kernel; the driver domain takes the card; N client stacks each open a session
// from their own bank with an opaque sub-bank and exchange UDP datagrams with the echo peer
// on the wire; at a chosen cycle client 1 destroys its bank; the kernel invariants are
// checked after every stride of the run. The report says what every session did, what the
// revocation did, whether the driver and the other clients carried on, and the trace hash.
// A pure function of its options: no wall clock, nothing node-only.

import type { KernelConfig } from '../../../guest/kernel/kernel.js';
import { EchoPeer } from '../../../devices/peers/echo.js';
import type { Wire } from '../../../devices/wire/wire.js';
import type { Machine } from '../../machine/machine.js';
import { formatIpv4 } from '../../../guest/net/bytes.js';
import { ETH_MAX_FRAME, ETH_MIN_FRAME } from '../../../guest/net/ethernet.js';
import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';
import { total, type Counters } from '../../../guest/netdriver/counters.js';
import type { Session } from '../../../guest/netdriver/session.js';
import { violations } from './checks.js';
import { driverAlive as isDriverAlive } from './records.js';
import { ECHO_TIMEOUT, echoClient, newEchoStats, type EchoStats } from '../../../guest/apps/echo-client.js';
import { CARD_MAC, composeNet, ipOf, MAX_CLIENTS, PEER_MAC, type Net } from './net.js';

export const STRATEGIES: readonly Strategy[] = ['copy', 'flip', 'hybrid'];
export const MODES: readonly CardMode[] = ['busmaster', 'classic'];

/** Defaults of `reloaded run` and the page. */
export const BOOT_DEFAULTS = { seed: 1, millis: 50, strategy: 'flip' as Strategy, mode: 'busmaster' as CardMode, clients: 2 };
/** Most emulated milliseconds one run may take. */
export const MAX_MILLIS = 60_000;
/** Cycles between two invariant checks. */
export const CHECK_EVERY = 20_000;
/** Frame lengths each client cycles through, drawn once from its seeded stream. */
const SIZES_PER_CLIENT = 64;
/** After a revocation, each other running client must get echoes back if at least this much of the run is left (DESIGN.md §6 item 8). */
const LIVENESS_WINDOW = 2 * ECHO_TIMEOUT;
/** Violations listed in the report (all are counted). */
const VIOLATIONS_LISTED = 20;

export interface BootOptions {
  seed: number;
  /** Emulated milliseconds. */
  millis: number;
  strategy: Strategy;
  mode: CardMode;
  /** Client stacks, 1..16. */
  clients: number;
  /** Cycle at which client 1 destroys its bank: a number, 'none', or undefined for the middle of the run. */
  revokeAt?: number | 'none';
  /** Attach more listeners to the wire (the CLI's pcap writer). */
  onWire?: (wire: Wire, machine: Machine) => void;
  /** Cycles between invariant checks (default CHECK_EVERY). */
  checkEvery?: number;
  /** The kernel's boot configuration (benchmarks and tests only: the CLI never sets it). */
  kernel?: KernelConfig;
}

export interface SessionReport {
  client: number;
  ip: string;
  /** open, revoked (its bank destroyed), opening (not yet open when the run ended), or why it failed. */
  status: string;
  delivered: number;
  copied: number;
  flipped: number;
  exchanged: number;
  dropped: number;
  rejected: number;
  /** The reasons of those drops and rejections that happened, with their counts. */
  why: Record<string, number>;
  transmitted: number;
  pinnedPeak: number;
  /** What the client's stack counted. */
  stack: EchoStats;
  /** Echoes the client got back after the revocation (undefined without one). */
  echoedAfterRevocation: number | undefined;
}

export interface RevocationReport {
  client: number;
  requestedCycle: number;
  /** The cycle the destroy began (the first preemption point at or after the requested one), and the cycles the kernel took for it. */
  cycle: number;
  destroyCycles: number;
  sessionOpen: boolean;
  /** Frames the client's bank (with its session sub-bank) held, and pages the card had pinned for its session. */
  framesReleased: number;
  pinnedAtRevocation: number;
  /** Frames that went to quarantine (pinned when revoked) and PTEs cleared by the destroy. */
  quarantined: number;
  mappingsRevoked: number;
  /** The check right after the destroy returned (revocation is complete, item 3). */
  violationsRightAfter: number;
  /** First check at which the driver had closed the session, or undefined. */
  sessionClosedBy: number | undefined;
  driverAlive: boolean;
  driverBankUnchanged: boolean;
  /** Echoes every other client got back after it. */
  othersEchoedAfter: number;
  /** What happened, in one sentence. */
  summary: string;
}

export interface BootReport {
  scenario: 'boot';
  seed: number;
  millis: number;
  cycles: number;
  mode: CardMode;
  strategy: Strategy;
  clients: number;
  sessions: SessionReport[];
  driver: {
    alive: boolean;
    error: string | undefined;
    received: number;
    missed: number;
    delivered: number;
    transmitted: number;
    dropped: number;
    rejected: number;
    sessionsOpened: number;
    sessionsClosed: number;
    bank: { limit: number; usageReady: number; usageEnd: number; pinsReady: number; pinsEnd: number };
    cpuCycles: number;
  };
  revocation: RevocationReport | undefined;
  cyclesPerDelivered: number | undefined;
  driverCyclesPerDelivered: number | undefined;
  invariants: { checks: number; dmaBeatsChecked: number; violations: number; listed: string[] };
  wire: { frames: number; fromCard: number; fromEcho: number; echoDroppedBadFcs: number };
  trace: { records: number; hash: string };
  /** Empty when the run showed what it should; otherwise what went wrong (the CLI exits non-zero). */
  problems: string[];
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
  if (!MODES.includes(o.mode)) throw new BootOptionError(`mode: expected one of ${MODES.join(', ')}, got ${o.mode}`);
  if (!(Number.isInteger(o.clients) && o.clients >= 1 && o.clients <= MAX_CLIENTS)) throw new BootOptionError(`clients: expected an integer from 1 to ${MAX_CLIENTS}, got ${o.clients}`);
  if (typeof o.revokeAt === 'number' && !(Number.isSafeInteger(o.revokeAt) && o.revokeAt >= 0)) throw new BootOptionError(`revoke-at: expected a cycle ≥ 0, got ${o.revokeAt}`);
}

const nonZero = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));

/** The scenario's composition (net.ts): the echo peer on the wire, an echo client in every stack. */
export function composeBoot(o: BootOptions): { net: Net; stats: EchoStats[]; echo: EchoPeer } {
  const stats = Array.from({ length: o.clients }, newEchoStats);
  let echo: EchoPeer | undefined;
  let sizes: number[][] = [];
  const net = composeNet({
    mode: o.mode, strategy: o.strategy, stacks: o.clients, seed: o.seed, kernel: o.kernel,
    onWire: (wire, machine) => {
      echo = new EchoPeer(wire, 'echo');
      sizes = stats.map((_, i) => {
        const r = machine.random.stream(`boot-client-${i}-sizes`);
        return Array.from({ length: SIZES_PER_CLIENT }, () => ETH_MIN_FRAME + r.below(ETH_MAX_FRAME - ETH_MIN_FRAME + 1));
      });
      o.onWire?.(wire, machine);
    },
    stack: (i) => ({ body: echoClient({ cardMac: CARD_MAC, peerMac: PEER_MAC, sizes: sizes[i]!, tag: 0x11 * (i + 1) }, stats[i]!) }),
  });
  return { net, stats, echo: echo! };
}

export function runBootScenario(o: BootOptions): BootReport {
  checkOptions(o);
  const { net, stats, echo } = composeBoot(o);
  const { machine, kernel } = net;
  const end = cyclesOf(o.millis, machine.config.cpuHz);
  const revokeAt = o.revokeAt === 'none' ? undefined : (o.revokeAt ?? Math.floor(end / 2));
  if (revokeAt !== undefined && revokeAt > end) throw new BootOptionError(`revoke-at: cycle ${revokeAt} is after the end of the run (${end} cycles in ${o.millis} ms)`);
  const stride = o.checkEvery ?? CHECK_EVERY;

  const sessions = new Map<number, Session>(); // by badge, kept after the driver drops them
  const seen = new Map<string, number>(); // violation -> first cycle seen
  let checks = 0;
  let bankAtReady: { usage: number; pins: number } | undefined;
  const check = (): number => {
    checks++;
    const bad = violations(net);
    for (const v of bad) if (!seen.has(v)) seen.set(v, machine.now);
    return bad.length;
  };
  const observe = () => {
    for (const s of net.view.driver?.sessions ?? []) sessions.set(s.badge, s);
    if (!bankAtReady && net.view.driver?.ready) bankAtReady = { usage: net.driverBank.usage, pins: net.driverBank.pins };
  };

  let revocation: RevocationRecord | undefined;
  const revoke = () => {
    const c = net.clients[0]!;
    const k0 = { ...kernel.counters };
    const closedBefore = net.view.driver?.counters.sessionsClosed ?? 0;
    const before = {
      framesReleased: c.bank.usage,
      pinnedAtRevocation: sessions.get(1)?.pins ?? 0,
      sessionOpen: c.probe.status === 'open',
    };
    const start = machine.now;
    kernel.destroy(c.bank);
    revocation = {
      client: 1, requestedCycle: revokeAt!, cycle: start, destroyCycles: machine.now - start, ...before,
      quarantined: kernel.counters.quarantined - k0.quarantined,
      mappingsRevoked: kernel.counters.revokedMappings - k0.revokedMappings,
      violationsRightAfter: check(),
      sessionClosedBy: undefined,
      echoedAt: stats.map((s) => s.echoed),
      openAt: net.clients.map((x) => x.probe.status === 'open'),
      driverUsage: net.driverBank.usage,
      closedBefore,
    };
  };

  if (revokeAt !== undefined && revokeAt <= machine.now) revoke();
  while (machine.now < end) {
    let target = Math.min(end, machine.now + stride);
    if (revokeAt !== undefined && !revocation) target = Math.min(target, revokeAt);
    machine.runUntil(target);
    observe();
    if (revokeAt !== undefined && !revocation && machine.now >= revokeAt) revoke();
    check();
    if (revocation && revocation.sessionClosedBy === undefined && (net.view.driver?.counters.sessionsClosed ?? 0) > revocation.closedBefore) revocation.sessionClosedBy = machine.now;
  }
  observe();
  checks++;
  for (const v of violations(net, true)) if (!seen.has(v)) seen.set(v, machine.now); // the last check scans free frames for old bytes too

  return report(o, net, { stats, sessions, seen, checks, bankAtReady, echo, revocation, end });
}

/** What the run loop noted at the revocation, before the end-of-run judgement. */
type RevocationRecord = Omit<RevocationReport, 'othersEchoedAfter' | 'summary' | 'driverAlive' | 'driverBankUnchanged'> & {
  echoedAt: number[];
  openAt: boolean[];
  driverUsage: number;
  closedBefore: number;
};

interface RunRecord {
  stats: EchoStats[];
  sessions: Map<number, Session>;
  seen: Map<string, number>;
  checks: number;
  bankAtReady: { usage: number; pins: number } | undefined;
  echo: EchoPeer;
  revocation: RevocationRecord | undefined;
  end: number;
}

function report(o: BootOptions, net: Net, r: RunRecord): BootReport {
  const { machine, kernel } = net;
  const d = net.view.driver;
  const g = d?.counters;
  const problems: string[] = [];
  const driverAlive = isDriverAlive(net);
  const err = net.driverDomain.thread?.error;
  if (!driverAlive) problems.push(`the driver is not serving (state ${net.driverDomain.state}${err ? `: ${err instanceof Error ? err.message : String(err)}` : ''})`);

  const sessionReports = net.clients.map((c, i): SessionReport => {
    const s = r.sessions.get(i + 1);
    const k: Counters | undefined = s?.counters;
    const revoked = i === 0 && r.revocation !== undefined;
    const status = revoked ? 'revoked' : (c.probe.status ?? 'opening');
    // A session still opening when the run ends is slow, not wrong (many clients, a short run).
    if (!revoked && status !== 'open' && status !== 'opening') problems.push(`client ${i + 1}: session ${status}`);
    if (r.stats[i]!.mismatched > 0) problems.push(`client ${i + 1}: ${r.stats[i]!.mismatched} echoes came back with bytes it did not send`);
    return {
      client: i + 1, ip: formatIpv4(ipOf(i)), status,
      delivered: k?.delivered ?? 0, copied: k?.copied ?? 0, flipped: k?.flipped ?? 0, exchanged: k?.exchanged ?? 0,
      dropped: k ? total(k.dropped) : 0, rejected: k ? total(k.rejected) : 0, why: k ? nonZero({ ...k.dropped, ...k.rejected }) : {}, transmitted: k?.transmitted ?? 0, pinnedPeak: k?.pinnedPeak ?? 0,
      stack: { ...r.stats[i]! },
      echoedAfterRevocation: r.revocation ? r.stats[i]!.echoed - r.revocation.echoedAt[i]! : undefined,
    };
  });

  const bankEnd = { usage: net.driverBank.usage, pins: net.driverBank.pins };
  const ready = r.bankAtReady ?? bankEnd;
  if (!r.bankAtReady) problems.push('the driver never became ready');
  if (ready.usage !== bankEnd.usage || ready.pins !== bankEnd.pins) problems.push(`the driver's bank changed from ${ready.usage} frames / ${ready.pins} pins when ready to ${bankEnd.usage} / ${bankEnd.pins}`);

  let revocation: RevocationReport | undefined;
  if (r.revocation) {
    const { echoedAt: _e, openAt: _o, driverUsage, closedBefore: _c, ...rv } = r.revocation;
    const others = sessionReports.slice(1);
    const othersEchoedAfter = others.reduce((a, s) => a + (s.echoedAfterRevocation ?? 0), 0);
    const driverBankUnchanged = net.driverBank.usage === driverUsage;
    const left = r.end - rv.cycle;
    // Liveness (item 8) of every client that was running when client 1 revoked, if enough of the run was left to see it.
    const running = others.filter((s) => r.revocation!.openAt[s.client - 1]);
    if (left >= LIVENESS_WINDOW) for (const s of running) if (!s.echoedAfterRevocation) problems.push(`client ${s.client} got no echo back after client 1's revocation`);
    if (rv.violationsRightAfter > 0) problems.push(`${rv.violationsRightAfter} invariant violations right after the revocation`);
    const parts = [
      `client 1 destroyed its bank at cycle ${rv.cycle.toLocaleString('en-US')} (the kernel took ${rv.destroyCycles.toLocaleString('en-US')} cycles)`,
      `${rv.framesReleased} frames released (${rv.quarantined > 0 ? `${rv.quarantined} of them pinned for DMA: quarantined until unpinned` : 'none pinned for DMA'}${rv.mappingsRevoked > 0 ? `; ${rv.mappingsRevoked} mappings in other spaces cleared` : ''})`,
      rv.sessionOpen ? (rv.sessionClosedBy !== undefined ? `the driver closed its session by cycle ${rv.sessionClosedBy.toLocaleString('en-US')}` : 'its session was not closed by the end of the run') : 'its session was not open yet',
      driverAlive ? 'the driver kept serving' : 'THE DRIVER DIED',
      others.length === 0 ? 'no other client' : `the other clients got ${othersEchoedAfter} echoes back after it`,
    ];
    revocation = { ...rv, driverAlive, driverBankUnchanged, othersEchoedAfter, summary: parts.join('; ') };
  }

  const seen = [...r.seen.entries()];
  if (seen.length > 0) problems.push(`${seen.length} distinct invariant violations (first at cycle ${seen[0]![1]})`);
  const delivered = g?.delivered ?? 0;
  const driverCycles = net.driverDomain.thread?.cycles ?? 0;
  const fromCard = net.card.totals.transmitted;
  const fromEcho = r.echo.port.framesSent;
  return {
    scenario: 'boot', seed: o.seed, millis: o.millis, cycles: machine.now, mode: o.mode, strategy: o.strategy, clients: o.clients,
    sessions: sessionReports,
    driver: {
      alive: driverAlive, error: err === undefined ? undefined : err instanceof Error ? err.message : String(err),
      received: g?.received ?? 0, missed: g?.missed ?? 0, delivered, transmitted: g?.transmitted ?? 0,
      dropped: g ? total(g.dropped) : 0, rejected: g ? total(g.rejected) : 0, sessionsOpened: g?.sessionsOpened ?? 0, sessionsClosed: g?.sessionsClosed ?? 0,
      bank: { limit: net.driverBank.limit, usageReady: ready.usage, usageEnd: bankEnd.usage, pinsReady: ready.pins, pinsEnd: bankEnd.pins },
      cpuCycles: driverCycles,
    },
    revocation,
    cyclesPerDelivered: delivered > 0 ? Math.round(machine.now / delivered) : undefined,
    driverCyclesPerDelivered: delivered > 0 ? Math.round(driverCycles / delivered) : undefined,
    invariants: { checks: r.checks, dmaBeatsChecked: kernel.counters.dmaBeatsChecked, violations: seen.length, listed: seen.slice(0, VIOLATIONS_LISTED).map(([v, c]) => `cycle ${c}: ${v}`) },
    wire: { frames: fromCard + fromEcho, fromCard, fromEcho, echoDroppedBadFcs: r.echo.dropped },
    trace: { records: machine.trace.count, hash: machine.trace.hash() },
    problems,
  };
}
