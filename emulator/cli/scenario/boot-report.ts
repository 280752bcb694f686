// The boot scenario's report (boot.ts runs, this judges): per session what the driver did
// for it and what its stack counted, per client what the peer's exerciser got back, each
// revocation and whether the others carried on, the driver, the CPU's time, the invariants,
// the wire and the trace hash; and the problems that make `reloaded run` exit non-zero.

import { formatIpv4 } from '../../../guest/net/bytes.js';
import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';
import { total, type Counters } from '../../../guest/netdriver/counters.js';
import type { Session } from '../../../guest/netdriver/session.js';
import { newStackCounters, type StackCounters, type IcmpCounters, type IpCounters, type TcpCounters, type UdpCounters } from '../../../guest/netstack/counters.js';
import type { ExerciserStats } from '../../../guest/apps/exerciser.js';
import { ATTACKS, type Attack, type AttackName } from '../../../guest/hostile/attacks.js';
import type { BootOptions } from './boot.js';
import { ipOf } from './net.js';
import { readPlain, type NumberRecord } from './plain.js';
import { driverAlive as isDriverAlive } from './records.js';
import type { StackNet, Topology } from './stacks.js';

/** After a revocation, every other running client must get answers from the peer if at least this much of the run is left (DESIGN.md §6 item 8): 4 ms. */
const LIVENESS_WINDOW_SECONDS = 0.004;
/** An honest client must have had answers from the peer if it ran at least this long beside a hostile one: 10 ms (its session opens and the peer's traffic starts within a few). */
const HOSTILE_LIVENESS_SECONDS = 0.01;
/** Violations listed in the report (all are counted). */
const VIOLATIONS_LISTED = 20;

export interface SessionReport {
  client: number;
  ip: string;
  /** open, revoked (its bank destroyed), opening (not yet open when the run ended), or why it failed. */
  status: string;
  // What the driver did for the session.
  delivered: number;
  copied: number;
  flipped: number;
  exchanged: number;
  dropped: number;
  rejected: number;
  /** The reasons of the driver's drops and rejections that happened, with their counts. */
  why: Record<string, number>;
  transmitted: number;
  pinnedPeak: number;
  // What the client's stack counted (zeros when its session never opened).
  tcp: TcpCounters & { connections: number };
  udp: UdpCounters;
  icmp: IcmpCounters;
  /** Frames in and out of the stack, reassembly, fragments, ARP. */
  ipv4: IpCounters;
  /** The stack's drops by reason (those that happened). */
  drops: Record<string, number>;
  /** The client's servers: bytes echoed over TCP and datagrams over UDP, bytes discarded, HTTP requests answered. */
  servers: { echoBytes: number; echoDatagrams: number; discardBytes: number; httpRequests: number; httpBodyBytes: number };
  /** What the peer's exerciser sent this client and got back (undefined when it never started). */
  peer: ExerciserStats | undefined;
  /** Answers the peer got from the client after the first revocation (undefined without one). */
  progressAfterRevocation: number | undefined;
  /** The attack its stack domain runs (a hostile client, BootOptions.hostile), or undefined. */
  attack: AttackName | undefined;
  /** The cycle its stack domain started at (a late client, BootOptions.joins), or undefined: from boot. */
  joinedAt: number | undefined;
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
  /** Answers every other client got the peer after it. */
  othersProgressAfter: number;
  /** What happened, in one sentence. */
  summary: string;
}

