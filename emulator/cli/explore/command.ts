// `reloaded explore`: sweep a scenario's critical window one offset per cycle (or --step),
// list the scenarios (--list), rerun one offset (--at, the replay of a violation) or the
// probe alone (--probe), fuzz schedules from seeds (`explore fuzz`), run one shard of either
// (--shard K/N) and merge shards' JSON reports (`explore merge`). Exit 0 when no violation
// was seen, 1 when one was, 2 for bad arguments.

import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { integer, shard } from '../options.js';
import { BUG_NAMES, BUGS, isBugName, type BugName } from './bugs.js';
import { explainFuzzSeed, explainReport, formatExplanation, type Explanation } from './explain.js';
import { explore } from './explore.js';
import { formatFuzz, mergeFuzz, summarizeFuzz, type FuzzReport } from './fuzz-report.js';
import { offsetsOf, UsageError } from './plan.js';
import { runItems } from './pool.js';
import { progressBar } from './progress.js';
import { formatSweep, mergeSweeps, MergeError, type Shard, type SweepReport } from './report.js';
import type { Scenario, ScenarioConfig } from './scenario.js';
import { scenarioNamed, SCENARIOS } from './scenarios/index.js';

export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;

interface FuzzFlags {
  explain?: boolean;
  seeds: number;
  firstSeed: number;
  bug?: string;
  shard?: Shard;
  workers: number;
  json?: boolean;
}

interface SweepFlags {
  everyOffset?: boolean;
  list?: boolean;
  seed: number;
  bug?: string;
  from?: number;
  to?: number;
  step?: number;
  at?: number;
  probe?: boolean;
  shard?: Shard;
  workers: number;
  json?: boolean;
  explain?: boolean;
}

export function exploreCommand(): Command {
  const cmd = new Command('explore')
    .description('sweep every cycle of a scenario\'s critical window with an adversarial action, checking every invariant after every event')
    .argument('[scenario]', 'scenario to sweep (--list names them)')
    .option('--list', 'list the scenarios and the planted bugs')
    .option('--seed <n>', 'run seed', integer(0), 1)
    .option('--bug <name>', `plant a known defect (${BUG_NAMES.join(', ')})`)
    .option('--from <cycle>', 'first offset (default: the window\'s first cycle)', integer(0))
    .option('--to <cycle>', 'last offset (default: the window\'s last cycle)', integer(0))
    .option('--step <n>', 'cycles between offsets', integer(1), 1)
    .option('--at <cycle>', 'run one offset (what a violation\'s replay line does)', integer(0))
    .option('--probe', 'run only the probe (the scenario without its action)')
    .addOption(new Option('--shard <K/N>', 'run the K-th of N contiguous slices of the sweep').argParser(shard))
    .option('--workers <n>', 'worker processes (one per core unless given)', integer(1, 256), Math.max(1, availableParallelism()))
    .option('--every-offset', 'run every offset, also those that act at the same instant as another (the same result, slower)')
    .option('--json', 'print the report as JSON (no progress bar)')
    .option('--explain', 'with --at or --probe: rerun it and print the events up to the violation, named (whose frame, which domain, which descriptor)')
    .action((name: string | undefined, o: SweepFlags) => exploreAction(name, o));
  cmd
    .command('fuzz')
    .description('random schedules (timer rates, arrival times, wire faults, hostile acts by several stacks) from seeds, each run checked after every event')
    .option('--seeds <n>', 'how many seeds', integer(1, 10_000_000), 100)
    .option('--first-seed <s>', 'the first seed', integer(0), 1)
    .option('--bug <name>', 'plant a known defect')
    .addOption(new Option('--shard <K/N>', 'run the K-th of N contiguous slices of the seeds').argParser(shard))
    .option('--workers <n>', 'worker processes (one per core unless given)', integer(1, 256), Math.max(1, availableParallelism()))
    .option('--json', 'print the report as JSON (no progress bar)')
    .option('--explain', 'with --seeds 1 (a failing seed\'s replay): rerun it and print the events up to the violation, named')
    .action((o: FuzzFlags, c: Command) => fuzzAction({ ...o, json: o.json ?? c.parent?.opts().json }));
  cmd
    .command('merge')
    .description('merge the JSON reports of shards of one sweep into the report of the whole sweep')
    .argument('<files...>', 'JSON reports (--json output of --shard runs)')
    .option('--json', 'print the merged report as JSON')
    // --json may come after the files, where the parent command would take it as its own.
    .action((files: string[], o: { json?: boolean }, c: Command) => mergeAction(files, { json: o.json ?? c.parent?.opts().json }));
  return cmd;
}

function listing(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length), ...BUG_NAMES.map((b) => b.length));
  return [
    'scenarios:',
    ...SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    'planted bugs (--bug), each with the scenario that must catch it:',
    ...BUG_NAMES.map((b) => `  ${b.padEnd(width)}  ${BUGS[b].summary} [${BUGS[b].caughtBy}]`),
  ].join('\n');
}

