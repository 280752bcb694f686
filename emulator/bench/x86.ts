// x86 figures: the benchmark guest (ne2k-selftest.asm built with -DBENCH_FRAMES, real x86
// code on v86) echoing full-size frames in classic mode, measured in one run on our card
// (with our wire and echo peer, at 100 Mbit/s) and on v86's built-in NE2000 (whose frames go
// to a JavaScript echo on v86's bus, with no wire time). Frames per host second, and for our
// card the ratio of emulated to host time. Both run with v86's JIT on (speed, not
// reproducibility, is measured here; see emulator/platforms/v86/README.md). Host figures: the
// two interleaved, min and median of the repeats.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { swapAddresses } from '../../devices/frame.js';
import { assembleX86 } from '../cli/x86.js';
import { V86Platform } from '../platforms/v86/platform.js';
import { host } from './figures.js';
import type { Section } from './section.js';
import { measureInterleaved, MIN_REPEATS, samplesOf } from './stats.js';

const IMAGE_PATH = 'emulator/platforms/v86/examples/ne2k-bench.img';

/** The image, found from this module up (the source tree runs from emulator/bench/, the bundle from dist/). */
function imagePath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, IMAGE_PATH))) return join(dir, IMAGE_PATH);
    if (dirname(dir) === dir) throw new Error(`x86 bench: ${IMAGE_PATH} not found above ${fileURLToPath(import.meta.url)}`);
  }
}
/** Frames the benchmark guest echoes (its -DBENCH_FRAMES, see examples/build.mjs); it prints the count. */
const FRAMES_RE = /bench: (\d+) frames echoed/;
const MAX_CYCLES = 20_000_000_000;

function framesOf(serial: string): number {
  const m = FRAMES_RE.exec(serial);
  if (!m) throw new Error(`the benchmark guest did not finish: ${JSON.stringify(serial.slice(-200))}`);
  return Number(m[1]);
}

async function ourCard(image: Uint8Array): Promise<{ framesPerSecond: number; realTime: number }> {
  const session = await assembleX86({ image, echo: true, maxCycles: MAX_CYCLES, jit: true });
  const start = performance.now(); // wall-clock ok
  const run = await session.run();
  const ms = performance.now() - start; // wall-clock ok
  if (run.result.kind !== 'exit' || run.result.code !== 0) throw new Error(`benchmark guest on our card: ${JSON.stringify(run.result)} ${run.serial}`);
  const frames = framesOf(run.serial);
  const emulatedMs = (run.result.cycles * 1000) / session.platform.cpuHz;
  return { framesPerSecond: (frames * 1000) / ms, realTime: emulatedMs / ms };
}

async function v86Card(image: Uint8Array): Promise<number> {
  const platform = await V86Platform.boot(image, { builtinNe2k: true, jit: true });
  let serial = '';
  platform.onSerial = (b) => (serial += String.fromCharCode(b));
  // v86's NE2000 hands transmitted frames to its bus ('net0-send') and takes received ones
  // from it ('net0-receive'): echo there, addresses swapped.
  const bus = (platform.v86.emulator as unknown as { bus: { send(name: string, data: Uint8Array): void } }).bus;
  platform.v86.emulator.add_listener('net0-send', (data: Uint8Array) => bus.send('net0-receive', swapAddresses(data)));
  const start = performance.now(); // wall-clock ok
  const result = await platform.run({ maxCycles: MAX_CYCLES });
  const ms = performance.now() - start; // wall-clock ok
  await platform.destroy();
  if (result.kind !== 'exit' || result.code !== 0) throw new Error(`benchmark guest on v86's NE2000: ${JSON.stringify(result)} ${serial}`);
  return (framesOf(serial) * 1000) / ms;
}

export const x86Section: Section = {
  name: 'x86',
  title: "x86: a real x86 guest on v86 driving our card vs v86's NE2000 (host)",
  long: true,
  async run() {
    const image = readFileSync(imagePath());
    const realTime: number[] = [];
    const s = await measureInterleaved([
      { name: 'ours', run: async () => {
        const r = await ourCard(image);
        realTime.push(r.realTime);
        return r.framesPerSecond;
      } },
      { name: 'v86', run: () => v86Card(image) },
    ], MIN_REPEATS);
    realTime.shift(); // the warm-up round's
    const guest = 'the benchmark guest (ne2k-bench.img, real x86 code on v86 with its JIT), classic mode, full-size frames';
    return {
      figures: [
        host('x86 guest, our card + wire (100 Mbit/s) + echo', s.ours!, 'frames/host s', guest),
        host('x86 guest, our card: emulated/host time', samplesOf(realTime), '× real time', guest),
        host("x86 guest, v86's built-in NE2000 + bus echo (no wire time)", s.v86!, 'frames/host s', guest),
      ],
    };
  },
};