export interface BootReport {
  scenario: 'boot';
  seed: number;
  millis: number;
  cycles: number;
  /** The emulated milliseconds at which the run was stopped before its `millis` (Ctrl-C on a `--wire` run), or undefined when it ran them all. */
  stoppedAtMillis: number | undefined;
  mode: CardMode;
  strategy: Strategy;
  clients: number;
  topology: Topology;
  /** Link speed in Mbit/s, and the wire's fault rates. */
  link: number;
  faults: { loss: number; duplicate: number; reorder: number; corrupt: number };
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
  /** The first revocation (the shorthand of earlier reports), and all of them in order. */
  revocation: RevocationReport | undefined;
  revocations: RevocationReport[];
  /** The CPU's time: busy and idle cycles, the driver's and the stacks' share, utilization (busy / all). */
  cpu: { busyCycles: number; idleCycles: number; driverCycles: number; stackCycles: number; utilization: number };
  cyclesPerDelivered: number | undefined;
  driverCyclesPerDelivered: number | undefined;
  /** Busy CPU cycles per frame through the card (received and sent). */
  busyCyclesPerPacket: number | undefined;
  invariants: { checks: number; dmaBeatsChecked: number; violations: number; listed: string[] };
  wire: { frames: number; fromCard: number; fromPeer: number; peerDroppedBadFcs: number; lost: number; duplicated: number; reordered: number; corrupted: number };
  /** What the peer host's stack counted (undefined without the built-in peer). */
  peer: { tcp: TcpCounters; udp: UdpCounters; icmp: IcmpCounters; ipv4: IpCounters; drops: Record<string, number> } | undefined;
  /** The cycle the peer began its traffic (every session open or failed), or undefined. */
  trafficFrom: number | undefined;
  /** The hostile clients and their attacks (the catalogue's words for them, not anything the attacker wrote). */
  hostile: { client: number; attack: AttackName; summary: string; threat: string; defence: string }[];
  /** The late clients: the cycle each was planned to join at, the cycle it did (undefined: it never did). */
  joins: { client: number; requestedCycle: number; cycle: number | undefined }[];
  trace: { records: number; hash: string };
  /** Empty when the run showed what it should; otherwise what went wrong (the CLI exits non-zero). */
  problems: string[];
}

/** What the run loop noted at a revocation, before the end-of-run judgement. */
export type RevocationRecord = Omit<RevocationReport, 'othersProgressAfter' | 'summary' | 'driverAlive' | 'driverBankUnchanged'> & {
  progressAt: number[];
  openAt: boolean[];
  driverUsage: number;
  closedBefore: number;
};

export interface RunRecord {
  sessions: Map<number, Session>;
  seen: Map<string, number>;
  checks: number;
  bankAtReady: { usage: number; pins: number } | undefined;
  revocations: RevocationRecord[];
  end: number;
  /** The cycle the run was to end at (`end` is earlier when it was stopped). */
  plannedEnd: number;
  trafficFrom: number | undefined;
  /** The cycle each late client joined at, by client (1-based). */
  joined: ReadonlyMap<number, number>;
}

const nonZero = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v > 0));
const n = (x: number) => x.toLocaleString('en-US');
/** HTTP results that mean wrong bytes or a wrong answer, never a mere lost connection. */
const WRONG_ANSWERS = ['bad-status', 'bad-length', 'bad-body', 'bad-response'] as const;

/**
 * The stack's counters as plain data (plain.ts): they live in the client's domain, where its
 * applications can reach them, so they are read without running anything left in them.
 * undefined when they are not plain data; zeros when the session never opened.
 */
function stackCounters(o: BootOptions, x: StackCounters | undefined): StackCounters | undefined {
  if (x === undefined) return newStackCounters();
  if (!o.unsafe?.readDomainDataDirectly) return readPlain(x, newStackCounters() as unknown as NumberRecord) as StackCounters | undefined;
  return { tcp: { ...x.tcp }, udp: { ...x.udp }, icmp: { ...x.icmp }, ip: { ...x.ip }, drops: { ...x.drops } }; // the ordinary read, which runs getters: attack tests only
}

/** The attack client i (0-based) runs, if it is hostile. */
const attackOf = (o: BootOptions, i: number) => o.hostile?.find((h) => h.client === i + 1)?.attack;
const isLate = (o: BootOptions, i: number) => o.joins?.some((j) => j.client === i + 1) ?? false;

/** What a client's status says: revoked, hostile (it tells nobody how its session went), not joined yet, or its session's. */
export function statusOf(o: BootOptions, i: number, joined: ReadonlyMap<number, number>, revoked: boolean, probeStatus: unknown): string {
  if (revoked) return 'revoked';
  if (attackOf(o, i) !== undefined) return 'hostile';
  if (isLate(o, i) && !joined.has(i + 1)) return 'not joined';
  // The probe is written by the client's own stack domain: only a string is taken from it.
  return typeof probeStatus === 'string' ? probeStatus : 'opening';
}

