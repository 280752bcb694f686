// `reloaded x86`: boot a multiboot image on v86 (a real x86 CPU) with our NE2000 card on its
// buses, the card on our wire, and peers on the wire: the built-in echo peer, a bridge to an
// external UDP frame socket, a pcap writer. COM1 goes to stdout; the exit code is what the
// guest wrote to port 0xF4. This file is the composition root for that run: the platform
// (emulator/platforms/v86) knows no device, the devices know no platform, and they meet here.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_IO_BASE, DEFAULT_IRQ, Ne2kCard } from '../../devices/ne2k/card.js';
import { PcapWriter } from '../../devices/pcap/writer.js';
import { EchoPeer } from '../../devices/peers/echo.js';
import { UdpBridge } from '../../devices/peers/udp-bridge.js';
import { MBIT_10, MBIT_100, Wire } from '../../devices/wire/wire.js';
import { MultibootError } from '../platforms/v86/multiboot.js';
import { V86Platform, type RunResult } from '../platforms/v86/platform.js';
import { integer, udpTarget, type UdpTarget } from './options.js';


export interface X86RunOptions {
  image: Uint8Array;
  /** Attach the built-in echo peer. */
  echo?: boolean;
  /** Bridge the wire to this UDP frame socket (the clock then follows the wall clock). */
  udp?: UdpTarget;
  /** Capture every frame on the wire. */
  pcap?: boolean;
  /** Wire speed in bits per second (default 100 Mbit/s). */
  bitRate?: number;
  timeoutMs?: number;
  maxCycles?: number;
  seed?: number;
  /** Let v86's JIT compile hot code: faster, but the run is then not reproducible cycle for cycle. */
  jit?: boolean;
  /** COM1 output, byte by byte. */
  onSerial?: (byte: number) => void;
  /** Attach more endpoints (a test's TypeScript peer) to the wire before the guest starts. */
  attach?: (wire: Wire) => void;
}

export interface X86RunResult {
  readonly result: RunResult;
  readonly serial: string;
  readonly pcap: Uint8Array | undefined;
  readonly card: Ne2kCard['totals'];
  readonly echoed: number;
  readonly traceHash: string;
}

export interface X86Session {
  readonly platform: V86Platform;
  readonly wire: Wire;
  readonly card: Ne2kCard;
  /** Run the guest to its exit (or a limit), then release v86 and the bridge's socket. */
  run(): Promise<X86RunResult>;
}

/** Assemble platform, card, wire and peers, ready to run. */
export async function assembleX86(opts: X86RunOptions): Promise<X86Session> {
  const platform = await V86Platform.boot(opts.image, { seed: opts.seed ?? 1, jit: opts.jit ?? false });
  let serial = '';
  platform.onSerial = (b) => {
    serial += String.fromCharCode(b);
    opts.onSerial?.(b);
  };
  const cpuHz = platform.cpuHz;
  const wire = new Wire({ cpuHz, bitRate: opts.bitRate ?? MBIT_100, events: platform.eventSource('wire'), random: platform.random });
  const card = new Ne2kCard(
    { ports: platform.ports, events: platform.eventSource('ne2k'), irq: platform.irq(DEFAULT_IRQ), dma: platform.dma, trace: platform.trace },
    { ioBase: DEFAULT_IO_BASE, cpuHz },
  );
  card.connect(wire);
  const echo = opts.echo ? new EchoPeer(wire) : undefined;
  const pcap = opts.pcap ? PcapWriter.on(wire, cpuHz) : undefined;
  opts.attach?.(wire);
  const bridge = opts.udp ? new UdpBridge(wire, { remoteAddress: opts.udp.host, remotePort: opts.udp.port }) : undefined;
  const run = async (): Promise<X86RunResult> => {
    try {
      if (bridge) await bridge.open();
      const result = await platform.run({ timeoutMs: opts.timeoutMs, maxCycles: opts.maxCycles, paceToWallClock: bridge !== undefined });
      return { result, serial, pcap: pcap?.bytes(), card: { ...card.totals }, echoed: echo?.echoed ?? 0, traceHash: platform.trace.hash() };
    } finally {
      await bridge?.close();
      await platform.destroy();
    }
  };
  return { platform, wire, card, run };
}

/** Assemble and run. */
export async function runX86(opts: X86RunOptions): Promise<X86RunResult> {
  return (await assembleX86(opts)).run();
}

export function x86Command(): Command {
  return new Command('x86')
    .description('boot a multiboot image on v86 (a real x86) with our NE2000 at 0x300, IRQ 9; exit with the code the guest writes to port 0xF4')
    .requiredOption('--image <file>', 'multiboot kernel image (e.g. emulator/platforms/v86/examples/ne2k-selftest.img)')
    .addOption(new Option('--peer <name>', 'attach a built-in peer to the wire').choices(['echo']))
    .option('--wire <spec>', 'bridge the wire to an external UDP frame socket: udp:HOST:PORT', udpTarget)
    .option('--pcap <file>', 'write every frame on the wire to a pcap file')
    .addOption(new Option('--mbit <n>', 'wire speed in Mbit/s').choices(['10', '100']).default('100'))
    .option('--timeout-ms <n>', 'give up after this much wall-clock time', integer(1), 60_000)
    .option('--seed <n>', 'run seed (v86 entropy and wire fault streams)', integer(0), 1)
    .option('--jit', "let v86 compile hot code (faster; the run is then not reproducible cycle for cycle)", false)
    .action(async (o: { image: string; peer?: 'echo'; wire?: UdpTarget; pcap?: string; mbit: string; timeoutMs: number; seed: number; jit: boolean }) => {
      let image: Uint8Array;
      try {
        image = readFileSync(o.image);
      } catch (e) {
        console.error(`reloaded x86: cannot read --image ${o.image}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        process.exit(2);
      }
      // Open the capture file now: a path we cannot write must fail before the guest runs,
      // not after, when its exit code would be lost.
      let pcapFd: number | undefined;
      if (o.pcap !== undefined) {
        try {
          pcapFd = openSync(o.pcap, 'w');
        } catch (e) {
          console.error(`reloaded x86: cannot write --pcap ${o.pcap}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
          process.exit(1);
        }
      }
      let run: X86RunResult;
      try {
        run = await runX86({
          image, echo: o.peer === 'echo', udp: o.wire, pcap: pcapFd !== undefined, bitRate: o.mbit === '10' ? MBIT_10 : MBIT_100,
          timeoutMs: o.timeoutMs, seed: o.seed, jit: o.jit, onSerial: (b) => process.stdout.write(String.fromCharCode(b)),
        });
      } catch (e) {
        if (e instanceof MultibootError) console.error(`reloaded x86: ${o.image} is not a bootable multiboot image: ${e.message}`);
        else console.error(`reloaded x86: cannot run ${o.image}: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(2);
      }
      if (pcapFd !== undefined) {
        if (run.pcap) writeSync(pcapFd, run.pcap);
        closeSync(pcapFd);
      }
      const r = run.result;
      if (r.kind === 'exit') process.exit(r.code);
      console.error(`reloaded x86: ${r.reason} (after ${r.cycles.toLocaleString('en-US')} emulated cycles)`);
      process.exit(r.kind === 'timeout' ? 124 : 125);
    });
}
