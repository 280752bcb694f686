// `reloaded bench [SECTION...] [--quick] [--json] [--out DIR] [--readme]`: the benchmark
// (emulator/bench/), imported only when the command runs so that `reloaded run` does not load
// it. Exit code 0 when it ran, 2 for bad arguments (unknown sections among them).

import { Command } from 'commander';

export const DEFAULT_OUT = 'docs/bench';
export const README = 'README.md';

interface BenchFlags {
  quick?: boolean;
  json?: boolean;
  out: string;
  readme?: boolean;
}

export function benchCommand(): Command {
  const cmd = new Command('bench')
    .description('measure the machine, the kernel, the driver, the stacks and the topologies; print the figures, write results.json and SVG charts')
    .argument('[sections...]', 'sections to run (default all): machine, devices, x86, kernel, netdriver (strategies), netstack, topologies, cardmodes, boot (simulation), explore, realm')
    .option('--quick', 'a short pass (under 2 minutes): shorter windows, fewer sizes and repeats; leaves out x86, explore and realm unless named')
    .option('--json', 'print the one JSON document on stdout (progress goes to stderr)')
    .option('--out <dir>', 'where results.json and the charts go', DEFAULT_OUT)
    .option('--readme', `also regenerate the results in ${README} (between its bench markers)`)
    .action(async (sections: string[], o: BenchFlags) => {
      const { chooseSections } = await import('../bench/sections.js');
      try {
        chooseSections(sections, o.quick ?? false);
      } catch (e) {
        cmd.error(`error: ${(e as Error).message}`);
      }
      const { runBench } = await import('../bench/main.js');
      await runBench({
        sections, quick: o.quick ?? false, json: o.json ?? false, out: o.out, readme: o.readme ? README : undefined,
        print: (line) => console.log(line), progress: (line) => console.error(line),
      });
    });
  return cmd;
}