function sessionReport(o: BootOptions, w: StackNet, i: number, r: RunRecord, revoked: boolean, problems: string[]): SessionReport {
  const s = r.sessions.get(i + 1);
  const k: Counters | undefined = s?.counters;
  const probe = w.probes[i]!;
  const read = stackCounters(o, probe.counters);
  if (!read) problems.push(`client ${i + 1}: its stack's counters are not plain data (not read; shown as zeros)`);
  const c = read ?? newStackCounters();
  const sv = w.servers[i];
  const first = r.revocations[0];
  return {
    client: i + 1, ip: formatIpv4(ipOf(i)), status: statusOf(o, i, r.joined, revoked, probe.status),
    delivered: k?.delivered ?? 0, copied: k?.copied ?? 0, flipped: k?.flipped ?? 0, exchanged: k?.exchanged ?? 0,
    dropped: k ? total(k.dropped) : 0, rejected: k ? total(k.rejected) : 0, why: k ? nonZero({ ...k.dropped, ...k.rejected }) : {}, transmitted: k?.transmitted ?? 0, pinnedPeak: k?.pinnedPeak ?? 0,
    ...countersView(c),
    tcp: { connections: c.tcp.activeOpens + c.tcp.passiveOpens, ...c.tcp },
    servers: {
      echoBytes: sv?.echo.stats.tcpBytes ?? 0, echoDatagrams: sv?.echo.stats.udpDatagrams ?? 0, discardBytes: sv?.discard.stats.tcpBytes ?? 0,
      httpRequests: sv?.http.stats.requests ?? 0, httpBodyBytes: sv?.http.stats.bodyBytes ?? 0,
    },
    peer: w.exercisers[i] ? { ...w.exercisers[i]!.stats, httpFailures: { ...w.exercisers[i]!.stats.httpFailures } } : undefined,
    progressAfterRevocation: first ? progressOf(w.exercisers[i]) - first.progressAt[i]! : undefined,
    attack: attackOf(o, i), joinedAt: r.joined.get(i + 1),
  };
}

/** A stack's counters as the report shows them: copies, the drops that happened. */
function countersView(c: StackCounters): NonNullable<BootReport['peer']> {
  return { tcp: { ...c.tcp }, udp: { ...c.udp }, icmp: { ...c.icmp }, ipv4: { ...c.ip }, drops: nonZero({ ...c.drops }) };
}

