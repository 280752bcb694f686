// `reloaded bench`: runs the chosen sections one after another in this process, prints their
// figures (text, or the one JSON document with --json), writes results.json and the charts to
// --out, and with --readme splices the results into the README between its markers. Speed
// lives here, never in tests.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { chartsOf } from './charts.js';
import { emulatedMachine, hostInfo, SCHEMA, summarize, type BenchDocument } from './document.js';
import { formatFigures } from './figures.js';
import { readmeResults, spliceBetweenMarkers } from './readme.js';
import { chooseSections } from './sections.js';
import { hostSecondsAsync } from './stats.js';

export interface BenchOptions {
  sections: readonly string[];
  quick: boolean;
  json: boolean;
  /** Where results.json and the charts go. */
  out: string;
  /** The README to splice the results into, if any. */
  readme?: string;
  /** Where text results go (stdout), and progress (stderr). */
  print: (line: string) => void;
  progress: (line: string) => void;
}

export async function runBench(o: BenchOptions): Promise<BenchDocument> {
  const { run, skipped } = chooseSections(o.sections, o.quick);
  const doc: BenchDocument = {
    schema: SCHEMA, quick: o.quick, startedAt: new Date().toISOString(), // wall-clock ok
    machine: { emulated: emulatedMachine(), host: hostInfo() },
    comparison: undefined!, simulation: undefined!, goals: [],
    sections: {},
  };
  for (const s of skipped) doc.sections[s.name] = { skipped: 'long: left out of --quick (name it to run it)' };
  for (const s of run) {
    o.progress(`bench: ${s.name} ...`);
    let result: Awaited<ReturnType<typeof s.run>> | undefined;
    const seconds = await hostSecondsAsync(async () => {
      result = await s.run({ quick: o.quick, progress: o.progress });
    });
    doc.sections[s.name] = { title: s.title, hostSeconds: seconds, figures: result!.figures, ...(result!.data !== undefined && { data: result!.data }), ...(result!.unavailable?.length && { unavailable: result!.unavailable }) };
    if (!o.json) {
      o.print(`\n## ${s.title}  (${seconds.toFixed(1)} host s)`);
      for (const line of formatFigures(result!.figures)) o.print(line);
      for (const u of result!.unavailable ?? []) o.print(`${u.what}: unavailable: ${u.reason}`);
    }
  }
  doc.machine.host.loadAverage.end = loadavg();
  Object.assign(doc, summarize(doc));
  const charts = chartsOf(doc);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'results.json'), `${JSON.stringify(doc, null, 2)}\n`);
  for (const c of charts) writeFileSync(join(o.out, c.file), c.svg);
  if (o.readme) {
    const chartDir = relative(dirname(resolve(o.readme)), resolve(o.out)) || '.';
    writeFileSync(o.readme, spliceBetweenMarkers(readFileSync(o.readme, 'utf8'), readmeResults(doc, charts, chartDir)));
  }
  if (o.json) o.print(JSON.stringify(doc, null, 2));
  else {
    o.print('\n## goals');
    for (const g of doc.goals) o.print(`${g.name}: ${g.target}, measured ${g.value === null ? 'n/a' : g.value.toFixed(3)}: ${g.met === null ? `unknown (${g.why})` : g.met ? 'met' : 'NOT met'}`);
    o.print(`\nresults.json and ${charts.length} chart${charts.length === 1 ? '' : 's'} in ${o.out}${o.readme ? `; ${o.readme} updated` : ''}`);
  }
  return doc;
}
