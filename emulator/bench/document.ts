// The one JSON document `reloaded bench --json` prints and `--out` writes as results.json:
// the machine the figures were measured under (emulated and host), every section's figures,
// the paper's comparison, the simulation speed, and the goals with whether each is met.
// Goals are reported here, never asserted in tests (host speed is not a test's business).

import { cpus, availableParallelism, loadavg } from 'node:os';
import { DEFAULT_MACHINE_CONFIG } from '../machine/config.js';
import { MEMORY_BYTES } from '../cli/scenario/net.js';
import { BOOT_DEFAULTS } from '../cli/scenario/boot.js';
import { DEFAULTS } from '../../guest/netdriver/config.js';
import type { Figure } from './figures.js';
import { TCP_PAYLOAD_FRACTION } from './flows.js';
import type { StrategyData } from './netdriver.js';
import type { SimulationData } from './boot.js';
import { SIMULATION_GOAL, LINE_RATE_CLIENTS } from './boot.js';
import type { Unavailable } from './section.js';
import type { TopologyData, TopologyRow } from './topologies.js';

export const SCHEMA = 'reloaded-bench/1';

export interface SectionRecord {
  title: string;
  /** Host seconds the section took. */
  hostSeconds: number;
  figures: Figure[];
  data?: unknown;
  unavailable?: Unavailable[];
}

export interface Ratio {
  /** Null when a side was not measured; then `reason` says why. */
  value: number | null;
  reason?: string;
  numerator?: number;
  denominator?: number;
  measured: string;
}

export interface GoalRecord {
  name: string;
  target: string;
  value: number | null;
  /** Null when the figure is unavailable. */
  met: boolean | null;
  why: string;
}

export interface BenchDocument {
  schema: typeof SCHEMA;
  quick: boolean;
  /** When the run started (host clock; not part of any figure). */
  startedAt: string;
  machine: {
    emulated: { cpuHz: number; memoryBytes: number; cardMode: string; link: string; strategy: string; hybridThreshold: number; note: string };
    host: { node: string; cpuModel: string; cores: number; loadAverage: { start: number[]; end: number[] } };
  };
  comparison: {
    factoredOverMonolithic: Ratio;
    factoredOverInkernel: Ratio;
    copyFlipCrossoverBytes: number | null;
    hybridThresholdDefault: number;
  };
  simulation: {
    emulatedPerHostSecond: { median: number; min: number; checks: 'on'; repeats: number } | null;
    checksOff: { median: number; min: number } | null;
    lineRate: { median: number; min: number; clients: number } | null;
    reason?: string;
  };
  goals: GoalRecord[];
  sections: Record<string, SectionRecord | { skipped: string }>;
}

/** The comparison's point: 4 clients at 100 Mbit/s, TCP bulk into the clients (1460-byte segments in 1514-byte frames). */
export const COMPARISON = { clients: 4, mbit: 100 } as const;
/** Goal: factored at least this fraction of monolithic's bulk goodput (the paper: "very close"). */
export const FACTORED_GOAL = 0.95;
/** The physical TCP goodput limit at 100 Mbit/s, and the line-rate goal: 90 % of it (see docs/bench.md). */
export const TCP_LIMIT_MBIT = 100 * TCP_PAYLOAD_FRACTION;
export const LINE_RATE_FRACTION = 0.9;

export function hostInfo(): BenchDocument['machine']['host'] {
  return { node: process.version, cpuModel: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), loadAverage: { start: loadavg(), end: [] } };
}

export function emulatedMachine(): BenchDocument['machine']['emulated'] {
  return {
    cpuHz: DEFAULT_MACHINE_CONFIG.cpuHz, memoryBytes: MEMORY_BYTES, cardMode: BOOT_DEFAULTS.mode, link: '100 Mbit/s', strategy: BOOT_DEFAULTS.strategy, hybridThreshold: DEFAULTS.hybridThreshold,
    note: 'the defaults of the composition; a figure measured otherwise says so in its `measured`',
  };
}

const recordOf = (doc: Pick<BenchDocument, 'sections'>, name: string): SectionRecord | undefined => {
  const r = doc.sections[name];
  return r && 'figures' in r ? r : undefined;
};