export function report(o: BootOptions, w: StackNet, r: RunRecord): BootReport {
  const { net } = w;
  const { machine, kernel } = net;
  const d = net.view.driver;
  const g = d?.counters;
  const problems: string[] = [];
  const driverAlive = isDriverAlive(net);
  const err = net.driverDomain.thread?.error;
  if (!driverAlive) problems.push(`the driver is not serving (state ${net.driverDomain.state}${err ? `: ${err instanceof Error ? err.message : String(err)}` : ''})`);

  const revokedClients = new Set(r.revocations.map((rv) => rv.client));
  const sessionReports = w.probes.map((_, i) => sessionReport(o, w, i, r, revokedClients.has(i + 1), problems));
  for (const s of sessionReports) {
    // A session still opening when the run ends is slow, not wrong (many clients, a short run).
    if (!revokedClients.has(s.client) && !['open', 'opening', 'hostile', 'not joined'].includes(s.status)) problems.push(`client ${s.client}: session ${s.status}`);
    const p = s.peer;
    if (!p) continue;
    const wrong = p.udpMismatched + p.tcpEchoMismatched + WRONG_ANSWERS.reduce((a, k) => a + (p.httpFailures[k] ?? 0), 0);
    if (wrong > 0) problems.push(`client ${s.client}: ${wrong} answers came back with bytes the peer did not expect`);
  }

  const bankEnd = { usage: net.driverBank.usage, pins: net.driverBank.pins };
  const ready = r.bankAtReady ?? bankEnd;
  if (!r.bankAtReady) problems.push('the driver never became ready');
  if (ready.usage !== bankEnd.usage || ready.pins !== bankEnd.pins) problems.push(`the driver's bank changed from ${ready.usage} frames / ${ready.pins} pins when ready to ${bankEnd.usage} / ${bankEnd.pins}`);

  const hz = machine.config.cpuHz;
  const revocations = r.revocations.map((rv0): RevocationReport => {
    const { progressAt, openAt, driverUsage, closedBefore: _c, ...rv } = rv0;
    const others = sessionReports.filter((s) => s.client !== rv.client);
    const after = (s: SessionReport) => progressOf(w.exercisers[s.client - 1]) - progressAt[s.client - 1]!;
    const othersProgressAfter = others.reduce((a, s) => a + after(s), 0);
    const driverBankUnchanged = net.driverBank.usage === driverUsage;
    const left = r.end - rv.cycle;
    // Liveness (item 8) of every client that was running and not itself revoked, if enough of the run was left to see it.
    const running = others.filter((s) => openAt[s.client - 1] && !revokedClients.has(s.client) && w.exercisers[s.client - 1]);
    const busy = machine.now > 0 ? Math.round(((machine.now - machine.cpu.idleCycles) / machine.now) * 100) : 0;
    if (left >= LIVENESS_WINDOW_SECONDS * hz) {
      for (const s of running) {
        if (after(s) > 0) continue;
        const before = progressAt[s.client - 1]!;
        problems.push(`client ${s.client} got no answer from the peer in the ${n(left)} cycles after client ${rv.client}'s revocation (${before > 0 ? `${n(before)} before it` : 'none before it either'}; the CPU was ${busy} % busy over the run)`);
      }
    }
    if (rv.violationsRightAfter > 0) problems.push(`${rv.violationsRightAfter} invariant violations right after client ${rv.client}'s revocation`);
    const parts = [
      `client ${rv.client} destroyed its bank at cycle ${n(rv.cycle)} (the kernel took ${n(rv.destroyCycles)} cycles)`,
      `${rv.framesReleased} frames released (${rv.quarantined > 0 ? `${rv.quarantined} of them pinned for DMA: quarantined until unpinned` : 'none pinned for DMA'}${rv.mappingsRevoked > 0 ? `; ${rv.mappingsRevoked} mappings in other spaces cleared` : ''})`,
      rv.sessionOpen ? (rv.sessionClosedBy !== undefined ? `the driver closed its session by cycle ${n(rv.sessionClosedBy)}` : 'its session was not closed by the end of the run') : 'its session was not open yet',
      driverAlive ? 'the driver kept serving' : 'THE DRIVER DIED',
      others.length === 0 ? 'no other client' : `the other clients answered the peer ${n(othersProgressAfter)} times after it (pings, datagrams, HTTP responses, echoed bytes)`,
    ];
    return { ...rv, driverAlive, driverBankUnchanged, othersProgressAfter, summary: parts.join('; ') };
  });

  problems.push(...hostileProblems(w, r, sessionReports));

  const seen = [...r.seen.entries()];
  if (seen.length > 0) problems.push(`${seen.length} distinct invariant violations (first at cycle ${seen[0]![1]})`);
  const delivered = g?.delivered ?? 0;
  const transmitted = g?.transmitted ?? 0;
  const driverCycles = net.driverDomain.thread?.cycles ?? 0;
  // The stacks' domains (factored), or the shared stack server and the application domains (monolithic); in-kernel they are the driver's.
  const stackCycles = net.clients.reduce((a, c) => a + (c.domain?.thread?.cycles ?? 0), net.server?.domain.thread?.cycles ?? 0);
  const idle = machine.cpu.idleCycles;
  const busy = machine.now - idle;
  const fromCard = net.card.totals.transmitted;
  const throughCard = net.card.totals.received + fromCard;
  const fromPeer = w.peer?.port.framesSent ?? 0;
  const fc = net.wire.faults.counts;
  const rates = o.faults ?? {};
  return {
    scenario: 'boot', seed: o.seed, millis: o.millis, cycles: machine.now,
    stoppedAtMillis: r.end < r.plannedEnd ? Math.round((r.end / hz) * 1e6) / 1e3 : undefined,
    mode: o.mode, strategy: o.strategy, clients: o.clients, topology: o.topology ?? 'factored',
    link: o.link ?? 100, faults: { loss: rates.loss ?? 0, duplicate: rates.duplicate ?? 0, reorder: rates.reorder ?? 0, corrupt: rates.corrupt ?? 0 },
    sessions: sessionReports,
    driver: {
      alive: driverAlive, error: err === undefined ? undefined : err instanceof Error ? err.message : String(err),
      received: g?.received ?? 0, missed: g?.missed ?? 0, delivered, transmitted,
      dropped: g ? total(g.dropped) : 0, rejected: g ? total(g.rejected) : 0, sessionsOpened: g?.sessionsOpened ?? 0, sessionsClosed: g?.sessionsClosed ?? 0,
      bank: { limit: net.driverBank.limit, usageReady: ready.usage, usageEnd: bankEnd.usage, pinsReady: ready.pins, pinsEnd: bankEnd.pins },
      cpuCycles: driverCycles,
    },
    revocation: revocations[0],
    revocations,
    cpu: { busyCycles: busy, idleCycles: idle, driverCycles, stackCycles, utilization: machine.now > 0 ? Math.round((busy / machine.now) * 1000) / 1000 : 0 },
    cyclesPerDelivered: delivered > 0 ? Math.round(machine.now / delivered) : undefined,
    driverCyclesPerDelivered: delivered > 0 ? Math.round(driverCycles / delivered) : undefined,
    busyCyclesPerPacket: throughCard > 0 ? Math.round(busy / throughCard) : undefined,
    invariants: { checks: r.checks, dmaBeatsChecked: kernel.counters.dmaBeatsChecked, violations: seen.length, listed: seen.slice(0, VIOLATIONS_LISTED).map(([v, c]) => `cycle ${c}: ${v}`) },
    wire: { frames: fromCard + fromPeer, fromCard, fromPeer, peerDroppedBadFcs: w.peer?.badFcs ?? 0, lost: fc.lost, duplicated: fc.duplicated, reordered: fc.reordered, corrupted: fc.corrupted },
    peer: w.peer ? countersView(w.peer.stack.counters) : undefined,
    trafficFrom: r.trafficFrom,
    hostile: (o.hostile ?? []).map(({ client, attack }) => ({ client, attack, ...pick(ATTACKS[attack]) })),
    joins: (o.joins ?? []).map((j) => ({ client: j.client, requestedCycle: j.cycle, cycle: r.joined.get(j.client) })),
    trace: { records: machine.trace.count, hash: machine.trace.hash() },
    problems,
  };
}

