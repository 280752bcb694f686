// The README's results: tables made from the bench document, spliced between two marker
// comments so that `reloaded bench --readme` replaces exactly what it wrote last time and
// nothing else of the README.

import type { BenchDocument, SectionRecord } from './document.js';
import { formatNumber, type Figure } from './figures.js';
import type { Chart } from './charts.js';
import { TOPOLOGIES } from '../cli/scenario/stacks.js';
import type { TopologyData, TopologyRow } from './topologies.js';
import type { StrategyData } from './netdriver.js';

export const BEGIN_MARKER = '<!-- bench:results:begin (reloaded bench --readme writes this part) -->';
export const END_MARKER = '<!-- bench:results:end -->';

/** `text` with what lies between the markers replaced by `content`; an error if the markers are not there once each, in order. */
export function spliceBetweenMarkers(text: string, content: string): string {
  const b = text.indexOf(BEGIN_MARKER);
  const e = text.indexOf(END_MARKER);
  if (b < 0 || e < 0 || e < b || text.indexOf(BEGIN_MARKER, b + 1) >= 0 || text.indexOf(END_MARKER, e + 1) >= 0) {
    throw new Error(`the README needs the markers ${BEGIN_MARKER} and ${END_MARKER}, once each, in that order`);
  }
  return `${text.slice(0, b + BEGIN_MARKER.length)}\n${content.trim()}\n${text.slice(e)}`;
}

const sectionOf = (doc: BenchDocument, name: string): SectionRecord | undefined => {
  const r = doc.sections[name];
  return r && 'figures' in r ? r : undefined;
};

/** A figure as the table shows it: emulated exactly, host as median (min). */
function shown(f: Figure | undefined): string {
  if (!f) return 'not run';
  return f.kind === 'emulated' ? formatNumber(f.value) : `${formatNumber(f.median)} (min ${formatNumber(f.min)})`;
}

/** The row of figure `name` of `section` (a name ending in '…' matches the figures that start with the rest). */
function figureRow(doc: BenchDocument, section: string, name: string, label?: string): string {
  const prefix = name.endsWith('…') ? name.slice(0, -1) : undefined;
  const f = sectionOf(doc, section)?.figures.find((x) => (prefix === undefined ? x.name === name : x.name.startsWith(prefix) && !x.name.endsWith(', rate')));
  const goal = f?.goal ? `${f.goal.text}: ${f.goal.met ? 'met' : '**not met**'}` : '';
  return `| ${label ?? f?.name ?? name} | ${shown(f)} | ${f?.unit ?? ''} | ${f?.kind ?? ''} | ${goal} |`;
}

function topologyTable(t: TopologyData | undefined): string[] {
  if (!t) return ['(the topologies section was not run)'];
  const head = ['| topology | clients | link | receive goodput | send goodput | CPU (receive) | cycles / packet | kernel entries / packet | switches / packet | TLB refills / packet | UDP round trip, median |', '|---|---|---|---|---|---|---|---|---|---|---|'];
  const cell = (r: TopologyRow) => `| ${r.topology} | ${r.clients} | ${r.mbit} Mbit/s | ${r.receive.goodputMbit.toFixed(1)} Mbit/s | ${r.send.goodputMbit.toFixed(1)} Mbit/s | ${(r.receive.cpu * 100).toFixed(0)} % | ${formatNumber(r.receive.perPacket.cycles)} | ${r.receive.perPacket.kernelEntries.toFixed(1)} | ${r.receive.perPacket.switches.toFixed(2)} | ${r.receive.perPacket.tlbRefills.toFixed(1)} | ${r.udp.medianUs.toFixed(1)} µs |`;
  const rows = TOPOLOGIES.flatMap((tp) => {
    const gone = t.unavailable.find((u) => u.topology === tp);
    if (gone) return [`| ${tp} | | | unavailable: ${gone.reason} | | | | | | | |`];
    return t.rows.filter((r) => r.topology === tp).sort((a, b) => b.mbit - a.mbit || a.clients - b.clients).map(cell);
  });
  return [...head, ...rows];
}

