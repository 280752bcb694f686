// Card modes (HARDWARE.md): classic (every byte moved by the CPU through the data port, as
// Linux's ne.c does) against bus-master (the card DMAs into descriptors' buffers): TCP bulk
// goodput into and out of one client at 100 Mbit/s, the CPU's share, and CPU cycles per
// packet on the wire. Factored, flip, the whole system; emulated, one run each.

import { emulated, type Figure } from './figures.js';
import { bulkRig, type Direction, type FlowResult } from './flows.js';
import type { Section } from './section.js';
import { windowFor } from './topologies.js';

const MODES = ['classic', 'busmaster'] as const;
const DIRECTIONS: readonly Direction[] = ['receive', 'send'];

export interface CardModeRow {
  mode: (typeof MODES)[number];
  direction: Direction;
  result: FlowResult;
}

export const cardmodesSection: Section = {
  name: 'cardmodes',
  title: 'card modes: classic vs bus-master (emulated; the whole system)',
  run(ctx) {
    const window = windowFor(100, ctx.quick);
    const rows: CardModeRow[] = [];
    for (const mode of MODES) {
      for (const direction of DIRECTIONS) {
        ctx.progress(`cardmodes: ${mode}, bulk ${direction}`);
        rows.push({ mode, direction, result: bulkRig({ topology: 'factored', clients: 1, mbit: 100, mode, strategy: 'flip' }, direction).measure(window) });
      }
    }
    const measured = `the whole system, factored, 1 client, flip, 100 Mbit/s, ${window.seconds * 1000} ms window after ${window.warmupSeconds * 1000} ms`;
    const figures: Figure[] = rows.flatMap((r) => [
      emulated(`${r.mode}: TCP bulk ${r.direction} goodput`, r.result.goodputMbit, `emulated Mbit/s (${r.direction === 'receive' ? 'peer → client' : 'client → peer'})`, measured),
      emulated(`${r.mode}: ${r.direction}, CPU cycles per packet`, r.result.perPacket.cycles, `cycles (over ${r.result.packets} frames on the wire)`, measured),
      emulated(`${r.mode}: ${r.direction}, CPU busy`, r.result.cpu * 100, '% of the emulated CPU', measured),
    ]);
    return { figures, data: { rows } };
  },
};
