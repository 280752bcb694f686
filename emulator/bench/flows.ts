// The network measurements the topology, netstack, card-mode and simulation sections share:
// one composition of stacks.ts (any topology) with TCP bulk flows between the peer host and
// every client, measured over a fixed emulated window after a warm-up (a fixed byte count
// would take minutes of host time at 10 Mbit/s), and UDP round trips. Everything here is
// emulated: exact for the configuration, so one run each. Per packet means per frame on the
// wire that the card sent or received during the window, so every topology is counted alike.

import { MBIT_10, MBIT_100 } from '../../devices/wire/wire.js';
import { ipOf, PEER_IP } from '../cli/scenario/net.js';
import { composeStackNet, type StackNet, type Topology } from '../cli/scenario/stacks.js';
import type { App, Sockets } from '../../guest/apps/app.js';
import { BulkReceiver, BulkSender } from '../../guest/apps/bulk.js';
import { EchoServer, ECHO_PORT } from '../../guest/apps/echo-server.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';
import type { DatagramSocket } from '../../guest/netstack/sockets.js';
import { median } from './stats.js';

/** The bulk flows' TCP port (the peer's receiver listens there for every client's flow). */
const BULK_PORT = 5001;
/** A flow longer than any window: the senders never run out. */
const ENDLESS_BYTES = 2 ** 40;
/** Emulated seconds to wait for the sessions to open before giving up. */
const OPEN_LIMIT_SECONDS = 2;
/** How far the machine runs between looks at the sessions. */
const OPEN_STEP_CYCLES = 200_000;
/** The UDP echo datagram's data bytes. */
export const UDP_RTT_DATA = 64;
/** The pinger's source port on the peer. */
const PINGER_PORT = 41_000;
/**
 * The physical limit of one TCP flow's goodput with 1460-byte segments: 1460 data bytes per
 * 1538 bytes of wire time (8 preamble + 14 Ethernet + 20 IPv4 + 20 TCP + 1460 + 4 FCS + 12
 * inter-frame gap), 94.9 % of the bit rate.
 */
export const TCP_PAYLOAD_FRACTION = 1460 / 1538;

export type Direction = 'receive' | 'send';

export interface FlowCase {
  topology: Topology;
  clients: number;
  /** Link in Mbit/s: 10 or 100. */
  mbit: number;
  mode: CardMode;
  strategy: Strategy;
}

/** The emulated window: warm-up (handshakes, slow start) and the measured span after it. */
export interface Window {
  warmupSeconds: number;
  seconds: number;
}

export interface PerPacket {
  /** CPU cycles not spent idle. */
  cycles: number;
  /** Entries into supervisor mode: system calls, interrupts, faults (cpu.supervisorEntries). */
  kernelEntries: number;
  /** The kernel's context switches (kernel.counters.switches). */
  switches: number;
  /** TLB refills: translations that missed the TLB and walked the page tables (mmu.tlb.misses). */
  tlbRefills: number;
}

export interface FlowResult {
  /** Application bytes delivered in order during the window, all flows together, in Mbit/s. */
  goodputMbit: number;
  /** Fraction of the window the emulated CPU was not idle. */
  cpu: number;
  /** Frames the card sent plus received during the window. */
  packets: number;
  perPacket: PerPacket;
}

const bitRateOf = (mbit: number) => (mbit === 10 ? MBIT_10 : MBIT_100);

function compose(c: FlowCase, apps: (i: number, stack: Sockets) => App[]): StackNet {
  return composeStackNet({ topology: c.topology, mode: c.mode, strategy: c.strategy, clients: c.clients, seed: 1, noExercisers: true, bitRate: bitRateOf(c.mbit), apps });
}

/** Run until every client's session has opened (or failed to); refuse a composition whose sessions do not all open. */
function openAll(w: StackNet, what: string): void {
  const m = w.net.machine;
  const limit = m.now + OPEN_LIMIT_SECONDS * m.config.cpuHz;
  while (w.probes.some((p) => p.status === undefined) && m.now < limit) m.runUntil(m.now + OPEN_STEP_CYCLES);
  if (w.probes.some((p) => p.status !== 'open')) throw new Error(`${what}: the sessions did not all open (${w.probes.map((p) => p.status ?? 'pending').join(', ')})`);
}

interface Snapshot {
  cycle: number;
  idle: number;
  packets: number;
  entries: number;
  switches: number;
  tlbMisses: number;
  bytes: number;
}

function snapshot(w: StackNet, bytes: () => number): Snapshot {
  const { machine, card, kernel } = w.net;
  return {
    cycle: machine.now, idle: machine.cpu.idleCycles, packets: card.totals.received + card.totals.transmitted,
    entries: machine.cpu.supervisorEntries, switches: kernel.counters.switches, tlbMisses: machine.mmu.tlb.misses, bytes: bytes(),
  };
}

