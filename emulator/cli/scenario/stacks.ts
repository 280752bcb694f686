// The composition of the default machine with real stacks (issue 11): the composition of
// net.ts (kernel, driver, banks, capabilities) with every client running its own TCP/IP
// stack domain (guest/netstack/domain.ts) and the servers of guest/apps (echo, discard,
// HTTP), and the peer host at 10.0.0.1 on the wire (peer-host.ts) with one exerciser per
// client, started once every client has opened its session (or failed to): a clock event
// looks every TRAFFIC_POLL cycles, so the start does not depend on how the host steps the
// machine. What the boot
// scenario, the interop run and the benchmarks build on.

import { MBIT_100 } from '../../../devices/wire/wire.js';
import type { FaultRates } from '../../../devices/wire/faults.js';
import type { Wire } from '../../../devices/wire/wire.js';
import type { Machine } from '../../machine/machine.js';
import type { App, Sockets } from '../../../guest/apps/app.js';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { Exerciser, type ExerciserConfig } from '../../../guest/apps/exerciser.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { REGION_VA, STACK_SLOTS } from '../../../guest/apps/raw-stack.js';
import type { DomainBody } from '../../../guest/kernel/api/context.js';
import type { KernelConfig } from '../../../guest/kernel/kernel.js';
import { ATTACKS, type AttackName } from '../../../guest/hostile/attacks.js';
import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';
import { sessionBankFrames } from '../../../guest/netdriver/session.js';
import { inKernelNet } from '../../../guest/inkernel/domain.js';
import { newStackProbe, stackDomain, type StackProbe } from '../../../guest/netstack/domain.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import type { Geometry } from '../../../guest/session/layout.js';
import { composeMonolithic } from './monolithic.js';
import { composeNet, ipOf, PEER_IP, PEER_MAC, type Net, type NetOptions, type UnsafeOptions } from './net.js';
import { PeerHost } from './peer-host.js';

/**
 * A session room for one TCP flow at 100 Mbit/s: 16 receive buffers and 8 transmit slots of
 * 2 KiB. The driver holds 5 + txPages + rxBuffers capability slots per session out of its
 * 256, so up to 8 clients get this shape and more get NARROW_GEOMETRY (16 × 14 slots fit).
 */
export const WIDE_GEOMETRY: Geometry = Object.freeze({ ringSize: 16, txPages: 4, rxBuffers: 16 });
export const NARROW_GEOMETRY: Geometry = Object.freeze({ ringSize: 8, txPages: 2, rxBuffers: 7 });
export const WIDE_CLIENTS = 8;
/** Pages of one session the driver keeps pinned at once: every receive buffer of a wide session. */
export const SESSION_PIN_LIMIT = 16;
/** The session sub-bank's frames beyond the driver's session bank: the region's page table, the mirror's, the sub-bank itself, and slack. */
const SUB_BANK_EXTRA_FRAMES = 8;
/** Per client, drawn from the run's seed: UDP echo data sizes (2 to 2944 bytes: up to two fragments) and the HTTP body size. */
const UDP_SIZES_PER_CLIENT = 16;
const MAX_UDP_DATA = 2944;
const MIN_HTTP_BYTES = 50_000;
const MAX_HTTP_BYTES = 300_000;
/** How often the peer looks whether every session has opened: 10,000 cycles (75 µs at 133 MHz). */
export const TRAFFIC_POLL = 10_000;

/**
 * How the network subsystem is laid out, for the paper's comparison (DESIGN.md §5), over the
 * same driver and stack code: `factored`, one stack domain per client with its applications
 * (the design); `monolithic`, one user-level stack domain serving every client's application
 * domain over IPC; `inkernel`, the stacks and the driver in one protection domain with the
 * device privilege, no IPC and no sessions.
 */
export type Topology = 'factored' | 'monolithic' | 'inkernel';
export const TOPOLOGIES: readonly Topology[] = Object.freeze(['factored', 'monolithic', 'inkernel']);

export const geometryFor = (clients: number): Geometry => (clients <= WIDE_CLIENTS ? WIDE_GEOMETRY : NARROW_GEOMETRY);

