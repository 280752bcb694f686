// The charts `reloaded bench --out DIR` writes beside results.json, drawn from the document
// by svg.ts: goodput per topology and client count at 100 Mbit/s (receive and send), driver
// cycles per frame against frame size for copy, flip and hybrid with the crossover marked,
// and the per-packet breakdown (kernel entries, switches, TLB refills) per topology.

import { TOPOLOGIES } from '../cli/scenario/stacks.js';
import type { BenchDocument, SectionRecord } from './document.js';
import type { StrategyData } from './netdriver.js';
import { barChartSvg, lineChartSvg } from '../charts/svg.js';
import { CLIENT_COUNTS, type TopologyData } from './topologies.js';

export interface Chart {
  file: string;
  /** What it shows, for the README's alt text. */
  alt: string;
  svg: string;
}

const CHART_MBIT = 100;

const dataOf = <T>(doc: BenchDocument, name: string): T | undefined => {
  const r = doc.sections[name];
  return r && 'figures' in r ? ((r as SectionRecord).data as T) : undefined;
};

function topologyCharts(t: TopologyData, quick: boolean): Chart[] {
  const row = (topology: string, clients: number) => t.rows.find((r) => r.topology === topology && r.clients === clients && r.mbit === CHART_MBIT);
  const unavailable = t.unavailable.map((u) => u.topology);
  const note = `${quick ? 'quick pass; ' : ''}bus-master, flip, 1514-byte frames${unavailable.length ? `; n/a: ${unavailable.join(', ')} not measured (unavailable)` : ''}`;
  const goodput = (dir: 'receive' | 'send'): Chart => ({
    file: `topologies-${dir}.svg`,
    alt: `TCP bulk ${dir} goodput per topology and client count at ${CHART_MBIT} Mbit/s`,
    svg: barChartSvg({
      title: `TCP bulk ${dir} goodput (${dir === 'receive' ? 'peer → clients' : 'clients → peer'}), ${CHART_MBIT} Mbit/s, the whole emulated system`,
      subtitle: note,
      yLabel: 'goodput, emulated Mbit/s (all flows)',
      xLabel: 'clients',
      series: TOPOLOGIES,
      groups: CLIENT_COUNTS.map((n) => ({ label: `${n} client${n > 1 ? 's' : ''}`, values: TOPOLOGIES.map((tp) => row(tp, n)?.[dir].goodputMbit ?? null) })),
    }),
  });
  const parts = [['kernel entries', 'kernelEntries'], ['context switches', 'switches'], ['TLB refills', 'tlbRefills']] as const;
  const perPacket: Chart = {
    file: 'per-packet.svg',
    alt: `kernel entries, context switches and TLB refills per packet on the wire, per topology, TCP bulk receive at ${CHART_MBIT} Mbit/s`,
    svg: barChartSvg({
      title: `Per packet on the wire, TCP bulk receive, ${CHART_MBIT} Mbit/s: kernel entries, switches, TLB refills`,
      subtitle: note,
      yLabel: 'events per frame sent or received by the card',
      xLabel: 'topology, clients',
      series: parts.map((p) => p[0]),
      groups: TOPOLOGIES.flatMap((tp) => CLIENT_COUNTS.map((n) => ({ label: `${tp.slice(0, 4)} ${n}`, values: parts.map((p) => row(tp, n)?.receive.perPacket[p[1]] ?? null) }))),
    }),
  };
  return [goodput('receive'), goodput('send'), perPacket];
}

function strategyChart(s: StrategyData, quick: boolean): Chart {
  const names = ['copy', 'flip', 'hybrid'] as const;
  return {
    file: 'receive-strategies.svg',
    alt: 'driver cycles per received frame against frame size for copy, flip and hybrid, with the copy/flip crossover marked',
    svg: lineChartSvg({
      title: 'Receive strategies: the driver domain\'s emulated cycles per frame',
      subtitle: `${quick ? 'quick pass; ' : ''}bus-master, 2 stacks, about half the frames misplaced; hybrid with its default threshold ${s.hybridDefault} B`,
      xLabel: 'frame size, bytes (without FCS)',
      yLabel: 'driver cycles per frame (emulated)',
      series: names.map((n) => ({ name: n, points: s.rows.filter((r) => r[n] !== undefined).map((r) => [r.size, r[n]!] as const) })),
      markX: { x: s.crossover.bytes, label: `crossover ${s.crossover.bytes} B` },
    }),
  };
}

export function chartsOf(doc: BenchDocument): Chart[] {
  const t = dataOf<TopologyData>(doc, 'topologies');
  const s = dataOf<StrategyData>(doc, 'netdriver');
  return [...(t ? topologyCharts(t, doc.quick) : []), ...(s ? [strategyChart(s, doc.quick)] : [])];
}
