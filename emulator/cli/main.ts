// The `reloaded` command: the composition root that assembles machine, devices, kernel and
// domains for a run. `reloaded run` is the default scenario (what `npm start` runs);
// `reloaded machine` runs the machine alone; `reloaded bench` measures (what `npm run bench` runs).

import '../machine/realm-hardened.js';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { benchCommand } from './bench-command.js';
import { EXIT_USAGE, exploreCommand } from './explore/command.js';
import { machineCommand } from './machine-command.js';
import { integer } from './options.js';
import { runCommand } from './run-command.js';
import { servePage } from './serve.js';
import { x86Command } from './x86.js';

const program = new Command()
  .name('reloaded')
  .description('An emulated Pentium-class PC with a bus-mastering NE2000-style card and a capability microkernel model.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode));

program.addCommand(runCommand().copyInheritedSettings(program), { isDefault: true });
program.addCommand(machineCommand().copyInheritedSettings(program));

program
  .command('web')
  .description('serve the page (the same scenario in a browser tab) on 127.0.0.1')
  .option('--port <n>', 'TCP port (0 picks a free one)', integer(0, 65535), 8086)
  .action(async (opts: { port: number }) => {
    const root = fileURLToPath(new URL('./web', import.meta.url));
    const { url } = await servePage(root, opts.port);
    console.log(`reloaded page at ${url}  (open it in a browser; URL parameters such as ?seed=N&millis=MS&clients=N&paused=1 set the first run, see docs/web.md; Ctrl-C stops)`);
  });

program.addCommand(x86Command());
// Bad arguments to explore exit 2 (1 means the exploration found a violation).
program.addCommand(withExitCode(exploreCommand(), EXIT_USAGE));
program.addCommand(withExitCode(benchCommand(), EXIT_USAGE));

/** A command whose (and whose subcommands') argument errors exit with `code`. */
function withExitCode(cmd: Command, code: number): Command {
  for (const c of [cmd, ...cmd.commands]) c.showHelpAfterError().exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : code));
  return cmd;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Anything a command did not turn into its own exit code: one clear line, not a stack trace.
  console.error(`reloaded: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
