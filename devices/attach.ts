// Composition helpers for the built-in machine: a wire on the machine's clock and seeded
// random streams, and the card on its port bus, PIC, DMA engine and trace. (Another
// platform, such as v86, builds a CardHost of its own instead.)

import type { IrqLine } from '../emulator/machine/irq.js';
import type { Machine } from '../emulator/machine/machine.js';
import { DEFAULT_IRQ, Ne2kCard, type CardOptions } from './ne2k/card.js';
import type { FaultRates } from './wire/faults.js';
import { MBIT_100, Wire } from './wire/wire.js';

export interface WireConfig {
  /** 10 or 100 Mbit/s (default 100). */
  bitRate?: number;
  faults?: FaultRates;
  /** Event source name (default 'wire'); one per wire. */
  name?: string;
}

export function createWire(machine: Machine, cfg: WireConfig = {}): Wire {
  return new Wire({
    cpuHz: machine.config.cpuHz,
    bitRate: cfg.bitRate ?? MBIT_100,
    events: machine.eventSource(cfg.name ?? 'wire'),
    random: machine.random,
    faults: cfg.faults,
  });
}

/** The card's options on the built-in machine: its CPU clock is the machine's. */
export interface CardConfig extends Omit<CardOptions, 'cpuHz'> {
  /** IRQ line (default 9). */
  irq?: number;
  /**
   * Wrap the interrupt line the card drives (the PIC input `irq`): a driver that runs
   * without a CPU (tests, benchmarks) passes a line that also schedules its handler.
   */
  wrapIrq?: (line: IrqLine) => IrqLine;
}

/** Build the card on `machine` and, if given, connect it to `wire`. */
export function attachCard(machine: Machine, wire?: Wire, cfg: CardConfig = {}): Ne2kCard {
  const { irq, wrapIrq, ...opts } = cfg;
  const name = opts.name ?? 'ne2k';
  const line = machine.irq(irq ?? DEFAULT_IRQ);
  const card = new Ne2kCard(
    { ports: machine.ports, events: machine.eventSource(name), irq: wrapIrq ? wrapIrq(line) : line, dma: machine.dma, trace: machine.trace },
    { ...opts, name, cpuHz: machine.config.cpuHz },
  );
  if (wire) card.connect(wire);
  return card;
}
