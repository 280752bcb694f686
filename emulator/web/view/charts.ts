// Throughput and drops over the run: one point per fixed emulated interval (live/packets.ts),
// per client; drawn with the SVG writer the benchmark's charts use.

import { lineChartSvg } from '../../charts/svg.js';
import type { SeriesPoint } from '../protocol.js';
import { el } from './dom.js';

/** Points kept (at 0.5 ms each, the last 100 ms). */
const KEPT = 200;

export class ChartsView {
  private readonly throughput = el('div', { id: 'chart-throughput', class: 'chart' });
  private readonly drops = el('div', { id: 'chart-drops', class: 'chart' });
  private points: SeriesPoint[] = [];

  constructor(root: HTMLElement) {
    root.append(this.throughput, this.drops);
  }

  clear(): void {
    this.points = [];
    this.throughput.replaceChildren();
    this.drops.replaceChildren();
  }

  add(ps: readonly SeriesPoint[], cpuHz: number, clients: number): void {
    if (ps.length === 0) return;
    this.points = [...this.points, ...ps].slice(-KEPT);
    const ms = (c: number) => (c * 1000) / cpuHz;
    const interval = this.points.length > 1 ? this.points[1]!.cycle - this.points[0]!.cycle : this.points[0]!.cycle;
    const seconds = interval / cpuHz;
    const series = (value: (p: SeriesPoint, k: number) => number) =>
      Array.from({ length: clients }, (_, k) => ({ name: `client ${k + 1}`, points: this.points.map((p) => [ms(p.cycle), value(p, k)] as const) }));
    this.throughput.innerHTML = lineChartSvg({
      title: 'wire throughput per client', subtitle: 'each client\'s frames on the wire, both directions (full duplex: up to twice the link), per 0.5 ms', xLabel: 'emulated ms', yLabel: 'Mbit/s',
      series: series((p, k) => ((p.bytes[k] ?? 0) * 8) / seconds / 1e6),
    });
    this.drops.innerHTML = lineChartSvg({
      title: 'driver drops per client', subtitle: 'frames the driver dropped or rejected for each session, per interval', xLabel: 'emulated ms', yLabel: 'frames',
      series: series((p, k) => p.drops[k] ?? 0),
    });
  }
}
