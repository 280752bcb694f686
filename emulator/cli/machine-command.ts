// `reloaded machine`: the machine on its own (machine-demo.ts), guest threads doing paged
// memory work, a bus master streaming DMA, the timer interrupting; prints what it counted.

import { Command } from 'commander';
import { createLogger } from './log.js';
import { runMachineDemo } from './machine-demo.js';
import { integer, positiveNumber } from './options.js';

export function machineCommand(): Command {
  return new Command('machine')
    .description('run the machine alone (no kernel, no card): paged guest threads, DMA, the timer')
    .option('--seed <n>', 'run seed (the run is a pure function of it)', integer(0), 1)
    .option('--millis <ms>', 'emulated milliseconds to run (at most 60000)', positiveNumber(60_000), 50)
    .option('--json', 'print the report as JSON')
    .action((opts: { seed: number; millis: number; json?: boolean }) => {
      const log = createLogger();
      log.info({ seed: opts.seed, millis: opts.millis }, 'machine demo starting');
      const r = runMachineDemo({ seed: opts.seed, millis: opts.millis });
      if (opts.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, a + b)).toFixed(1)}%`;
      console.log(`reloaded machine demo: seed ${r.seed}, ${opts.millis} ms emulated (${r.cycles.toLocaleString('en-US')} cycles at 133 MHz)`);
      console.log(`  events fired        ${r.events.toLocaleString('en-US')}`);
      console.log(`  timer interrupts    ${r.interrupts}`);
      console.log(`  DMA                 ${r.dmaBeats.toLocaleString('en-US')} beats, ${r.dmaBytes.toLocaleString('en-US')} bytes`);
      console.log(`  TLB                 ${r.tlbHits.toLocaleString('en-US')} hits, ${r.tlbMisses.toLocaleString('en-US')} misses (${pct(r.tlbHits, r.tlbMisses)} hit), ${r.pageWalks.toLocaleString('en-US')} walks`);
      console.log(`  L1 data cache       ${pct(r.cacheHits, r.cacheMisses)} hit`);
      console.log(`  CPU idle            ${((100 * r.idleCycles) / r.cycles).toFixed(1)}%`);
      for (const [name, c] of Object.entries(r.threadCycles)) console.log(`  thread ${name.padEnd(12)} ${c.toLocaleString('en-US')} cycles`);
      console.log(`  trace               ${r.traceRecords.toLocaleString('en-US')} records, hash ${r.traceHash}`);
      log.info({ traceHash: r.traceHash }, 'machine demo done');
    });
}
