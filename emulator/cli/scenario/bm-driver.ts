// A bus-master "driver" that needs no CPU, shared by the device tests and the devices
// benchmark (emulator/bench/devices.ts): descriptor rings laid out in physical memory, the page-3 registers programmed
// through the port bus, and an interrupt handler run as its own event at the cycle the card
// raises its line (through attachCard's `wrapIrq` hook), which counts completed receive
// descriptors, hands them straight back to the card (OWN) and empties the tally counters.

import type { IrqLine } from '../../machine/irq.js';
import { Machine } from '../../machine/machine.js';
import type { MachineOptions } from '../../machine/config.js';
import { attachCard, createWire } from '../../../devices/attach.js';
import { parseMac } from '../../../devices/frame.js';
import { DEFAULT_IO_BASE, DEFAULT_MAC, type Ne2kCard } from '../../../devices/ne2k/card.js';
import * as R from '../../../devices/ne2k/registers.js';
import { FrameSource } from '../../../devices/peers/source.js';
import type { Wire } from '../../../devices/wire/wire.js';

const IO = DEFAULT_IO_BASE;
/** CR: no remote DMA, started (written with the page bits to select a page). */
const CR_NODMA_START = 0x22;
/** DCR as Linux's ne.c sets it: FIFO threshold 8 bytes, loopback off, word transfers. */
const DCR_LINUX = 0x49;

export interface RxRingOptions {
  ringBase: number;
  bufBase: number;
  count: number;
  bufSize: number;
  /** Give the descriptors to the card (default true). */
  own?: boolean;
  /** Return each completed descriptor to the card from the interrupt handler (default true). */
  refill?: boolean;
}

export function writeReg(m: Machine, page: number, reg: number, v: number): void {
  m.ports.write(IO, (page << 6) | CR_NODMA_START, 1);
  m.ports.write(IO + reg, v, 1);
}

export function readReg(m: Machine, page: number, reg: number): number {
  m.ports.write(IO, (page << 6) | CR_NODMA_START, 1);
  return m.ports.read(IO + reg, 1);
}

export function writeReg32(m: Machine, firstReg: number, v: number): void {
  for (let i = 0; i < 4; i++) writeReg(m, 3, firstReg + i, (v >>> (8 * i)) & 0xff);
}

/** Start the card the way any driver does, then switch receive (and transmit) to host rings. */
export function startBusMaster(m: Machine, opts: RxRingOptions & { tx?: { base: number; count: number }; mac?: Uint8Array }): void {
  const mem = m.memory;
  for (let i = 0; i < opts.count; i++) {
    const d = opts.ringBase + i * R.DESC_BYTES;
    mem.write32(d + R.DESC_ADDR, opts.bufBase + i * opts.bufSize);
    mem.write32(d + R.DESC_CTRL, opts.bufSize);
    mem.write32(d + R.DESC_STATUS, opts.own === false ? 0 : R.STATUS_OWN);
    mem.write32(d + 12, 0);
  }
  writeReg(m, 0, R.CR, R.CR_STP | R.CR_RD_ABORT);
  writeReg(m, 0, R.P0_DCR, DCR_LINUX);
  writeReg(m, 0, R.P0_RCR, R.RCR_AB);
  writeReg(m, 0, R.P0_TCR, 0);
  writeReg(m, 0, R.P0_ISR, 0xff);
  writeReg(m, 0, R.P0_IMR, R.ISR_CNT | R.ISR_RXE);
  writeReg32(m, R.P3_RDBA0, opts.ringBase);
  writeReg(m, 3, R.P3_RDLEN, opts.count);
  if (opts.tx) {
    writeReg32(m, R.P3_TDBA0, opts.tx.base);
    writeReg(m, 3, R.P3_TDLEN, opts.tx.count);
  }
  writeReg(m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE);
  const mac = opts.mac ?? parseMac(DEFAULT_MAC);
  for (let i = 0; i < 6; i++) writeReg(m, 1, R.P1_PAR0 + i, mac[i]!);
  writeReg(m, 0, R.CR, CR_NODMA_START); // start, page 0
}

export class EventDriver {
  /** Receive descriptors completed (status written, OWN clear), with their lengths. */
  received: number[] = [];
  errors = 0;
  missed = 0;
  interrupts = 0;
  unavailable = 0;
  private tail = 0;

  constructor(
    readonly m: Machine,
    readonly ring: RxRingOptions,
  ) {}

  /**
   * For attachCard's `wrapIrq`: the handler runs as its own event at the cycle the line
   * rises. (Its event source is made here, after the card's, so ties order as they would
   * for any device attached after the card.)
   */
  readonly wrapIrq = (line: IrqLine): IrqLine => {
    const events = this.m.eventSource('test-driver');
    return {
      raise: () => {
        line.raise();
        events.after(0, () => this.interrupt());
      },
      lower: () => line.lower(),
    };
  };

  private interrupt(): void {
    this.interrupts++;
    const m = this.m;
    const bmsr = readReg(m, 3, R.P3_BMSR);
    writeReg(m, 3, R.P3_BMSR, bmsr);
    if (bmsr & R.BMSR_RU) this.unavailable++;
    const isr = readReg(m, 0, R.P0_ISR);
    if (isr & R.ISR_CNT) this.readCounters();
    writeReg(m, 0, R.P0_ISR, isr);
    const r = this.ring;
    if (r.own === false) return; // a driver with no buffers to give: nothing to reap
    for (let n = 0; n < r.count; n++) {
      const d = r.ringBase + this.tail * R.DESC_BYTES;
      const status = m.memory.read32(d + R.DESC_STATUS);
      if (status & R.STATUS_OWN) break;
      if (status & R.STATUS_ERR) this.errors++;
      this.received.push(status & R.STATUS_LEN_MASK);
      if (r.refill !== false) m.memory.write32(d + R.DESC_STATUS, R.STATUS_OWN);
      this.tail = (this.tail + 1) % r.count;
    }
  }

  readCounters(): void {
    readReg(this.m, 0, R.P0_CNTR0);
    readReg(this.m, 0, R.P0_CNTR1);
    this.missed += readReg(this.m, 0, R.P0_CNTR2);
  }
}

export interface BusMasterRig {
  machine: Machine;
  wire: Wire;
  card: Ne2kCard;
  source: FrameSource;
  driver: EventDriver;
}

/** A machine, a wire, the card (MAC DEFAULT_MAC) with the event driver on its line, and a frame source; rings started. */
export function busMasterRig(opts: { ring: RxRingOptions; bitRate?: number; machine?: MachineOptions; tx?: { base: number; count: number } }): BusMasterRig {
  const machine = new Machine(opts.machine);
  const wire = createWire(machine, { bitRate: opts.bitRate });
  const driver = new EventDriver(machine, opts.ring);
  const card = attachCard(machine, wire, { wrapIrq: driver.wrapIrq });
  const source = new FrameSource(wire);
  startBusMaster(machine, { ...opts.ring, tx: opts.tx });
  return { machine, wire, card, source, driver };
}
