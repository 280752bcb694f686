// The x86 run's composition without node: our NE2000 card on a booted v86 platform's buses,
// the card on our wire, the echo peer and the pcap writer on the wire. `reloaded x86`
// (x86.ts, which adds the UDP bridge and reads files) and the page's x86 worker
// (emulator/web/x86/worker.ts, which fetches the wasm and the image) both assemble through
// here, so the tab runs exactly what node runs.

import { DEFAULT_IO_BASE, DEFAULT_IRQ, Ne2kCard } from '../../devices/ne2k/card.js';
import { PcapWriter } from '../../devices/pcap/writer.js';
import { EchoPeer } from '../../devices/peers/echo.js';
import { MBIT_100, Wire } from '../../devices/wire/wire.js';
import type { RunResult, V86PlatformCore } from '../platforms/v86/platform-core.js';

/** The seed of a run when the caller gives none (the CLI's --seed default). */
export const DEFAULT_X86_SEED = 1;
/** How much host time a run gets when the caller does not say (the CLI's --timeout-ms default). */
export const DEFAULT_X86_TIMEOUT_MS = 60_000;

export interface X86WireOptions {
  /** Attach the built-in echo peer. */
  echo?: boolean;
  /** Capture every frame on the wire. */
  pcap?: boolean;
  /** Wire speed in bits per second (default 100 Mbit/s). */
  bitRate?: number;
  timeoutMs?: number;
  maxCycles?: number;
  /** COM1 output, byte by byte. */
  onSerial?: (byte: number) => void;
  /** Attach more endpoints (a test's TypeScript peer) to the wire before the guest starts. */
  attach?: (wire: Wire) => void;
}

/** An endpoint reaching outside the process (x86.ts's UDP bridge): its time is the host's. */
export interface HostLink {
  open(): Promise<unknown>;
  close(): Promise<void>;
}

export interface X86RunResult {
  readonly result: RunResult;
  readonly serial: string;
  readonly pcap: Uint8Array | undefined;
  readonly card: Ne2kCard['totals'];
  readonly echoed: number;
  readonly traceHash: string;
}

export interface X86Session<P extends V86PlatformCore = V86PlatformCore> {
  readonly platform: P;
  readonly wire: Wire;
  readonly card: Ne2kCard;
  /** Run the guest to its exit (or a limit), then release v86 and the host link. */
  run(): Promise<X86RunResult>;
}

/**
 * Put card, wire and peers on `platform`, ready to run. `link`, made once the wire has its
 * other endpoints, paces emulated time to the wall clock (a real peer answers in real time).
 */
export function assembleX86On<P extends V86PlatformCore>(platform: P, opts: X86WireOptions, link?: (wire: Wire) => HostLink): X86Session<P> {
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
  const host = link?.(wire);
  const run = async (): Promise<X86RunResult> => {
    try {
      if (host) await host.open();
      const result = await platform.run({ timeoutMs: opts.timeoutMs, maxCycles: opts.maxCycles, paceToWallClock: host !== undefined });
      return { result, serial, pcap: pcap?.bytes(), card: { ...card.totals }, echoed: echo?.echoed ?? 0, traceHash: platform.trace.hash() };
    } finally {
      await host?.close();
      await platform.destroy();
    }
  };
  return { platform, wire, card, run };
}
