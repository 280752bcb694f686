// The paper's comparison (DESIGN.md §1, §5): each topology of stacks.ts (factored, monolithic,
// inkernel) over the same driver and stack code, for 1, 4 and 16 clients at 10 and 100 Mbit/s:
// TCP bulk goodput into the clients (peer → clients) and out of them (clients → peer), UDP
// round-trip latency, the emulated CPU's utilization, and per packet on the wire the CPU
// cycles, kernel entries, context switches and TLB refills. All emulated: one run each. A
// topology whose composition refuses (not built yet) is recorded as unavailable with its
// message, so it fills in once it exists with no change here.

import { TOPOLOGIES, type Topology } from '../cli/scenario/stacks.js';
import { emulated, type Figure } from './figures.js';
import { bulkRig, udpRoundTrips, type FlowCase, type FlowResult, type RttResult, type Window } from './flows.js';
import type { Section, SectionContext, SectionResult, Unavailable } from './section.js';

export const CLIENT_COUNTS = [1, 4, 16] as const;
export const LINKS = [10, 100] as const;
/** The comparison's configuration: full-size frames (1460-byte segments), bus-master, flip. */
export const MODE = 'busmaster';
export const STRATEGY = 'flip';

/** Warm-up and window per link, in emulated seconds: long enough for slow start to be over and for hundreds of frames. */
export function windowFor(mbit: number, quick: boolean): Window {
  if (mbit === 10) return quick ? { warmupSeconds: 0.04, seconds: 0.1 } : { warmupSeconds: 0.1, seconds: 0.4 };
  return quick ? { warmupSeconds: 0.02, seconds: 0.05 } : { warmupSeconds: 0.05, seconds: 0.2 };
}

/** UDP round trips per client (after one not counted). */
const RTT_ROUNDS = 16;

export interface TopologyRow {
  topology: Topology;
  clients: number;
  mbit: number;
  window: Window;
  receive: FlowResult;
  send: FlowResult;
  udp: RttResult;
}

export interface TopologyData {
  rows: TopologyRow[];
  /** Topologies whose composition refused, with its message. */
  unavailable: { topology: Topology; reason: string }[];
}

export function topologyCase(topology: Topology, clients: number, mbit: number): FlowCase {
  return { topology, clients, mbit, mode: MODE, strategy: STRATEGY };
}

/** Whether the topology composes at all: the message of its refusal, or undefined. */
export function refusal(topology: Topology): string | undefined {
  try {
    bulkRig(topologyCase(topology, 1, 100), 'receive');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Rows measured in this process: emulated, so the netstack section and the comparison reuse the topology section's instead of measuring again. */
const measured = new Map<string, TopologyRow>();

export function measureRow(topology: Topology, clients: number, mbit: number, quick: boolean): TopologyRow {
  const key = `${topology}/${clients}/${mbit}/${quick}`;
  let row = measured.get(key);
  if (!row) measured.set(key, (row = measureRowOnce(topology, clients, mbit, quick)));
  return row;
}

function measureRowOnce(topology: Topology, clients: number, mbit: number, quick: boolean): TopologyRow {
  const c = topologyCase(topology, clients, mbit);
  const window = windowFor(mbit, quick);
  return { topology, clients, mbit, window, receive: bulkRig(c, 'receive').measure(window), send: bulkRig(c, 'send').measure(window), udp: udpRoundTrips(c, quick ? RTT_ROUNDS / 4 : RTT_ROUNDS) };
}

export function rowFigures(r: TopologyRow): Figure[] {
  const at = `${r.topology}, ${r.clients} client${r.clients > 1 ? 's' : ''}, ${r.mbit} Mbit/s`;
  const measured = `the whole system (kernel, driver, ${r.topology} stacks, peer host), ${MODE}, ${STRATEGY}, ${r.mbit} Mbit/s, ${r.window.seconds * 1000} ms window after ${r.window.warmupSeconds * 1000} ms`;
  const flow = (dir: 'receive' | 'send', f: FlowResult): Figure[] => [
    emulated(`${at}: TCP bulk ${dir} goodput`, f.goodputMbit, `emulated Mbit/s (${dir === 'receive' ? 'peer → clients' : 'clients → peer'}, all flows)`, measured),
    emulated(`${at}: ${dir}, CPU busy`, f.cpu * 100, '% of the emulated CPU', measured),
    emulated(`${at}: ${dir}, per packet: cycles / kernel entries / switches / TLB refills`, f.perPacket.cycles, `cycles; ${f.perPacket.kernelEntries.toFixed(2)} / ${f.perPacket.switches.toFixed(2)} / ${f.perPacket.tlbRefills.toFixed(2)} (over ${f.packets} frames on the wire)`, measured),
  ];
  return [
    ...flow('receive', r.receive),
    ...flow('send', r.send),
    emulated(`${at}: UDP round trip, ${64}-byte datagram, median`, r.udp.medianUs, `emulated µs (min ${r.udp.minUs.toFixed(1)}, ${r.udp.samples} round trips, peer ↔ each client's echo server, quiet machine)`, measured),
  ];
}

export async function runTopologies(ctx: SectionContext, topologies: readonly Topology[] = TOPOLOGIES): Promise<SectionResult> {
  const rows: TopologyRow[] = [];
  const unavailable: TopologyData['unavailable'] = [];
  for (const topology of topologies) {
    const why = refusal(topology);
    if (why !== undefined) {
      ctx.progress(`topologies: ${topology} unavailable: ${why}`);
      unavailable.push({ topology, reason: why });
      continue;
    }
    for (const mbit of LINKS) {
      for (const clients of CLIENT_COUNTS) {
        ctx.progress(`topologies: ${topology}, ${clients} clients, ${mbit} Mbit/s`);
        rows.push(measureRow(topology, clients, mbit, ctx.quick));
      }
    }
  }
  const data: TopologyData = { rows, unavailable };
  const gaps: Unavailable[] = unavailable.map((u) => ({ what: `topology ${u.topology}`, reason: u.reason }));
  return { figures: rows.flatMap(rowFigures), data, unavailable: gaps };
}

export const topologiesSection: Section = {
  name: 'topologies',
  title: 'topologies: factored vs monolithic vs in-kernel (emulated; the whole system)',
  run: (ctx) => runTopologies(ctx),
};