/** The README's results part: machine, comparison, goals, the topology table, key figures of every section, and the charts. */
export function readmeResults(doc: BenchDocument, charts: readonly Chart[], chartDir: string): string {
  const e = doc.machine.emulated;
  const h = doc.machine.host;
  const c = doc.comparison;
  const s = doc.simulation;
  const strat = sectionOf(doc, 'netdriver')?.data as StrategyData | undefined;
  const ratio = (r: typeof c.factoredOverMonolithic) => (r.value === null ? `unavailable (${r.reason})` : `${r.value.toFixed(3)} (${r.numerator!.toFixed(1)} / ${r.denominator!.toFixed(1)} Mbit/s)`);
  const lines = [
    `Measured${doc.quick ? ' (quick pass)' : ''} on an emulated ${e.cpuHz / 1e6} MHz CPU with ${e.memoryBytes >> 20} MiB, the card in ${e.cardMode} mode on a ${e.link} wire, ${e.strategy} (unless a row says otherwise); host: node ${h.node}, ${h.cpuModel}, ${h.cores} cores, load average ${h.loadAverage.start.map((x) => x.toFixed(2)).join(' / ')} at the start. Emulated figures are exact (one run); host figures are the median (min) of interleaved repeats. Every figure and how it is measured: [docs/bench.md](docs/bench.md).`,
    '',
    '| comparison | value |',
    '|---|---|',
    `| factored over monolithic, TCP bulk receive goodput, 4 clients, 100 Mbit/s, 1514-byte frames | ${ratio(c.factoredOverMonolithic)} |`,
    `| factored over in-kernel, the same | ${ratio(c.factoredOverInkernel)} |`,
    `| copy/flip crossover (driver cycles per frame) | ${c.copyFlipCrossoverBytes === null ? 'not run' : `${c.copyFlipCrossoverBytes} bytes${strat?.crossover.between ? ` (between ${strat.crossover.between.join(' and ')} B)` : ''}`}; the driver's default hybrid threshold is ${c.hybridThresholdDefault} B |`,
    `| simulation speed, the default run, checks on | ${s.emulatedPerHostSecond ? `${s.emulatedPerHostSecond.median.toFixed(3)} (min ${s.emulatedPerHostSecond.min.toFixed(3)}) emulated s per host s` : 'not run'} |`,
    `| the same, stride checks off / TCP at line rate into 4 clients | ${s.checksOff && s.lineRate ? `${s.checksOff.median.toFixed(3)} / ${s.lineRate.median.toFixed(3)} emulated s per host s` : 'not run'} |`,
    '',
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...doc.goals.map((g) => `| ${g.name} | ${g.target} | ${g.value === null ? 'n/a' : formatNumber(g.value)} | ${g.met === null ? `unknown: ${g.why}` : g.met ? 'yes' : '**no**'} |`),
    '',
    ...topologyTable(sectionOf(doc, 'topologies')?.data as TopologyData | undefined),
    '',
    '| figure | value | unit | kind | goal |',
    '|---|---|---|---|---|',
    figureRow(doc, 'machine', 'clock events, 8 self-rescheduling chains'),
    figureRow(doc, 'machine', 'translated load32, TLB hit'),
    figureRow(doc, 'machine', 'translated load32, TLB miss + walk'),
    figureRow(doc, 'devices', 'emulated time / host time at that load (this rig only)', 'card + wire + DMA alone at line rate (no CPU, kernel or guest): emulated / host time'),
    figureRow(doc, 'x86', 'x86 guest, our card + wire (100 Mbit/s) + echo'),
    figureRow(doc, 'x86', "x86 guest, v86's built-in NE2000 + bus echo (no wire time)"),
    figureRow(doc, 'kernel', 'IPC round trip (call + reply)'),
    figureRow(doc, 'kernel', 'context switch (with signal + wait)'),
    figureRow(doc, 'kernel', 'revoke a page with 64 mappings (its frame is zeroed at its next allocation)', 'revoke a page with 64 mappings'),
    ...(['classic', 'busmaster'] as const).map((m) => figureRow(doc, 'cardmodes', `${m}: TCP bulk receive goodput`, `${m} card: TCP bulk into 1 client`)),
    ...(['classic', 'busmaster'] as const).map((m) => figureRow(doc, 'cardmodes', `${m}: receive, CPU cycles per packet`, `${m} card: CPU cycles per packet (receive)`)),
    figureRow(doc, 'explore', 'sweep copy rx, whole window…', 'explore: the whole 1514-byte copy receive window at step 1, one worker per core'),
    figureRow(doc, 'explore', 'sweep flip rx, whole window…', 'explore: the same, flip'),
    figureRow(doc, 'realm', 'hardening cost, per interleaved pair', 'what hardening the realm costs'),
    '',
    ...charts.map((ch) => `![${ch.alt}](${chartDir}/${ch.file})`),
  ];
  return lines.join('\n');
}