function topologyRatio(topo: TopologyData | undefined, other: 'monolithic' | 'inkernel'): Ratio {
  const measured = `TCP bulk receive goodput, factored over ${other}, ${COMPARISON.clients} clients, ${COMPARISON.mbit} Mbit/s, 1514-byte frames`;
  if (!topo) return { value: null, reason: 'the topologies section was not run', measured };
  const at = (t: string): TopologyRow | undefined => topo.rows.find((r) => r.topology === t && r.clients === COMPARISON.clients && r.mbit === COMPARISON.mbit);
  const gone = (t: string) => topo.unavailable.find((u) => u.topology === t);
  const f = at('factored');
  const o = at(other);
  if (!f) return { value: null, reason: `factored unavailable: ${gone('factored')?.reason ?? 'not measured'}`, measured };
  if (!o) return { value: null, reason: `${other} unavailable: ${gone(other)?.reason ?? 'not measured'}`, measured };
  return { value: f.receive.goodputMbit / o.receive.goodputMbit, numerator: f.receive.goodputMbit, denominator: o.receive.goodputMbit, measured };
}

/** The comparison, simulation and goals, from the sections' records. */
export function summarize(doc: Pick<BenchDocument, 'sections'>): Pick<BenchDocument, 'comparison' | 'simulation' | 'goals'> {
  const topo = recordOf(doc, 'topologies')?.data as TopologyData | undefined;
  const strategies = recordOf(doc, 'netdriver')?.data as StrategyData | undefined;
  const sim = recordOf(doc, 'boot')?.data as SimulationData | undefined;
  const mono = topologyRatio(topo, 'monolithic');
  const comparison = {
    factoredOverMonolithic: mono,
    factoredOverInkernel: topologyRatio(topo, 'inkernel'),
    copyFlipCrossoverBytes: strategies ? strategies.crossover.bytes : null,
    hybridThresholdDefault: DEFAULTS.hybridThreshold,
  };
  const simulation: BenchDocument['simulation'] = sim
    ? {
        emulatedPerHostSecond: { median: sim.checksOn.median, min: sim.checksOn.min, checks: 'on', repeats: sim.checksOn.samples.length },
        checksOff: { median: sim.checksOff.median, min: sim.checksOff.min },
        lineRate: { median: sim.lineRate.median, min: sim.lineRate.min, clients: LINE_RATE_CLIENTS },
      }
    : { emulatedPerHostSecond: null, checksOff: null, lineRate: null, reason: 'the boot section was not run' };
  const lineRow = topo?.rows.find((r) => r.topology === 'factored' && r.clients === COMPARISON.clients && r.mbit === COMPARISON.mbit);
  const lineGoal = LINE_RATE_FRACTION * TCP_LIMIT_MBIT;
  const goals: GoalRecord[] = [
    {
      name: 'factored ≥ 0.95 × monolithic bulk goodput (1514 B, 4 clients, 100 Mbit/s)', target: `≥ ${FACTORED_GOAL}`, value: mono.value,
      met: mono.value === null ? null : mono.value >= FACTORED_GOAL, why: mono.reason ?? 'the paper: the factored design performs very close to a monolithic user-level stack',
    },
    {
      name: 'line rate: TCP bulk into 4 clients at 100 Mbit/s, all flows together (factored)', target: `≥ ${lineGoal.toFixed(1)} emulated Mbit/s`, value: lineRow?.receive.goodputMbit ?? null,
      met: lineRow ? lineRow.receive.goodputMbit >= lineGoal : null,
      why: lineRow ? `90 % of the ${TCP_LIMIT_MBIT.toFixed(1)} Mbit/s physical TCP limit (1460 data bytes per 1538 bytes of wire time)` : 'the topologies section was not run',
    },
    {
      name: 'the default run keeps up with the wall clock (checks on, median)', target: `≥ ${SIMULATION_GOAL} emulated s/host s`, value: sim?.checksOn.median ?? null,
      met: sim ? sim.checksOn.median >= SIMULATION_GOAL : null, why: sim ? 'a --wire run is paced to the wall clock: below 1 it falls behind' : 'the boot section was not run',
    },
  ];
  return { comparison, simulation, goals };
}