export interface StackNetOptions {
  mode: CardMode;
  strategy: Strategy;
  clients: number;
  /** Default factored. */
  topology?: Topology;
  seed: number;
  /** Wire bit rate (default 100 Mbit/s) and faults. */
  bitRate?: number;
  faults?: FaultRates;
  kernel?: KernelConfig;
  /** Listeners on the wire (pcap), called before the kernel boots. */
  onWire?: (wire: Wire, machine: Machine) => void;
  /**
   * Which applications each client runs (default: echo, discard and HTTP). Factored, they get
   * the client's NetStack; monolithic, its socket proxy (guest/monolithic/proxy.ts), so there
   * they may use only Sockets. (A method, so a test's hostile applications written against
   * NetStack still fit the factored topology.)
   */
  apps?(i: number, stack: Sockets): App[];
  /** No built-in peer (an external network is attached through onWire instead). */
  noPeer?: boolean;
  /** The peer runs no exercisers (a test or benchmark gives it its own applications with peer.run). */
  noExercisers?: boolean;
  /** The exercisers' traffic (default: all of it); undefined fields keep Exerciser's defaults. */
  traffic?: Partial<Omit<ExerciserConfig, 'target' | 'cpuHz' | 'udpPort'>>;
  /** Factored only: the attack client i's stack domain runs instead of the honest stack (guest/hostile/attacks.ts), or undefined. */
  hostile?: (i: number) => AttackName | undefined;
  /** Clients whose stack domain starts only when StackNet.join is called (net.ts NetOptions.late). */
  late?: (i: number) => boolean;
  /** Test-only: defences switched off (net.ts UnsafeOptions). */
  unsafe?: UnsafeOptions;
}

/** The servers a client runs by default, with their counters for the report. */
export interface ClientServers {
  echo: EchoServer;
  discard: DiscardServer;
  http: HttpServer;
}

export interface StackNet {
  net: Net;
  peer: PeerHost | undefined;
  probes: StackProbe[];
  servers: (ClientServers | undefined)[];
  /** The peer's exerciser per client, once started (undefined before). */
  exercisers: (Exerciser | undefined)[];
  /** The cycle the peer started its traffic, once it has. */
  readonly trafficFrom: number | undefined;
  /**
   * Start late client i's stack domain now (StackNetOptions.late). Once its session opens the
   * peer starts its exerciser, with the others' if their traffic has not begun yet, or on its
   * own (looked for every TRAFFIC_POLL cycles) if it has.
   */
  join(i: number): void;
}

/** The exerciser's UDP port for client i: one per client on the peer's stack. */
const exerciserPort = (i: number) => 40_000 + i;

/** What a topology is given to place the stacks and applications (the rest of the composition is shared). */
export interface Placement {
  readonly geometry: Geometry;
  /** Frames and pins of a session sub-bank. */
  readonly frames: number;
  readonly pins: number;
  readonly probes: StackProbe[];
  /** Known once the machine exists (onWire): read them when a body is made or run, not before. */
  cpuHz(): number;
  secret(i: number): number;
  /** Client i's applications over `sockets` (the default servers are recorded for the report). */
  apps(i: number, sockets: Sockets): App[];
}

/** What a topology adds to composeNet's options. */
export type Placed = Pick<NetOptions, 'body' | 'server' | 'priority' | 'stacks' | 'driverBody'>;

export function composeStackNet(o: StackNetOptions): StackNet {
  const topology = o.topology ?? 'factored';
  if (topology === 'monolithic') return composeMonolithic(o);
  if (topology === 'inkernel') {
    // No client domains: the domain with the device privilege runs every client's stack and applications.
    return composeStackNetWith(o, (p) => ({
      stacks: 0,
      driverBody: (config, view) => inKernelNet({
        ioBase: config.ioBase, mac: config.mac, mode: o.mode, addresses: Array.from({ length: o.clients }, (_, i) => ipOf(i)),
        secrets: Array.from({ length: o.clients }, (_, i) => p.secret(i)), cpuHz: p.cpuHz(), apps: p.apps,
      }, p.probes, view),
    })).world;
  }
  return composeStackNetWith(o, (p) => ({
    body: (i) => hostileBody(o, p, i) ?? stackDomain({
      slots: STACK_SLOTS, geometry: p.geometry, regionVa: REGION_VA, frames: p.frames, pins: p.pins, cpuHz: p.cpuHz(), secret: p.secret(i),
      apps: (stack) => p.apps(i, stack),
    }, p.probes[i]!),
  })).world;
}

/**
 * Client i's attacker body, if it is hostile: what an honest stack of this composition is
 * told, and as its victim the first honest client after it (or any other: the attack is
 * aimed all the same).
 */
function hostileBody(o: StackNetOptions, p: Placement, i: number): DomainBody | undefined {
  const attack = o.hostile?.(i);
  if (attack === undefined) return undefined;
  const others = Array.from({ length: o.clients - 1 }, (_, k) => (i + 1 + k) % o.clients);
  const victim = others.find((v) => o.hostile?.(v) === undefined) ?? others[0] ?? i;
  return ATTACKS[attack].body({
    geometry: p.geometry, regionVa: REGION_VA, frames: p.frames, pins: p.pins, cpuHz: p.cpuHz(),
    peer: { mac: PEER_MAC, ip: PEER_IP }, victim: { ip: ipOf(victim), port: exerciserPort(victim) },
  });
}

