// Runs one x86 guest once and prints its outcome, emulated cycle count and trace hash as
// one line of JSON. determinism.test.ts bundles this file and starts it in fresh node
// processes, so each run begins with nothing compiled or cached.
//   fresh-run selftest IMAGE [--jit] [--host-delays]   the NE2000 self-test with the echo peer
//   fresh-run dma-poll [--jit] [--host-delays]         a guest polling memory that a device event writes

import { readFileSync } from 'node:fs';
import { assembleX86 } from '../../emulator/cli/x86.js';
import { V86Platform } from '../../emulator/platforms/v86/platform.js';
import { DMA_POLL_FLAG, DMA_POLL_GUEST, REPORT_PORT, tinyGuest } from './guests.js';

/** Cycles from the guest's start signal to the device's memory write. */
const DMA_DELAY = 50_000;

const [mode, ...rest] = process.argv.slice(2);
const jit = rest.includes('--jit');
/**
 * --host-delays: spend host time before some slices (as a loaded machine would), which
 * changes when v86's asynchronous JIT compilations finish relative to the guest's progress.
 */
const hostDelays = rest.includes('--host-delays');

function delaySlices(p: V86Platform): void {
  if (!hostDelays) return;
  const cpu = p.v86.cpu;
  const mainLoop = cpu.main_loop.bind(cpu);
  let slice = 0;
  cpu.main_loop = () => {
    const until = performance.now() + (slice++ % 4); // wall-clock ok: a deliberate host delay
    while (performance.now() < until); // wall-clock ok
    return mainLoop();
  };
}
if (mode === 'selftest') {
  const session = await assembleX86({ image: readFileSync(rest[0]!), echo: true, maxCycles: 50_000_000, jit });
  delaySlices(session.platform);
  const run = await session.run();
  console.log(JSON.stringify({ result: run.result, traceHash: run.traceHash }));
} else if (mode === 'dma-poll') {
  const p = await V86Platform.boot(tinyGuest(DMA_POLL_GUEST), { jit });
  delaySlices(p);
  const events = p.eventSource('poll-device');
  const kind = p.trace.kind('polls');
  p.ports.claim(REPORT_PORT, 1, {
    name: 'poll-device',
    portRead: () => 0,
    portWrite: (_port, value, width) => {
      if (width === 1) events.after(DMA_DELAY, () => p.memory.write32(DMA_POLL_FLAG, 1));
      else p.trace.record(p.now, kind, value, 0, 0);
    },
  });
  const result = await p.run({ maxCycles: 500_000_000 });
  console.log(JSON.stringify({ result, traceHash: p.trace.hash() }));
  await p.destroy();
} else {
  throw new Error('usage: fresh-run selftest IMAGE | dma-poll, then [--jit] [--host-delays]');
}
