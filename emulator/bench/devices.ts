// Benchmarks of the card and wire alone: frames per host second through wire + card + DMA at
// 100 Mbit/s line rate (bus-master receive, descriptors handed back at each interrupt by the
// CPU-less driver the device tests use, scenario/bm-driver.ts), and the ratio of emulated time
// to host time for that load. This rig has no CPU model, no kernel and no guest: its speed is
// the devices', not the system's (the boot section measures the system). One rig runs
// throughout; each sample is SLICES slices of 0.1 emulated second after one warm-up slice, the
// samples repeated, min and median reported.

import { buildFrame, parseMac } from '../../devices/frame.js';
import { DEFAULT_MAC } from '../../devices/ne2k/card.js';
import { busMasterRig } from '../cli/scenario/bm-driver.js';
import { host } from './figures.js';
import type { Section } from './section.js';
import { hostSeconds, MIN_REPEATS, samplesOf } from './stats.js';

const RING = 0x10000;
const BUFS = 0x20000;
const COUNT = 16;
/** Emulated time per slice: 0.1 s. */
const SLICE_SECONDS = 0.1;
/** Slices per sample. */
const SLICES = 4;
const REPEATS = 5;

export const devicesSection: Section = {
  name: 'devices',
  title: 'devices: card + wire + DMA alone (host; a rig with no CPU, kernel or guest)',
  run(ctx) {
    const { machine, card, source } = busMasterRig({ ring: { ringBase: RING, bufBase: BUFS, count: COUNT, bufSize: 2048 } });
    const cpuHz = machine.config.cpuHz;
    const slice = Math.round(SLICE_SECONDS * cpuHz);
    const frame = buildFrame(parseMac(DEFAULT_MAC), parseMac('02:00:00:00:00:99'), 0x88b5, new Uint8Array(1500));
    source.sendAtLineRate(Number.MAX_SAFE_INTEGER, () => frame);
    machine.runFor(slice); // warm up the JIT
    const framesPerSecond: number[] = [];
    const realTime: number[] = [];
    for (let r = 0; r < (ctx.quick ? MIN_REPEATS : REPEATS); r++) {
      const frames0 = card.totals.received;
      const cycles0 = machine.now;
      const t = hostSeconds(() => { for (let i = 0; i < SLICES; i++) machine.runFor(slice); });
      framesPerSecond.push((card.totals.received - frames0) / t);
      realTime.push((machine.now - cycles0) / cpuHz / t);
    }
    if (card.totals.missed > 0) throw new Error(`devices bench: ${card.totals.missed} frames missed at line rate (the driver fell behind)`);
    const rig = 'card + wire + DMA with a CPU-less bus-master driver (no CPU model, kernel or guest), 100 Mbit/s line rate, 1514-byte frames';
    return {
      figures: [
        host('card+wire+DMA rx, full-size frames', samplesOf(framesPerSecond), 'frames/host s', rig),
        host('emulated time / host time at that load (this rig only)', samplesOf(realTime), '× real time', rig),
      ],
    };
  },
};
