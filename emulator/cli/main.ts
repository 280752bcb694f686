// The `reloaded` command: the composition root that assembles machine, devices, kernel and
// domains for a run. `reloaded run` is the default scenario (what `npm start` runs).

import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createLogger } from './log.js';
import { runMachineDemo } from './machine-demo.js';
import { integer, positiveNumber } from './options.js';
import { servePage } from './serve.js';
import { x86Command } from './x86.js';

const program = new Command()
  .name('reloaded')
  .description('An emulated Pentium-class PC with a bus-mastering NE2000-style card and a capability microkernel model.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode));

program
  .command('run', { isDefault: true })
  .description('run the default scenario and print what the machine did')
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

program
  .command('web')
  .description('serve the page (the same scenario in a browser tab) on 127.0.0.1')
  .option('--port <n>', 'TCP port (0 picks a free one)', integer(0, 65535), 8086)
  .action(async (opts: { port: number }) => {
    const root = fileURLToPath(new URL('./web', import.meta.url));
    const { url } = await servePage(root, opts.port);
    console.log(`reloaded page at ${url}  (?seed=N&millis=MS; Ctrl-C stops)`);
  });

program.addCommand(x86Command());

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Anything a command did not turn into its own exit code: one clear line, not a stack trace.
  console.error(`reloaded: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