function scenarioOf(name: string | undefined): Scenario {
  if (name === undefined) throw new UsageError(`name a scenario (reloaded explore --list shows them)`);
  const sc = scenarioNamed(name);
  if (!sc) throw new UsageError(`no scenario '${name}'; there are: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return sc;
}

function bugOf(name: string | undefined): BugName | undefined {
  if (name === undefined) return undefined;
  if (!isBugName(name)) throw new UsageError(`--bug: no planted bug '${name}'; there are: ${BUG_NAMES.join(', ')}`);
  return name;
}

async function exploreAction(name: string | undefined, o: SweepFlags): Promise<void> {
  await usage(async () => {
    if (o.list) return console.log(listing());
    const sc = scenarioOf(name);
    const config: ScenarioConfig = { seed: o.seed, bug: bugOf(o.bug) };
    if (o.at !== undefined && (o.from !== undefined || o.to !== undefined || o.shard)) throw new UsageError('--at runs one offset: it does not go with --from, --to or --shard');
    if (o.explain && o.at === undefined && !o.probe) throw new UsageError('--explain explains one run, not a sweep: give it --at OFFSET (a violation\'s replay line) or --probe');
    const bar = o.json || o.probe ? undefined : progressBar(`${sc.name}${o.shard ? ` shard ${o.shard.index}/${o.shard.count}` : ''}`);
    const span = o.at !== undefined ? { from: o.at, to: o.at } : { from: o.from, to: o.to, step: o.step };
    const report = await explore(sc, config, { ...span, shard: o.shard, workers: o.workers, probeOnly: o.probe, everyOffset: o.everyOffset, progress: bar?.update });
    bar?.stop();
    finishWith(o, report, o.explain ? (explainReport(sc, config, report, o.probe === true) ?? null) : undefined);
  });
}

async function fuzzAction(o: FuzzFlags): Promise<void> {
  await usage(async () => {
    const bug = bugOf(o.bug) ?? null;
    if (o.explain && o.seeds !== 1) throw new UsageError('--explain explains one run: give it --seeds 1 (a failing seed\'s replay line)');
    const seeds = offsetsOf({ from: o.firstSeed, to: o.firstSeed + o.seeds - 1, step: 1 }, o.shard ?? null);
    const bar = o.json ? undefined : progressBar(`fuzz${o.shard ? ` shard ${o.shard.index}/${o.shard.count}` : ''}`);
    const results = await runItems({ kind: 'fuzz', bug: bug ?? undefined }, seeds, o.workers, (n) => bar?.update(n, seeds.length));
    bar?.stop();
    const report = summarizeFuzz({ firstSeed: o.firstSeed, seeds: o.seeds, bug, shard: o.shard ?? null }, results);
    const failed = report.failing[0];
    finishWith(o, report, o.explain ? (failed ? explainFuzzSeed(failed.seed, bug ?? undefined, failed) : null) : undefined);
  });
}

/** Print the report (with its explanation under --explain: null when there was no violation to explain). */
function finishWith(o: { json?: boolean }, r: SweepReport | FuzzReport, explanation?: Explanation | null): void {
  const text = () => [r.kind === 'fuzz' ? formatFuzz(r) : formatSweep(r), ...(explanation === undefined ? [] : ['', formatExplanation(explanation)])].join('\n');
  console.log(o.json ? JSON.stringify(explanation === undefined ? r : { ...r, explanation }, null, 2) : text());
  if (!r.ok) process.exitCode = EXIT_VIOLATION;
}

async function mergeAction(files: string[], o: { json?: boolean }): Promise<void> {
  await usage(() => {
    const reports = files.map((f) => {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (e) {
        throw new UsageError(`${f}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      let r: SweepReport | FuzzReport;
      try {
        r = JSON.parse(text) as SweepReport | FuzzReport;
      } catch {
        throw new UsageError(`${f}: not JSON`);
      }
      if (r?.kind !== 'sweep' && r?.kind !== 'fuzz') throw new UsageError(`${f}: not a report of reloaded explore --json`);
      return r;
    });
    try {
      const fuzz = reports.filter((r): r is FuzzReport => r.kind === 'fuzz');
      if (fuzz.length > 0 && fuzz.length < reports.length) throw new UsageError('a fuzz report cannot be merged with sweeps');
      finishWith(o, fuzz.length > 0 ? mergeFuzz(fuzz) : mergeSweeps(reports as SweepReport[]));
    } catch (e) {
      if (e instanceof MergeError || e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
  });
}

/** Run an action; a UsageError is a message on stderr and exit code 2. */
async function usage(body: () => unknown): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`reloaded explore: ${e.message}`);
    process.exitCode = EXIT_USAGE;
  }
}
