// The bench document (emulator/bench/document.ts, main.ts): a small real section run through
// runBench gives the JSON fields with sensible emulated values, and the comparison and goals
// say "unavailable" with the reason when a topology could not be composed.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize, TCP_LIMIT_MBIT } from '../../emulator/bench/document.js';
import { runBench } from '../../emulator/bench/main.js';
import type { TopologyData, TopologyRow } from '../../emulator/bench/topologies.js';
import type { FlowResult } from '../../emulator/bench/flows.js';

describe('bench document', () => {
  it('the netstack section through runBench: emulated goodput near the physical limit, per-figure rig, goals reported', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-doc-'));
    const printed: string[] = [];
    const doc = await runBench({ sections: ['netstack'], quick: true, json: false, out, print: (l) => printed.push(l), progress: () => {} });
    const figures = (doc.sections.netstack as { figures: { name: string; kind: string; value: number; measured: string }[] }).figures;
    const into1 = figures.find((f) => f.name === 'TCP bulk into 1 client, goodput')!;
    expect(into1.kind).toBe('emulated');
    expect(into1.measured).toMatch(/the whole system, factored/);
    // The stacks carry a flow at close to the wire's TCP limit, and never above it.
    expect(into1.value).toBeGreaterThan(0.8 * TCP_LIMIT_MBIT);
    expect(into1.value).toBeLessThanOrEqual(TCP_LIMIT_MBIT * 1.001);
    const rtt = figures.find((f) => f.name === 'UDP round trip, 64-byte datagram, median')!;
    expect(rtt.value).toBeGreaterThan(10);
    expect(rtt.value).toBeLessThan(1000);
    // The document: nothing measured is left out, the unmeasured is said to be so.
    expect(doc.simulation.emulatedPerHostSecond).toBeNull();
    expect(doc.goals).toHaveLength(3);
    expect(doc.goals.every((g) => g.met === null)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).sections.netstack.figures).toHaveLength(figures.length);
    expect(printed.join('\n')).toContain('TCP bulk into 1 client, goodput');
  });

  it('a topology that refused is unavailable in the comparison, with its message; measured ones give the ratio', () => {
    const flow = (goodputMbit: number): FlowResult => ({ goodputMbit, cpu: 1, packets: 100, perPacket: { cycles: 8000, kernelEntries: 20, switches: 3, tlbRefills: 10 } });
    const row = (topology: TopologyRow['topology'], mbit: number): TopologyRow => ({ topology, clients: 4, mbit: 100, window: { warmupSeconds: 0.05, seconds: 0.2 }, receive: flow(mbit), send: flow(mbit), udp: { minUs: 80, medianUs: 90, samples: 64 } });
    const data = (rows: TopologyRow[], unavailable: TopologyData['unavailable']) => ({ sections: { topologies: { title: '', hostSeconds: 1, figures: [], data: { rows, unavailable } } } });
    const gone = summarize(data([row('factored', 94)], [{ topology: 'monolithic', reason: 'topology monolithic: not built yet' }, { topology: 'inkernel', reason: 'topology inkernel: not built yet' }]));
    expect(gone.comparison.factoredOverMonolithic.value).toBeNull();
    expect(gone.comparison.factoredOverMonolithic.reason).toBe('monolithic unavailable: topology monolithic: not built yet');
    expect(gone.goals[0]!.met).toBeNull();
    expect(gone.goals[1]!.met).toBe(true); // 94 ≥ 90 % of 94.9
    const both = summarize(data([row('factored', 90), row('monolithic', 100), row('inkernel', 80)], []));
    expect(both.comparison.factoredOverMonolithic.value).toBeCloseTo(0.9);
    expect(both.comparison.factoredOverInkernel.value).toBeCloseTo(1.125);
    expect(both.goals[0]!.met).toBe(false); // 0.9 < 0.95
    expect(both.goals[1]!.met).toBe(true);
  });
});
