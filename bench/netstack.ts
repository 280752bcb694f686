// The TCP/IP stacks on the default machine (133 MHz, the card in bus-master mode on a
// 100 Mbit/s wire, flip): TCP bulk goodput into one client, out of one client, and into four
// clients sharing the link, and UDP round-trip latency, all between the clients' stack
// domains (with the kernel, the driver and every cost of the CPU model) and the built-in peer
// host. These are emulated figures: exact, a function of the configuration, so one run each.
// The physical limit of one flow at 100 Mbit/s with 1460-byte segments is 1460 / 1538 of the
// bit rate (preamble, Ethernet, IPv4 and TCP headers, FCS and gap): about 94.9 Mbit/s.

import { ipOf, PEER_IP } from '../emulator/cli/scenario/net.js';
import { composeStackNet, type StackNet } from '../emulator/cli/scenario/stacks.js';
import type { App, Sockets } from '../guest/apps/app.js';
import { BulkReceiver, BulkSender } from '../guest/apps/bulk.js';
import { EchoServer, ECHO_PORT } from '../guest/apps/echo-server.js';
import type { DatagramSocket } from '../guest/netstack/sockets.js';
import type { BenchResult } from './report.js';

const PORT = 5001;
/** Bytes per flow: long enough that the handshake and slow start are a small part. */
const FLOW_BYTES = 8 << 20;
const RTT_SAMPLES = 200;
const UDP_RTT_DATA = 64;

interface Flow {
  rx: BulkReceiver;
}

/** Goodput of the flows together: all bytes over the span from the first byte of any to the last byte of any, in Mbit/s. */
function goodput(w: StackNet, flows: Flow[]): number {
  const first = Math.min(...flows.map((f) => f.rx.stats.firstByteCycle!));
  const last = Math.max(...flows.map((f) => f.rx.stats.lastByteCycle!));
  const bytes = flows.reduce((a, f) => a + f.rx.stats.bytes, 0);
  return (bytes * 8) / ((last - first) / w.net.machine.config.cpuHz) / 1e6;
}

function runUntil(w: StackNet, done: () => boolean, what: string): void {
  const m = w.net.machine;
  const limit = m.now + 30 * m.config.cpuHz;
  while (!done()) {
    if (m.now >= limit) throw new Error(`netstack bench: ${what} did not finish in 30 emulated seconds`);
    m.runUntil(m.now + 1_000_000);
  }
}

/** Once every client's session is open, start `apps` on the peer. */
function whenOpen(w: StackNet, apps: (stack: Sockets) => App[]): void {
  runUntil(w, () => w.probes.every((p) => p.status !== undefined), 'opening the sessions');
  if (w.probes.some((p) => p.status !== 'open')) throw new Error(`netstack bench: a session did not open: ${w.probes.map((p) => p.status).join(', ')}`);
  w.peer!.run(apps);
}

/** `clients` flows from the peer, one into each client. */
function bulkIn(clients: number): { mbits: number; cpu: number } {
  const flows: Flow[] = [];
  const w = composeStackNet({ mode: 'busmaster', strategy: 'flip', clients, seed: 1, noExercisers: true, apps: (_i, stack) => [(flows[flows.length] = { rx: new BulkReceiver(stack, PORT) }).rx] });
  whenOpen(w, (stack) => Array.from({ length: clients }, (_, i) => new BulkSender(stack, ipOf(i), PORT, FLOW_BYTES)));
  const idle0 = w.net.machine.cpu.idleCycles;
  const t0 = w.net.machine.now;
  runUntil(w, () => flows.length === clients && flows.every((f) => f.rx.stats.completed === 1), 'the transfer');
  if (flows.some((f) => f.rx.stats.mismatched > 0 || f.rx.stats.bytes !== FLOW_BYTES)) throw new Error('netstack bench: a flow did not arrive byte-exact');
  const span = w.net.machine.now - t0;
  return { mbits: goodput(w, flows), cpu: 1 - (w.net.machine.cpu.idleCycles - idle0) / span };
}

/** One flow from the client to the peer. */
function bulkOut(): number {
  let rx: BulkReceiver | undefined;
  const w = composeStackNet({ mode: 'busmaster', strategy: 'flip', clients: 1, seed: 1, noExercisers: true, apps: (_i, stack) => [new BulkSender(stack, PEER_IP, PORT, FLOW_BYTES)] });
  w.peer!.run((stack) => [(rx = new BulkReceiver(stack, PORT))]);
  runUntil(w, () => rx!.stats.completed === 1, 'the transfer');
  if (rx!.stats.mismatched > 0 || rx!.stats.bytes !== FLOW_BYTES) throw new Error('netstack bench: the flow did not arrive byte-exact');
  return goodput(w, [{ rx: rx! }]);
}

/** The peer's side of the latency figure: one small datagram to the client's echo server at a time, each round trip timed in cycles. */
class UdpPinger implements App {
  readonly rtts: number[] = [];
  private readonly sock: DatagramSocket;
  private sentAt: number | undefined;

  constructor(private readonly stack: Sockets, private readonly target: number) {
    const s = stack.udpBind(41_000);
    if (typeof s === 'string') throw new Error(s);
    this.sock = s;
  }

  advance(): void {
    for (let d = this.sock.recvfrom(); d; d = this.sock.recvfrom()) {
      if (this.sentAt !== undefined) this.rtts.push(this.stack.now - this.sentAt);
      this.sentAt = undefined;
    }
    if (this.sentAt === undefined && this.rtts.length < RTT_SAMPLES) {
      this.sentAt = this.stack.now;
      this.sock.sendto(this.target, ECHO_PORT, new Uint8Array(UDP_RTT_DATA));
    }
  }
}

function udpRtt(): { min: number; median: number } {
  let pinger: UdpPinger | undefined;
  const w = composeStackNet({ mode: 'busmaster', strategy: 'flip', clients: 1, seed: 1, noExercisers: true, apps: (_i, stack) => [new EchoServer(stack)] });
  whenOpen(w, (stack) => [(pinger = new UdpPinger(stack, ipOf(0)))]);
  runUntil(w, () => pinger!.rtts.length >= RTT_SAMPLES, 'the round trips');
  const us = pinger!.rtts.slice(1).map((c) => (c / w.net.machine.config.cpuHz) * 1e6).sort((a, b) => a - b); // the first waits for ARP
  return { min: us[0]!, median: us[Math.floor(us.length / 2)]! };
}

export function benchNetstack(): BenchResult[] {
  const one = bulkIn(1);
  const four = bulkIn(4);
  const out = bulkOut();
  const rtt = udpRtt();
  const machine = 'emulated Mbit/s (133 MHz, bus-master, flip, 100 Mbit/s; physical limit ~94.9)';
  return [
    { name: 'TCP bulk into 1 client, goodput', value: one.mbits, unit: machine, goal: 90 },
    { name: 'TCP bulk into 1 client, CPU busy', value: one.cpu * 100, unit: '% of the emulated CPU' },
    { name: 'TCP bulk out of 1 client, goodput', value: out, unit: machine },
    { name: 'TCP bulk into 4 clients sharing the link, goodput', value: four.mbits, unit: `${machine}, all 4 flows together` },
    { name: 'TCP bulk into 4 clients, CPU busy', value: four.cpu * 100, unit: '% of the emulated CPU' },
    { name: 'UDP round trip, 64-byte datagram, min', value: rtt.min, unit: 'emulated µs (peer to a client\'s echo server and back)' },
    { name: 'UDP round trip, 64-byte datagram, median', value: rtt.median, unit: 'emulated µs' },
  ];
}
