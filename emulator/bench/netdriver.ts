// The driver's receive strategies (DESIGN.md §5): the driver's emulated CPU cycles per
// delivered frame under copy, flip and hybrid, bus-master mode, for frame sizes from 64 to
// 1514 bytes, and the crossover size from which flip is cheaper than copy: what hybrid's
// threshold should be (guest/netdriver/config.ts DEFAULTS.hybridThreshold is set from it, and
// test/bench/crossover.test.ts fails if the two drift apart). Emulated cycles, deterministic:
// one run each. The rig is the product's composition with a frame source on the wire
// (scenario/frame-world.ts), two stacks; each frame's destination stack is drawn from a
// seeded stream, so about half land in the other stack's buffer, as with real traffic. Driver
// CPU is the driver thread's cycles over frames delivered, counted from the moment both
// sessions are open, so booting and opening are not part of it.

import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../cli/scenario/net.js';
import { sendSpaced, world } from '../cli/scenario/frame-world.js';
import { ETH_HEADER } from '../../guest/net/ethernet.js';
import { IPV4_MIN_HEADER } from '../../guest/net/ipv4.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { DEFAULTS, type Strategy } from '../../guest/netdriver/config.js';
import { emulated, type Figure } from './figures.js';
import type { Section } from './section.js';

/** Frame lengths measured, in bytes without FCS: from the Ethernet minimum (with FCS) to the maximum. */
export const SIZES = [64, 128, 256, 384, 512, 768, 1024, 1280, 1514];
const QUICK_SIZES = [64, 256, 512, 1024, 1514];
export const STRATEGIES: readonly Strategy[] = ['copy', 'flip', 'hybrid'];
const STACKS = 2;
/** Frames per run. */
export const FRAMES = 200;
const QUICK_FRAMES = 60;
/** Cycles between two frames: wider than a full-size frame's wire time, so the driver never falls behind. */
const GAP = 60_000;
/** Cycles after the last frame for the driver and stacks to finish. */
const DRAIN = 2_000_000;

export interface StrategyRun {
  /** Driver cycles per delivered frame. */
  cyclesPerFrame: number;
  /** Fraction of the frames exchanged (flip: landed in the other stack's buffer). */
  exchanged: number;
}

/** The driver's cycles per frame for `strategy` at `size` bytes, over `frames` frames (hybrid with `hybridThreshold`, default the driver's). */
export function measureStrategy(strategy: Strategy, size: number, frames = FRAMES, hybridThreshold?: number): StrategyRun {
  const w = world({ mode: 'busmaster', strategy, stacks: STACKS, seed: 1, hybridThreshold });
  runUntilOpen(w);
  if (w.clients.some((c) => c.probe.status !== 'open')) throw new Error(`netdriver bench: sessions did not open (${w.clients.map((c) => c.probe.status).join(', ')})`);
  const pick = w.machine.random.stream('bench-netdriver-destination');
  const payload = new Uint8Array(size - ETH_HEADER - IPV4_MIN_HEADER);
  const list = Array.from({ length: frames }, () => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(pick.below(STACKS)), payload }));
  const d = w.view.driver!;
  const cycles0 = w.driverDomain.thread!.cycles;
  const delivered0 = d.counters.delivered;
  const exchanged0 = d.counters.exchanged;
  const end = sendSpaced(w, list, GAP);
  w.machine.runUntil(end + DRAIN);
  const delivered = d.counters.delivered - delivered0;
  if (delivered !== frames || d.counters.missed > 0) throw new Error(`netdriver bench: ${strategy} ${size} B delivered ${delivered} of ${frames} frames (${d.counters.missed} missed)`);
  return { cyclesPerFrame: (w.driverDomain.thread!.cycles - cycles0) / delivered, exchanged: (d.counters.exchanged - exchanged0) / delivered };
}

export interface SizeRow {
  size: number;
  copy: number;
  flip: number;
  /** Undefined when hybrid was not measured. */
  hybrid?: number;
  /** Fraction of flip's frames that were exchanged. */
  misplaced: number;
}

export interface Crossover {
  /** Bytes from which flip is cheaper; at the largest size measured when it never is. */
  bytes: number;
  how: 'interpolated' | 'at the smallest size' | 'not reached';
  between?: [number, number];
}

/**
 * Where flip becomes cheaper than copy: between the two measured sizes around the first where
 * it is, where the straight line through their (copy − flip) differences crosses zero.
 */
export function crossoverOf(rows: readonly Pick<SizeRow, 'size' | 'copy' | 'flip'>[]): Crossover {
  const k = rows.findIndex((r) => r.flip < r.copy);
  if (k < 0) return { bytes: rows.at(-1)!.size, how: 'not reached' };
  const at = rows[k]!;
  if (k === 0) return { bytes: at.size, how: 'at the smallest size' };
  const lo = rows[k - 1]!;
  const dLo = lo.copy - lo.flip; // ≤ 0: copy no dearer
  const dHi = at.copy - at.flip; // > 0: flip cheaper
  return { bytes: Math.round(lo.size + ((at.size - lo.size) * -dLo) / (dHi - dLo)), how: 'interpolated', between: [lo.size, at.size] };
}

export interface StrategyData {
  rows: SizeRow[];
  crossover: Crossover;
  /** The driver's default hybrid threshold, which hybrid ran with. */
  hybridDefault: number;
}

export const netdriverSection: Section = {
  name: 'netdriver',
  aliases: ['strategies'],
  title: 'receive strategies: copy / flip / hybrid, driver cycles per frame (emulated; the driver domain)',
  run(ctx) {
    const sizes = ctx.quick ? QUICK_SIZES : SIZES;
    const frames = ctx.quick ? QUICK_FRAMES : FRAMES;
    const rows: SizeRow[] = sizes.map((size) => {
      ctx.progress(`netdriver: ${size} B`);
      const [copy, flip, hybrid] = STRATEGIES.map((s) => measureStrategy(s, size, frames)) as [StrategyRun, StrategyRun, StrategyRun];
      return { size, copy: copy.cyclesPerFrame, flip: flip.cyclesPerFrame, hybrid: hybrid.cyclesPerFrame, misplaced: flip.exchanged };
    });
    const crossover = crossoverOf(rows);
    const measured = `the driver domain on the product's composition, 2 stacks, bus-master, ${frames} frames per run spaced ${GAP} cycles, half misplaced at random`;
    const figures: Figure[] = [
      ...rows.flatMap((r) => STRATEGIES.map((s) => emulated(`${String(r.size).padStart(4)} B, ${s}`, r[s as 'copy']!, `driver cycles/frame${s === 'flip' ? ` (${Math.round(r.misplaced * 100)} % exchanged)` : s === 'hybrid' ? ` (threshold ${DEFAULTS.hybridThreshold} B)` : ''}`, measured))),
      emulated(`copy/flip crossover, ${crossover.how}`, crossover.bytes, `bytes${crossover.between ? ` (between ${crossover.between[0]} B and ${crossover.between[1]} B)` : ''}; the driver's default hybrid threshold is ${DEFAULTS.hybridThreshold} B`, measured),
    ];
    const data: StrategyData = { rows, crossover, hybridDefault: DEFAULTS.hybridThreshold };
    return { figures, data };
  },
};
