// Benchmarks of the card and wire: frames per host second through wire + card + DMA at
// 100 Mbit/s line rate (bus-master receive, descriptors handed back at each interrupt),
// and the ratio of emulated time to host time for that load.

import { Machine } from '../emulator/machine/machine.js';
import { attachCard, createWire } from '../devices/attach.js';
import { buildFrame, parseMac } from '../devices/frame.js';
import { FrameSource } from '../devices/peers/source.js';
import * as R from '../devices/ne2k/registers.js';
import type { BenchResult } from './report.js';

const IO = 0x300;
const RING = 0x10000;
const BUFS = 0x20000;
const COUNT = 16;
const EMULATED_CYCLES = 13_300_000; // 0.1 emulated second per run

function reg(m: Machine, page: number, r: number, v: number): void {
  m.ports.write(IO, (page << 6) | 0x22, 1);
  m.ports.write(IO + r, v, 1);
}

/** One run: 0.1 s of line-rate full-size frames into the card. Returns frames received. */
function runOnce(): { frames: number; cycles: number } {
  const m = new Machine();
  const wire = createWire(m);
  const mac = parseMac('02:52:4c:00:00:01');
  const card = attachCard(m, wire, { mac });
  const source = new FrameSource(wire);
  for (let i = 0; i < COUNT; i++) {
    m.memory.write32(RING + i * 16, BUFS + i * 2048);
    m.memory.write32(RING + i * 16 + 4, 2048);
    m.memory.write32(RING + i * 16 + 8, R.STATUS_OWN);
  }
  for (let i = 0; i < 6; i++) reg(m, 1, R.P1_PAR0 + i, mac[i]!);
  for (let i = 0; i < 4; i++) reg(m, 3, R.P3_RDBA0 + i, (RING >>> (8 * i)) & 0xff);
  reg(m, 3, R.P3_RDLEN, COUNT);
  reg(m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_IE);
  // The "driver": on each interrupt, hand every completed descriptor back.
  const events = m.eventSource('bench-driver');
  const line = card.host.irq;
  let tail = 0;
  card.host.irq = {
    raise: () => {
      line.raise();
      events.after(0, () => {
        reg(m, 3, R.P3_BMSR, 0xff);
        for (let n = 0; n < COUNT; n++) {
          const d = RING + tail * 16 + 8;
          if (m.memory.read32(d) & R.STATUS_OWN) break;
          m.memory.write32(d, R.STATUS_OWN);
          tail = (tail + 1) % COUNT;
        }
      });
    },
    lower: () => line.lower(),
  };
  reg(m, 0, R.CR, 0x22);
  const frame = buildFrame(mac, parseMac('02:00:00:00:00:99'), 0x88b5, new Uint8Array(1500));
  source.sendAtLineRate(1_000_000, () => frame);
  m.runUntil(EMULATED_CYCLES);
  return { frames: card.totals.received, cycles: EMULATED_CYCLES };
}

export function benchDevices(): BenchResult[] {
  runOnce(); // warm up the JIT
  let frames = 0;
  let cycles = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 1000) {
    const r = runOnce();
    frames += r.frames;
    cycles += r.cycles;
    elapsed = performance.now() - start;
  }
  const hostSeconds = elapsed / 1000;
  const emulatedSeconds = cycles / 133_000_000;
  return [
    { name: 'card+wire+DMA rx, 100 Mbit/s line rate, full-size frames', value: frames / hostSeconds, unit: 'frames/host s' },
    { name: 'emulated time / host time at that load', value: emulatedSeconds / hostSeconds, unit: '×' },
  ];
}