const pick = ({ summary, threat, defence }: Attack) => ({ summary, threat, defence });

/**
 * Liveness beside an attacker (DESIGN.md §6 item 8): every honest client that was not revoked
 * must have had answers from the peer, once it had run long enough beside the hostile ones for
 * its session to open and the peer's traffic to reach it.
 */
function hostileProblems(w: StackNet, r: RunRecord, sessions: readonly SessionReport[]): string[] {
  const attackers = sessions.filter((s) => s.attack !== undefined);
  if (attackers.length === 0) return [];
  const names = attackers.map((s) => `client ${s.client} (${s.attack})`).join(', ');
  const window = HOSTILE_LIVENESS_SECONDS * w.net.machine.config.cpuHz;
  return sessions.flatMap((s) => {
    if (s.attack !== undefined || s.status === 'revoked' || s.status === 'not joined') return [];
    const ran = r.end - (s.joinedAt ?? 0);
    if (ran < window || progressOf(w.exercisers[s.client - 1]) > 0) return [];
    return [`client ${s.client} got no answer from the peer in the ${n(ran)} cycles it ran beside the hostile ${names} (session ${s.status})`];
  });
}

/** What the peer got back from a client: answers of every kind (each one a sign the client is served). */
export function progressOf(e: { stats: { pingsAnswered: number; udpEchoed: number; httpOk: number; tcpEchoBytes: number } } | undefined): number {
  return e ? e.stats.pingsAnswered + e.stats.udpEchoed + e.stats.httpOk + e.stats.tcpEchoBytes : 0;
}
