// `reloaded run` (the default command, what `npm start` runs): the boot scenario
// (scenario/boot.ts) with the options a user picks, its report on stdout as text or JSON,
// and optionally every frame on the wire in a pcap file. Exit code 0 when the run showed
// what it should, 2 when it found a problem (an invariant violation, the driver down, a
// client starved), 1 for bad options.

import { closeSync, openSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { PcapWriter } from '../../devices/pcap/writer.js';
import { createLogger } from './log.js';
import { cycleOrNone, integer, positiveNumber } from './options.js';
import { BOOT_DEFAULTS, BootOptionError, MAX_MILLIS, MODES, runBootScenario, STRATEGIES, type BootOptions } from './scenario/boot.js';
import { MAX_CLIENTS } from './scenario/net.js';
import { formatBootReport } from './scenario/text.js';

/** Exit code of a run that found a problem. */
export const EXIT_PROBLEM = 2;

type RunOptions = Omit<BootOptions, 'onWire'> & { pcap?: string; json?: boolean };

export function runCommand(): Command {
  return new Command('run')
    .description('the boot scenario: the kernel boots, the driver takes the card, client stacks exchange traffic with an echo peer, client 1 revokes its bank mid-run')
    .option('--seed <n>', 'run seed (the run is a pure function of its options)', integer(0), BOOT_DEFAULTS.seed)
    .option('--millis <ms>', `emulated milliseconds to run (at most ${MAX_MILLIS})`, positiveNumber(MAX_MILLIS), BOOT_DEFAULTS.millis)
    .addOption(new Option('--strategy <s>', 'receive strategy').choices(STRATEGIES).default(BOOT_DEFAULTS.strategy))
    .addOption(new Option('--mode <m>', 'card mode').choices(MODES).default(BOOT_DEFAULTS.mode))
    .option('--clients <n>', `client stacks, each with its own session (1 to ${MAX_CLIENTS})`, integer(1, MAX_CLIENTS), BOOT_DEFAULTS.clients)
    .option('--revoke-at <cycle>', "cycle at which client 1 destroys its bank, or 'none' (default: the middle of the run)", cycleOrNone)
    .option('--pcap <file>', 'write every frame on the wire to a pcap file')
    .option('--json', 'print the report as JSON')
    .action((o: RunOptions) => {
      const log = createLogger();
      // Open the capture file before the run, so a bad path fails at once.
      let pcapFd: number | undefined;
      if (o.pcap !== undefined) {
        try {
          pcapFd = openSync(o.pcap, 'w');
        } catch (e) {
          throw new Error(`--pcap ${o.pcap}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
      let pcap: PcapWriter | undefined;
      log.info({ seed: o.seed, millis: o.millis, strategy: o.strategy, mode: o.mode, clients: o.clients, revokeAt: o.revokeAt ?? 'mid' }, 'boot scenario starting');
      let report;
      try {
        report = runBootScenario({
          seed: o.seed, millis: o.millis, strategy: o.strategy, mode: o.mode, clients: o.clients, revokeAt: o.revokeAt,
          onWire: pcapFd === undefined ? undefined : (wire, machine) => (pcap = PcapWriter.on(wire, machine.config.cpuHz)),
        });
      } catch (e) {
        if (pcapFd !== undefined) closeSync(pcapFd);
        if (e instanceof BootOptionError) throw new Error(`--${e.message}`);
        throw e;
      }
      if (pcapFd !== undefined && pcap) {
        writeSync(pcapFd, pcap.bytes());
        closeSync(pcapFd);
      }
      console.log(o.json ? JSON.stringify(report, null, 2) : formatBootReport(report));
      log.info({ traceHash: report.trace.hash, problems: report.problems.length }, 'boot scenario done');
      if (report.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });
}
