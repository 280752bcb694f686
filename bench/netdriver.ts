// Benchmark of the driver's receive strategies (DESIGN.md §5): the driver's emulated CPU
// cycles per delivered frame under copy and under flip, bus-master mode, for a range of frame
// sizes, and the crossover size from which flip is cheaper (what hybrid's threshold should
// be). The figures are emulated cycles, deterministic for a seed; only the last row is host
// time. The rig is the product's composition with a frame source on the wire (the driver
// tests' world), two stacks; each frame's destination stack is drawn from a seeded stream,
// so about half of them land in the other stack's buffer, as with real traffic. Driver CPU is
// measured as the boot scenario does (the driver thread's cycles over frames delivered),
// counted from the moment both sessions are open, so booting and opening are not part of it.

import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../emulator/cli/scenario/net.js';
import { ETH_HEADER } from '../guest/net/ethernet.js';
import { IPV4_MIN_HEADER } from '../guest/net/ipv4.js';
import { ipv4Frame } from '../guest/net/build.js';
import type { Strategy } from '../guest/netdriver/config.js';
import { sendSpaced, world } from '../test/netdriver/world.js';
import type { BenchResult } from './report.js';

/** Frame lengths measured (bytes without FCS: the Ethernet minimum to the maximum). */
const SIZES = [60, 128, 256, 512, 1024, 1514];
const STRATEGIES: readonly Strategy[] = ['copy', 'flip'];
const STACKS = 2;
/** Frames per run. */
const FRAMES = 200;
/** Cycles between two frames: wider than a full-size frame's wire time, so the driver never falls behind. */
const GAP = 60_000;
/** Cycles after the last frame for the driver and stacks to finish. */
const DRAIN = 2_000_000;

interface Run {
  driverCycles: number;
  delivered: number;
  exchanged: number;
}

function measure(strategy: Strategy, size: number): Run {
  const w = world({ mode: 'busmaster', strategy, stacks: STACKS, seed: 1 });
  runUntilOpen(w);
  if (w.clients.some((c) => c.probe.status !== 'open')) throw new Error(`netdriver bench: sessions did not open (${w.clients.map((c) => c.probe.status).join(', ')})`);
  const pick = w.machine.random.stream('bench-netdriver-destination');
  const payload = new Uint8Array(size - ETH_HEADER - IPV4_MIN_HEADER);
  const frames = Array.from({ length: FRAMES }, () => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(pick.below(STACKS)), payload }));
  const d = w.view.driver!;
  const cycles0 = w.driverDomain.thread!.cycles;
  const delivered0 = d.counters.delivered;
  const exchanged0 = d.counters.exchanged;
  const end = sendSpaced(w, frames, GAP);
  w.machine.runUntil(end + DRAIN);
  const delivered = d.counters.delivered - delivered0;
  if (delivered !== FRAMES || d.counters.missed > 0) throw new Error(`netdriver bench: ${strategy} ${size} B delivered ${delivered} of ${FRAMES} frames (${d.counters.missed} missed)`);
  return { driverCycles: w.driverDomain.thread!.cycles - cycles0, delivered, exchanged: d.counters.exchanged - exchanged0 };
}

/** Where flip becomes cheaper: the smallest measured size where it is, or, between two measured sizes, where the straight line through their (copy − flip) differences crosses zero. */
function crossover(rows: Row[]): BenchResult {
  const k = rows.findIndex((r) => r.flip < r.copy);
  const last = rows.at(-1)!.size;
  if (k < 0) return { name: 'crossover, not reached', value: last, unit: `bytes (flip no cheaper than copy up to ${last} B)` };
  const at = rows[k]!;
  if (k === 0) return { name: 'crossover, measured', value: at.size, unit: 'bytes (flip cheaper already at the smallest size)' };
  const lo = rows[k - 1]!;
  const dLo = lo.copy - lo.flip; // ≤ 0: copy no dearer
  const dHi = at.copy - at.flip; // > 0: flip cheaper
  const size = lo.size + ((at.size - lo.size) * -dLo) / (dHi - dLo);
  return { name: 'crossover, interpolated', value: Math.round(size), unit: `bytes (between ${lo.size} B and ${at.size} B; measured: flip cheaper from ${at.size} B)` };
}

interface Row {
  size: number;
  copy: number;
  flip: number;
  /** Fraction of flip's frames that landed in the other stack's buffer and were exchanged. */
  misplaced: number;
}

export function benchNetdriver(): BenchResult[] {
  const start = performance.now(); // wall-clock ok
  const rows: Row[] = [];
  let frames = 0;
  for (const size of SIZES) {
    const [copy, flip] = STRATEGIES.map((s) => measure(s, size)) as [Run, Run];
    frames += copy.delivered + flip.delivered;
    rows.push({ size, copy: copy.driverCycles / copy.delivered, flip: flip.driverCycles / flip.delivered, misplaced: flip.exchanged / flip.delivered });
  }
  const hostSeconds = (performance.now() - start) / 1000; // wall-clock ok
  // One row per size: copy's figure in the name, flip's as the value.
  const copyWidth = Math.max(...rows.map((r) => fmt(r.copy).length));
  return [
    ...rows.map((r): BenchResult => ({ name: `${String(r.size).padStart(4)} B: copy ${fmt(r.copy).padStart(copyWidth)}, flip`, value: Math.round(r.flip), unit: `driver cycles/frame (flip: ${Math.round(r.misplaced * 100)}% exchanged)` })),
    crossover(rows),
    { name: `whole section (${SIZES.length * STRATEGIES.length} runs)`, value: frames / hostSeconds, unit: `scenario frames/host s (${hostSeconds.toFixed(1)} host s)` },
  ];
}

const fmt = (cycles: number) => Math.round(cycles).toLocaleString('en-US');
