// `reloaded run` (the default command, what `npm start` runs): the boot scenario
// (scenario/boot.ts) with the options a user picks, its report on stdout as text or JSON,
// and optionally every frame on the wire in a pcap file. With --wire udp:HOST:PORT the wire
// goes to an external UDP frame socket instead of the built-in peer, and the run is paced to
// the wall clock until --millis or Ctrl-C; the report comes out either way. Exit code 0 when
// the run showed what it should, 2 when it found a problem (an invariant violation, the
// driver down, a client starved, wrong bytes), 1 for bad options.

import { closeSync, openSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { PcapWriter } from '../../devices/pcap/writer.js';
import { UdpBridge } from '../../devices/peers/udp-bridge.js';
import { createLogger, LOG_LEVELS } from './log.js';
import { cycleOrNone, hostileClient, hostPort, integer, lateJoin, positiveNumber, rate, revocation, udpTarget, type UdpTarget } from './options.js';
import { ATTACK_NAMES, ATTACKS } from '../../guest/hostile/attacks.js';
import { BOOT_DEFAULTS, BootOptionError, BootRun, LINK_SPEEDS, MAX_MILLIS, MODES, STRATEGIES, type BootOptions, type Hostile, type Join, type Revoke } from './scenario/boot.js';
import { MAX_CLIENTS } from './scenario/net.js';
import { formatBootReport } from './scenario/text.js';
import { TOPOLOGIES, type Topology } from './scenario/stacks.js';

/** Exit code of a run that found a problem. */
export const EXIT_PROBLEM = 2;

interface RunOptions {
  seed: number;
  millis: number;
  strategy: BootOptions['strategy'];
  mode: BootOptions['mode'];
  clients: number;
  topology: Topology;
  link: string;
  revoke?: (Revoke | 'none')[];
  revokeAt?: number | 'none';
  hostile?: { client: number; attack: string }[];
  join?: Join[];
  listAttacks?: boolean;
  loss?: number;
  dup?: number;
  reorder?: number;
  corrupt?: number;
  wire?: UdpTarget;
  wireBind?: UdpTarget;
  pcap?: string;
  json?: boolean;
  logLevel?: string;
}

/** --revoke's list as the scenario takes it: undefined (not given), 'none', or the revocations. */
function revokesOf(o: RunOptions): BootOptions['revokes'] {
  if (o.revoke === undefined) return undefined;
  if (o.revokeAt !== undefined) throw new Error("--revoke and --revoke-at: give one of them (--revoke-at N is --revoke 1@N)");
  const none = o.revoke.includes('none');
  if (none && o.revoke.length > 1) throw new Error("--revoke none: cannot be combined with other revocations");
  return none ? 'none' : (o.revoke as Revoke[]);
}

/** The catalogue of attacks, one a line: what --list-attacks prints. */
export function attackList(): string {
  return ATTACK_NAMES.map((name) => `${name.padEnd(16)} ${ATTACKS[name].summary}\n${' '.repeat(17)}threat model ${ATTACKS[name].threat}; the defence: ${ATTACKS[name].defence}`).join('\n');
}

export function runCommand(): Command {
  return new Command('run')
    .description('the boot scenario: the kernel boots, the driver takes the card, each client runs its own TCP/IP stack with echo, discard and HTTP servers, the peer host at 10.0.0.1 exercises them, client 1 revokes its bank mid-run')
    .option('--seed <n>', 'run seed (the run is a pure function of its options)', integer(0), BOOT_DEFAULTS.seed)
    .option('--millis <ms>', `emulated milliseconds to run (at most ${MAX_MILLIS})`, positiveNumber(MAX_MILLIS), BOOT_DEFAULTS.millis)
    .addOption(new Option('--strategy <s>', 'receive strategy').choices(STRATEGIES).default(BOOT_DEFAULTS.strategy))
    .addOption(new Option('--mode <m>', 'card mode').choices(MODES).default(BOOT_DEFAULTS.mode))
    .option('--clients <n>', `clients (10.0.0.2, 10.0.0.3, ...), each with its own stack and session (1 to ${MAX_CLIENTS})`, integer(1, MAX_CLIENTS), BOOT_DEFAULTS.clients)
    .addOption(new Option('--topology <t>', 'factored: a stack domain per client (the design); monolithic: one shared stack domain serving each client\'s application domain over IPC; inkernel: stacks and driver in one protection domain, no IPC').choices(TOPOLOGIES).default('factored'))
    .addOption(new Option('--link <mbit>', 'link speed in Mbit/s').choices(LINK_SPEEDS.map(String)).default('100'))
    .option('--revoke <K@CYCLE>', "client K (1 = 10.0.0.2) destroys its bank at that emulated cycle; repeatable; 'none' for no revocation (default: client 1 mid-run)", revocation)
    .option('--revoke-at <cycle>', "client 1's revocation alone: a cycle, or 'none'", cycleOrNone)
    .option('--hostile <CLIENT:ATTACK>', `client CLIENT's stack domain runs an attack instead of the honest stack (factored topology); repeatable; attacks: ${ATTACK_NAMES.join(', ')} (--list-attacks says what each does)`, hostileClient)
    .option('--join <CLIENT@CYCLE>', "client CLIENT's stack domain starts only at that emulated cycle (its bank is there from boot; factored topology); repeatable", lateJoin)
    .option('--list-attacks', 'list the attacks --hostile takes, and exit')
    .option('--loss <rate>', 'probability that the wire loses a frame (0 to 1, or a percentage)', rate)
    .option('--dup <rate>', 'probability that the wire duplicates a frame', rate)
    .option('--reorder <rate>', 'probability that the wire holds a frame back behind the next', rate)
    .option('--corrupt <rate>', 'probability that the wire flips a bit of a frame (the FCS catches it)', rate)
    .option('--wire <udp:HOST:PORT>', 'connect the wire to an external UDP frame socket instead of the built-in peer (one frame per datagram); paced to the wall clock', udpTarget)
    .option('--wire-bind <ADDR:PORT>', "the local address the --wire socket binds (default: --wire's host and PORT+1)", hostPort)
    .option('--pcap <file>', 'write every frame on the wire to a pcap file')
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--log-level <level>', 'log level on stderr (default: $RELOADED_LOG, else info)').choices(LOG_LEVELS))
    .action(async (o: RunOptions) => {
      if (o.listAttacks) return void console.log(attackList());
      const log = createLogger(o.logLevel);
      if (o.wireBind && !o.wire) throw new Error('--wire-bind: only with --wire');
      const revokes = revokesOf(o);
      const faults = { loss: o.loss, duplicate: o.dup, reorder: o.reorder, corrupt: o.corrupt };
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
      let bridge: UdpBridge | undefined;
      const wire = o.wire;
      const bind = o.wireBind ?? (wire ? { host: wire.host, port: wire.port + 1 } : undefined);
      if (wire && bind && bind.port > 65535) throw new Error(`--wire-bind: the default port ${wire.port}+1 is past 65535; give one`);
      log.info({ seed: o.seed, millis: o.millis, strategy: o.strategy, mode: o.mode, clients: o.clients, topology: o.topology, link: o.link, revokes: revokes ?? o.revokeAt ?? 'client 1 mid-run', hostile: o.hostile, joins: o.join, faults, wire }, 'boot scenario starting');
      let run: BootRun;
      try {
        run = new BootRun({
          seed: o.seed, millis: o.millis, strategy: o.strategy, mode: o.mode, clients: o.clients, topology: o.topology, link: Number(o.link), revokes, revokeAt: o.revokeAt, faults, noPeer: wire !== undefined,
          hostile: o.hostile as Hostile[] | undefined, joins: o.join,
          onWire: (w, machine) => {
            if (pcapFd !== undefined) pcap = PcapWriter.on(w, machine.config.cpuHz);
            if (wire && bind) bridge = new UdpBridge(w, { remoteAddress: wire.host, remotePort: wire.port, bindAddress: bind.host, bindPort: bind.port });
          },
        });
      } catch (e) {
        if (pcapFd !== undefined) closeSync(pcapFd);
        if (e instanceof BootOptionError) throw new Error(`--${e.message}`);
        throw e;
      }
      if (bridge) {
        try {
          const port = await bridge.open();
          log.info({ bind: `${bind!.host}:${port}`, to: `${wire!.host}:${wire!.port}` }, 'wire bridged to UDP; paced to the wall clock (Ctrl-C ends the run and prints the report)');
        } catch (e) {
          throw new Error(`--wire-bind ${bind!.host}:${bind!.port}: cannot bind: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
        const stop = () => run.stop();
        process.once('SIGINT', stop);
        const cpuHz = run.machine.config.cpuHz;
        while (!run.done) {
          await bridge.runPaced((c) => run.machine.runUntil(c), () => run.machine.now, run.target(), cpuHz);
          run.afterStride();
        }
        process.off('SIGINT', stop);
        await bridge.close();
        log.info({ datagramsIn: bridge.receivedDatagrams, padded: bridge.padded, rejected: bridge.rejected, datagramsOut: bridge.sentDatagrams }, 'the UDP bridge: frames in and out');
        if (bridge.lastError) log.warn({ error: bridge.lastError, rejected: bridge.rejected }, 'the UDP bridge saw errors');
      } else {
        while (!run.done) {
          run.machine.runUntil(run.target());
          run.afterStride();
        }
      }
      const report = run.finish();
      if (pcapFd !== undefined && pcap) {
        writeSync(pcapFd, pcap.bytes());
        closeSync(pcapFd);
      }
      console.log(o.json ? JSON.stringify(report, null, 2) : formatBootReport(report));
      log.info({ traceHash: report.trace.hash, problems: report.problems.length }, 'boot scenario done');
      if (report.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });
}
