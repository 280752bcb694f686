// `reloaded x86`: boot a multiboot image on v86 (a real x86 CPU) with our NE2000 card on its
// buses, the card on our wire, and peers on the wire: the built-in echo peer, a bridge to an
// external UDP frame socket, a pcap writer. COM1 goes to stdout; the exit code is what the
// guest wrote to port 0xF4. This file is the composition root for that run in node: the
// platform (emulator/platforms/v86) knows no device, the devices know no platform, and they
// meet here and in x86-session.ts, the part the page's x86 worker shares.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { UdpBridge } from '../../devices/peers/udp-bridge.js';
import { MBIT_10, MBIT_100 } from '../../devices/wire/wire.js';
import { MultibootError } from '../platforms/v86/multiboot.js';
import { V86Platform } from '../platforms/v86/platform.js';
import { integer, udpTarget, type UdpTarget } from './options.js';
import { assembleX86On, DEFAULT_X86_SEED, DEFAULT_X86_TIMEOUT_MS, type X86RunResult, type X86Session, type X86WireOptions } from './x86-session.js';

export type { X86RunResult, X86Session } from './x86-session.js';

export interface X86RunOptions extends X86WireOptions {
  image: Uint8Array;
  /** Bridge the wire to this UDP frame socket (the clock then follows the wall clock). */
  udp?: UdpTarget;
  seed?: number;
  /** Let v86's JIT compile hot code: faster, but the run is then not reproducible cycle for cycle. */
  jit?: boolean;
}

/** Boot the image on v86 in node, then assemble card, wire and peers (x86-session.ts). */
export async function assembleX86(opts: X86RunOptions): Promise<X86Session<V86Platform>> {
  const platform = await V86Platform.boot(opts.image, { seed: opts.seed ?? DEFAULT_X86_SEED, jit: opts.jit ?? false });
  const udp = opts.udp;
  return assembleX86On(platform, opts, udp ? (wire) => new UdpBridge(wire, { remoteAddress: udp.host, remotePort: udp.port }) : undefined);
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
    .option('--timeout-ms <n>', 'give up after this much wall-clock time', integer(1), DEFAULT_X86_TIMEOUT_MS)
    .option('--seed <n>', 'run seed (v86 entropy and wire fault streams)', integer(0), DEFAULT_X86_SEED)
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
