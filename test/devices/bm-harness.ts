// A bus-master "driver" for tests that needs no CPU: descriptor rings laid out in physical
// memory, the page-3 registers programmed through the port bus, and an interrupt handler
// run as an event at the cycle the card raises its line, which counts completed receive
// descriptors, hands them straight back to the card (OWN) and empties the tally counters.

import type { Machine } from '../../emulator/machine/machine.js';
import type { Ne2kCard } from '../../devices/ne2k/card.js';
import * as R from '../../devices/ne2k/registers.js';
import { IO } from './rig.js';

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
  m.ports.write(IO, (page << 6) | 0x22, 1); // NODMA + START on `page`
  m.ports.write(IO + reg, v, 1);
}

export function readReg(m: Machine, page: number, reg: number): number {
  m.ports.write(IO, (page << 6) | 0x22, 1);
  return m.ports.read(IO + reg, 1);
}

/** Start the card the way any driver does, then switch receive to the host ring. */
export function startBusMaster(m: Machine, opts: RxRingOptions & { tx?: { base: number; count: number } }): void {
  const mem = m.memory;
  for (let i = 0; i < opts.count; i++) {
    const d = opts.ringBase + i * R.DESC_BYTES;
    mem.write32(d + R.DESC_ADDR, opts.bufBase + i * opts.bufSize);
    mem.write32(d + R.DESC_CTRL, opts.bufSize);
    mem.write32(d + R.DESC_STATUS, opts.own === false ? 0 : R.STATUS_OWN);
    mem.write32(d + 12, 0);
  }
  writeReg(m, 0, R.CR, 0x21); // stop
  writeReg(m, 0, R.P0_DCR, 0x49);
  writeReg(m, 0, R.P0_RCR, R.RCR_AB);
  writeReg(m, 0, R.P0_TCR, 0);
  writeReg(m, 0, R.P0_ISR, 0xff);
  writeReg(m, 0, R.P0_IMR, R.ISR_CNT | R.ISR_RXE);
  for (let i = 0; i < 4; i++) writeReg(m, 3, R.P3_RDBA0 + i, (opts.ringBase >>> (8 * i)) & 0xff);
  writeReg(m, 3, R.P3_RDLEN, opts.count);
  if (opts.tx) {
    for (let i = 0; i < 4; i++) writeReg(m, 3, R.P3_TDBA0 + i, (opts.tx.base >>> (8 * i)) & 0xff);
    writeReg(m, 3, R.P3_TDLEN, opts.tx.count);
  }
  writeReg(m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE);
  writeReg(m, 1, R.P1_PAR0 + 0, 0x02);
  const mac = [0x02, 0x52, 0x4c, 0x00, 0x00, 0x01];
  for (let i = 0; i < 6; i++) writeReg(m, 1, R.P1_PAR0 + i, mac[i]!);
  writeReg(m, 0, R.CR, 0x22); // start, page 0
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
    readonly card: Ne2kCard,
    readonly ring: RxRingOptions,
  ) {
    const events = m.eventSource('test-driver');
    const line = card.host.irq;
    // Interpose on the card's interrupt line: the handler runs as its own event at that cycle.
    card.host.irq = {
      raise: () => {
        line.raise();
        events.after(0, () => this.interrupt());
      },
      lower: () => line.lower(),
    };
  }

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
