// The page entry: runs the scenario in the browser tab from the URL's seed and length and
// shows the report. The report object is also left on `window.reloadedReport` so a headless
// browser test can compare its trace hash with node's.

import { runMachineDemo, type DemoReport } from '../cli/machine-demo.js';

declare global {
  interface Window {
    reloadedReport?: DemoReport | { error: string };
  }
}

function param(name: string, fallback: number, min: number): number {
  const raw = new URLSearchParams(location.search).get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`URL parameter ${name}=${raw}: expected an integer ≥ ${min}`);
  return n;
}

function show(r: DemoReport, millis: number): void {
  const rows: [string, string][] = [
    ['seed', String(r.seed)],
    ['emulated time', `${millis} ms (${r.cycles.toLocaleString('en-US')} cycles)`],
    ['events fired', r.events.toLocaleString('en-US')],
    ['timer interrupts', String(r.interrupts)],
    ['DMA beats / bytes', `${r.dmaBeats.toLocaleString('en-US')} / ${r.dmaBytes.toLocaleString('en-US')}`],
    ['TLB hits / misses', `${r.tlbHits.toLocaleString('en-US')} / ${r.tlbMisses.toLocaleString('en-US')}`],
    ['trace records', r.traceRecords.toLocaleString('en-US')],
    ['trace hash', r.traceHash],
  ];
  const table = document.getElementById('report')!;
  table.replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      const a = document.createElement('td');
      const b = document.createElement('td');
      a.textContent = k;
      b.textContent = v;
      b.className = 'n';
      if (k === 'trace hash') b.id = 'hash';
      tr.append(a, b);
      return tr;
    }),
  );
}

function main(): void {
  const status = document.getElementById('status')!;
  try {
    const seed = param('seed', 1, 0);
    const millis = param('millis', 50, 1);
    const form = document.getElementById('controls') as HTMLFormElement;
    (form.elements.namedItem('seed') as HTMLInputElement).value = String(seed);
    (form.elements.namedItem('millis') as HTMLInputElement).value = String(millis);
    const report = runMachineDemo({ seed, millis });
    show(report, millis);
    window.reloadedReport = report;
    status.textContent = 'done';
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    window.reloadedReport = { error };
    status.textContent = `error: ${error}`;
  }
}

main();
