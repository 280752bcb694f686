// Benchmarks of the card and wire: frames per host second through wire + card + DMA at
// 100 Mbit/s line rate (bus-master receive, descriptors handed back at each interrupt by
// the same CPU-less driver the device tests use), and the ratio of emulated time to host
// time for that load. One rig runs throughout, in slices of 0.1 emulated second, so the
// figure is the steady state (building a 32 MiB machine is not part of it).

import { buildFrame, parseMac } from '../devices/frame.js';
import { DEFAULT_MAC } from '../devices/ne2k/card.js';
import { busMasterRig } from '../test/support/bm-driver.js';
import type { BenchResult } from './report.js';

const RING = 0x10000;
const BUFS = 0x20000;
const COUNT = 16;
/** Emulated time per slice: 0.1 s. */
const SLICE_SECONDS = 0.1;
/** Host time to measure for, after one warm-up slice. */
const MEASURE_MS = 1000;

export function benchDevices(): BenchResult[] {
  const { machine, card, source } = busMasterRig({ ring: { ringBase: RING, bufBase: BUFS, count: COUNT, bufSize: 2048 } });
  const cpuHz = machine.config.cpuHz;
  const slice = Math.round(SLICE_SECONDS * cpuHz);
  const frame = buildFrame(parseMac(DEFAULT_MAC), parseMac('02:00:00:00:00:99'), 0x88b5, new Uint8Array(1500));
  source.sendAtLineRate(Number.MAX_SAFE_INTEGER, () => frame);
  machine.runUntil(slice); // warm up the JIT
  const frames0 = card.totals.received;
  const cycles0 = machine.now;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MEASURE_MS) {
    machine.runFor(slice);
    elapsed = performance.now() - start;
  }
  const hostSeconds = elapsed / 1000;
  const frames = card.totals.received - frames0;
  const emulatedSeconds = (machine.now - cycles0) / cpuHz;
  if (card.totals.missed > 0) throw new Error(`devices bench: ${card.totals.missed} frames missed at line rate (the driver fell behind)`);
  return [
    { name: 'card+wire+DMA rx, 100 Mbit/s line rate, full-size frames', value: frames / hostSeconds, unit: 'frames/host s' },
    { name: 'emulated time / host time at that load', value: emulatedSeconds / hostSeconds, unit: '×' },
  ];
}