/** The composition shared by the topologies: composeNet with `place`'s stacks, the peer host and its exercisers. */
export function composeStackNetWith<T extends Placed>(o: StackNetOptions, place: (p: Placement) => T): { world: StackNet; placed: T } {
  const geometry = geometryFor(o.clients);
  const frames = sessionBankFrames(geometry, SESSION_PIN_LIMIT) + SUB_BANK_EXTRA_FRAMES;
  const probes = Array.from({ length: o.clients }, newStackProbe);
  const servers: (ClientServers | undefined)[] = Array.from({ length: o.clients }, () => undefined);
  const secrets: number[] = [];
  const traffic: Pick<ExerciserConfig, 'udpSizes' | 'httpBytes'>[] = [];
  let peer: PeerHost | undefined;
  let cpuHz = 0; // the machine's, known from onWire on (composeNet calls it before it spawns the stacks)
  const defaultApps = (i: number, stack: Sockets): App[] => {
    const s = { echo: new EchoServer(stack), discard: new DiscardServer(stack), http: new HttpServer(stack) };
    servers[i] = s;
    return [s.echo, s.discard, s.http];
  };
  const placed = place({
    geometry, frames, pins: SESSION_PIN_LIMIT + 8, probes, cpuHz: () => cpuHz, secret: (i) => secrets[i]!,
    apps: (i, sockets) => (o.apps ? o.apps(i, sockets) : defaultApps(i, sockets)),
  });
  const net = composeNet({
    mode: o.mode, strategy: o.strategy, stacks: o.clients, seed: o.seed, kernel: o.kernel, faults: o.faults, bitRate: o.bitRate ?? MBIT_100,
    pinLimit: SESSION_PIN_LIMIT, driverLimits: { maxTxPages: geometry.txPages, maxRxBuffers: geometry.rxBuffers },
    onWire: (wire, machine) => {
      cpuHz = machine.config.cpuHz;
      const r = machine.random.stream('stack-secrets');
      for (let i = 0; i <= o.clients; i++) secrets.push(r.below(2 ** 32));
      // What the seed varies besides: each client's UDP datagram sizes (up to two fragments) and HTTP body size.
      for (let i = 0; i < o.clients; i++) {
        const t = machine.random.stream(`client-${i}-traffic`);
        traffic.push({ udpSizes: Array.from({ length: UDP_SIZES_PER_CLIENT }, () => 2 + t.below(MAX_UDP_DATA - 1)), httpBytes: MIN_HTTP_BYTES + t.below(MAX_HTTP_BYTES - MIN_HTTP_BYTES + 1) });
      }
      if (!o.noPeer) peer = new PeerHost(machine, wire, { mac: PEER_MAC, ip: PEER_IP, secret: secrets[o.clients]! });
      o.onWire?.(wire, machine);
    },
    ...placed,
    late: o.late,
    unsafe: o.unsafe,
  });
  const exercisers: (Exerciser | undefined)[] = Array.from({ length: o.clients }, () => undefined);
  const exerciser = (stack: NetStack, i: number): Exerciser => {
    const e = new Exerciser(stack, { ...traffic[i], ...o.traffic, target: ipOf(i), cpuHz, udpPort: exerciserPort(i) });
    exercisers[i] = e;
    return e;
  };
  const domainOf = (i: number) => (net.clients.length === 0 ? net.driverDomain : net.clients[i]!.domain);
  const started = (i: number) => domainOf(i) !== undefined;
  // Waiting on a stack whose domain is gone (its bank destroyed before it opened) would be forever.
  const undecided = (i: number) => probes[i]!.status === undefined && domainOf(i)?.state !== 'stopped' && net.server?.domain.state !== 'stopped';
  const join = (i: number) => {
    net.startClient(i);
    if (world.trafficFrom === undefined || !peer || o.noExercisers) return; // the first look waits for it with the others
    const late = net.machine.eventSource(`traffic-join-${i}`);
    const lookLate = () => {
      if (undecided(i)) return void late.after(TRAFFIC_POLL, lookLate);
      if (probes[i]!.status === 'open') peer!.run((stack) => [exerciser(stack, i)]);
    };
    late.after(TRAFFIC_POLL, lookLate);
  };
  const world: StackNet = { net, peer, probes, servers, exercisers, trafficFrom: undefined, join };
  const source = net.machine.eventSource('traffic-start');
  // Hostile stacks tell nobody whether they opened; late ones are not waited for before they start.
  const awaited = (i: number) => o.hostile?.(i) === undefined && started(i) && undecided(i);
  const look = () => {
    if (probes.some((_, i) => awaited(i))) return void source.after(TRAFFIC_POLL, look);
    (world as { trafficFrom: number | undefined }).trafficFrom = net.machine.clock.now;
    peer!.run((stack) => probes.flatMap((p, i) => (p.status === 'open' ? [exerciser(stack, i)] : [])));
  };
  if (peer && !o.noExercisers) source.after(TRAFFIC_POLL, look);
  return { world, placed };
}