function resultOf(a: Snapshot, b: Snapshot, cpuHz: number): FlowResult {
  const span = b.cycle - a.cycle;
  const packets = b.packets - a.packets;
  const per = (x: number) => (packets > 0 ? x / packets : NaN);
  return {
    goodputMbit: ((b.bytes - a.bytes) * 8) / (span / cpuHz) / 1e6,
    cpu: 1 - (b.idle - a.idle) / span,
    packets,
    perPacket: { cycles: per(span - (b.idle - a.idle)), kernelEntries: per(b.entries - a.entries), switches: per(b.switches - a.switches), tlbRefills: per(b.tlbMisses - a.tlbMisses) },
  };
}

/** A composition with bulk flows running, ready for its window: `measure()` runs the warm-up and the window. */
export interface BulkRig {
  readonly world: StackNet;
  /** Run the warm-up, then the window; `around` wraps the window's run (the simulation section times it). */
  measure(win: Window, around?: (run: () => void) => void): FlowResult;
}

/**
 * TCP bulk flows, one per client: `receive` from the peer into every client, `send` from
 * every client to the peer. The flows start once the sessions are open.
 */
export function bulkRig(c: FlowCase, direction: Direction): BulkRig {
  const what = `${c.topology}, ${c.clients} clients, ${c.mbit} Mbit/s, bulk ${direction}`;
  const receivers: BulkReceiver[] = [];
  // A stack starts its applications once its session is open, so a client's sender connects then.
  const world = compose(c, (_i, stack) => direction === 'receive'
    ? [(receivers[receivers.length] = new BulkReceiver(stack, BULK_PORT))]
    : [new BulkSender(stack, PEER_IP, BULK_PORT, ENDLESS_BYTES)]);
  if (direction === 'send') world.peer!.run((stack) => [(receivers[0] = new BulkReceiver(stack, BULK_PORT))]);
  openAll(world, what);
  if (direction === 'receive') world.peer!.run((stack) => Array.from({ length: c.clients }, (_, i) => new BulkSender(stack, ipOf(i), BULK_PORT, ENDLESS_BYTES)));
  const bytes = () => receivers.reduce((a, r) => a + r.stats.bytes, 0);
  return {
    world,
    measure(win, around = (run) => run()) {
      const m = world.net.machine;
      const hz = m.config.cpuHz;
      m.runUntil(m.now + Math.round(win.warmupSeconds * hz));
      const a = snapshot(world, bytes);
      around(() => m.runUntil(a.cycle + Math.round(win.seconds * hz)));
      const b = snapshot(world, bytes);
      if (receivers.some((r) => r.stats.mismatched > 0)) throw new Error(`${what}: a flow's bytes broke the pattern`);
      return resultOf(a, b, hz);
    },
  };
}

/** The peer's side of the latency figure: one small datagram at a time to each client's echo server in turn, each round trip timed in cycles. */
class UdpPinger implements App {
  readonly rtts: number[] = [];
  private readonly sock: DatagramSocket;
  private sentAt: number | undefined;
  private next = 0;

  constructor(private readonly stack: Sockets, private readonly clients: number, private readonly samples: number) {
    const s = stack.udpBind(PINGER_PORT);
    if (typeof s === 'string') throw new Error(s);
    this.sock = s;
  }

  advance(): void {
    for (let d = this.sock.recvfrom(); d; d = this.sock.recvfrom()) {
      if (this.sentAt !== undefined) this.rtts.push(this.stack.now - this.sentAt);
      this.sentAt = undefined;
    }
    if (this.sentAt === undefined && this.rtts.length < this.samples) {
      this.sentAt = this.stack.now;
      this.sock.sendto(ipOf(this.next++ % this.clients), ECHO_PORT, new Uint8Array(UDP_RTT_DATA));
    }
  }
}

export interface RttResult {
  minUs: number;
  medianUs: number;
  samples: number;
}

/**
 * UDP round trips from the peer to each client's echo server in turn, one datagram in flight,
 * on an otherwise quiet machine: `rounds` per client, the first round (which waits for ARP) not counted.
 */
export function udpRoundTrips(c: FlowCase, rounds: number): RttResult {
  const what = `${c.topology}, ${c.clients} clients, ${c.mbit} Mbit/s, UDP round trips`;
  const samples = (rounds + 1) * c.clients;
  const world = compose(c, (_i, stack) => [new EchoServer(stack)]);
  openAll(world, what);
  let pinger: UdpPinger | undefined;
  world.peer!.run((stack) => [(pinger = new UdpPinger(stack, c.clients, samples))]);
  const m = world.net.machine;
  const limit = m.now + OPEN_LIMIT_SECONDS * m.config.cpuHz;
  while (pinger!.rtts.length < samples) {
    if (m.now >= limit) throw new Error(`${what}: ${pinger!.rtts.length} of ${samples} round trips in ${OPEN_LIMIT_SECONDS} emulated s`);
    m.runUntil(m.now + OPEN_STEP_CYCLES);
  }
  const us = pinger!.rtts.slice(c.clients).map((cy) => (cy / m.config.cpuHz) * 1e6);
  return { minUs: Math.min(...us), medianUs: median(us), samples: us.length };
}
