// Benchmarks of the card and wire: frames per host second through wire + card + DMA at
// 100 Mbit/s line rate (bus-master receive, descriptors handed back at each interrupt by
// the same CPU-less driver the device tests use), and the ratio of emulated time to host
// time for that load.

import { buildFrame, parseMac } from '../devices/frame.js';
import { DEFAULT_MAC } from '../devices/ne2k/card.js';
import { busMasterRig } from '../test/support/bm-driver.js';
import type { BenchResult } from './report.js';

const RING = 0x10000;
const BUFS = 0x20000;
const COUNT = 16;
/** Emulated time per run: 0.1 s. */
const RUN_SECONDS = 0.1;

/** One run: 0.1 s of line-rate full-size frames into the card. Returns frames received and emulated seconds. */
function runOnce(): { frames: number; seconds: number } {
  const { machine, card, source } = busMasterRig({ ring: { ringBase: RING, bufBase: BUFS, count: COUNT, bufSize: 2048 } });
  const cpuHz = machine.config.cpuHz;
  const frame = buildFrame(parseMac(DEFAULT_MAC), parseMac('02:00:00:00:00:99'), 0x88b5, new Uint8Array(1500));
  source.sendAtLineRate(1_000_000, () => frame);
  const cycles = Math.round(RUN_SECONDS * cpuHz);
  machine.runUntil(cycles);
  return { frames: card.totals.received, seconds: cycles / cpuHz };
}

export function benchDevices(): BenchResult[] {
  runOnce(); // warm up the JIT
  let frames = 0;
  let seconds = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 1000) {
    const r = runOnce();
    frames += r.frames;
    seconds += r.seconds;
    elapsed = performance.now() - start;
  }
  const hostSeconds = elapsed / 1000;
  return [
    { name: 'card+wire+DMA rx, 100 Mbit/s line rate, full-size frames', value: frames / hostSeconds, unit: 'frames/host s' },
    { name: 'emulated time / host time at that load', value: seconds / hostSeconds, unit: '×' },
  ];
}
