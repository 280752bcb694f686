// The PC's interrupt controller: two Intel 8259A PICs, the slave's INT output wired to the
// master's IR2, as on the PC/AT. Devices drive IRQ lines 0..15; the CPU reads the INTR pin
// (`interruptPending`) at its preemption points and, when it takes the interrupt, runs the
// INTA cycle (`acknowledge`) to get the vector.
//
// Source: Intel 8259A datasheet (231468); the port layout is the PC/AT's.
//
// Modelled: ICW1-ICW4 (edge-triggered, cascade, 8086 vectors, AEOI), OCW1 (IMR), OCW2
// (non-specific and specific EOI), OCW3 (read IRR / read ISR), fixed priority (IR0 highest).
// Behaviour choices, each documented where it is made:
// - Power-on: the 8259A's state is undefined until ICW1; we start with every line masked
//   (IMR 0xFF) and the BIOS's usual vector bases (0x08, 0x70), so nothing is delivered
//   before the kernel initializes the chips. ICW1 then clears IMR, as the datasheet says.
// - Edge-triggered: a rising edge latches the request in IRR; a line that falls before INTA
//   withdraws it (the datasheet requires IR to stay high until INTA, else the INTA cycle
//   yields the spurious "default IR7" vector, which is what `acknowledge` then returns).
// - The cascade input IR2 follows the slave's INT output as a level, so a slave request that
//   arrives while another slave IRQ is pending is never lost on the master's side.
// - Not modelled (accepted and ignored): priority rotation (OCW2 rotate commands still do
//   their EOI part), special mask mode, poll command, level-triggered mode (LTIM), special
//   fully nested mode, 8080 mode, buffered mode. ICW3 is accepted but the wiring is the
//   PC's fixed one. Wider-than-byte port accesses use their low byte only.

import type { Clock } from './clock.js';
import type { IrqLine } from './irq.js';
import type { PortBus, PortDevice, PortWidth } from './ports.js';
import type { Trace } from './trace.js';

export const PIC_MASTER_PORT = 0x20; // command (even) and data (odd = +1) ports
export const PIC_SLAVE_PORT = 0xa0;
const CASCADE_IRQ = 2; // master input the slave's INT drives
const SPURIOUS_IR = 7; // "default IR7" vector offset of an INTA with no request left

const ICW1 = 0x10; // even-port write with bit 4: start of initialization
const ICW1_IC4 = 0x01; // ICW4 follows
const ICW1_SNGL = 0x02; // single chip: no ICW3
const ICW4_AEOI = 0x02; // automatic end of interrupt
const OCW3 = 0x08; // even-port write with bit 3 (bit 4 clear): OCW3, else OCW2
const OCW3_RR = 0x02; // read register command; OCW3_RIS then selects ISR (else IRR)
const OCW3_RIS = 0x01;
const OCW2_EOI = 0x20; // bits 7:5 = R SL EOI
const OCW2_SL = 0x40; // specific: level in bits 2:0

export interface PicChipState {
  irr: number;
  isr: number;
  imr: number;
  level: number;
  base: number;
  initStep: number;
  needIcw4: boolean;
  single: boolean;
  autoEoi: boolean;
  readIsr: boolean;
}

export interface PicState {
  master: PicChipState;
  slave: PicChipState;
}

/** One 8259A. `offset` is the IRQ number of its IR0 (0 or 8). */
class Chip implements PortDevice {
  irr = 0; // requests latched by a rising edge, withdrawn when the line falls
  isr = 0; // in service: acknowledged, not yet ended by an EOI
  imr = 0xff; // masked inputs (power-on choice: all masked)
  level = 0; // current input levels, for edge detection
  base: number; // vector of IR0 (ICW2 bits 7:3)
  initStep = 0; // 0: operational; 2, 3, 4: the ICW expected next on the odd port
  needIcw4 = false;
  single = false;
  autoEoi = false;
  readIsr = false; // OCW3 selection for even-port reads

  constructor(
    readonly name: string,
    readonly offset: number,
    base: number,
    /** Request bits from inputs driven by a level rather than latched (the master's IR2). */
    private readonly cascade: () => number,
    private readonly onEoi: (irq: number, command: number) => void,
  ) {
    this.base = base;
  }

  /** Drive input `ir`; returns true on a rising edge (a new request). */
  setLine(ir: number, high: boolean): boolean {
    const bit = 1 << ir;
    if (!high) {
      this.level &= ~bit;
      this.irr &= ~bit;
      return false;
    }
    if (this.level & bit) return false;
    this.level |= bit;
    this.irr |= bit;
    return true;
  }

  /** The input INTA would select (fixed priority, blocked by an equal or higher one in service), or -1. */
  highest(): number {
    const req = this.requests() & ~this.imr;
    if (req === 0) return -1; // the common case, asked after every preemptible call: nothing to scan
    for (let ir = 0; ir < 8; ir++) {
      const bit = 1 << ir;
      if (this.isr & bit) return -1;
      if (req & bit) return ir;
    }
    return -1;
  }

  /** First INTA pulse for input `ir`: it moves from IRR to ISR (not in AEOI mode). */
  accept(ir: number): void {
    this.irr &= ~(1 << ir);
    if (!this.autoEoi) this.isr |= 1 << ir;
  }

  portRead(port: number, _width: PortWidth): number {
    if (port & 1) return this.imr;
    return this.readIsr ? this.isr : this.requests();
  }

  private requests(): number {
    return this.irr | this.cascade();
  }

  portWrite(port: number, value: number, _width: PortWidth): void {
    value &= 0xff;
    if ((port & 1) === 0) {
      if (value & ICW1) this.icw1(value);
      else if (value & OCW3) this.ocw3(value);
      else this.ocw2(value);
    } else if (this.initStep === 2) {
      this.base = value & 0xf8; // 8086 mode: the low 3 bits come from the IR number
      this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
    } else if (this.initStep === 3) {
      this.initStep = this.needIcw4 ? 4 : 0; // ICW3: the PC's wiring is fixed
    } else if (this.initStep === 4) {
      this.autoEoi = (value & ICW4_AEOI) !== 0;
      this.initStep = 0;
    } else {
      this.imr = value; // OCW1
    }
  }

  private icw1(value: number): void {
    // Datasheet: ICW1 resets the edge sense circuit (a line already high must fall and rise
    // again), clears IMR, selects IRR for reads, and zeroes ICW4's functions if IC4 is 0.
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.readIsr = false;
    this.autoEoi = false;
    this.needIcw4 = (value & ICW1_IC4) !== 0;
    this.single = (value & ICW1_SNGL) !== 0;
    this.initStep = 2;
  }

  private ocw2(value: number): void {
    if ((value & OCW2_EOI) === 0) return; // rotate-in-AEOI and set-priority: not modelled
    let ir = -1;
    if (value & OCW2_SL) ir = value & 7;
    else for (let i = 0; i < 8 && ir < 0; i++) if (this.isr & (1 << i)) ir = i;
    if (ir >= 0) this.isr &= ~(1 << ir);
    this.onEoi(ir >= 0 ? this.offset + ir : -1, value);
  }

  private ocw3(value: number): void {
    if (value & OCW3_RR) this.readIsr = (value & OCW3_RIS) !== 0;
  }

  save(): PicChipState {
    const { irr, isr, imr, level, base, initStep, needIcw4, single, autoEoi, readIsr } = this;
    return { irr, isr, imr, level, base, initStep, needIcw4, single, autoEoi, readIsr };
  }

  restore(s: PicChipState): void {
    Object.assign(this, {
      irr: s.irr, isr: s.isr, imr: s.imr, level: s.level, base: s.base, initStep: s.initStep,
      needIcw4: s.needIcw4, single: s.single, autoEoi: s.autoEoi, readIsr: s.readIsr,
    });
  }
}

export class Pic {
  private readonly master: Chip;
  private readonly slave: Chip;
  private readonly raiseKind: number;
  private readonly ackKind: number;
  private readonly eoiKind: number;

  constructor(
    private readonly clock: Clock,
    private readonly trace: Trace,
  ) {
    this.raiseKind = trace.kind('irq.raise');
    this.ackKind = trace.kind('irq.ack');
    this.eoiKind = trace.kind('irq.eoi');
    const eoi = (irq: number, command: number) => this.trace.record(this.clock.now, this.eoiKind, irq, command);
    this.master = new Chip('pic-master', 0, 0x08, () => this.cascadeInput(), eoi);
    this.slave = new Chip('pic-slave', 8, 0x70, () => 0, eoi);
  }

  attach(ports: PortBus): void {
    ports.claim(PIC_MASTER_PORT, 2, this.master);
    ports.claim(PIC_SLAVE_PORT, 2, this.slave);
  }

  /** The line a device drives for `irq`. */
  line(irq: number): IrqLine {
    this.check(irq);
    return { raise: () => this.raise(irq), lower: () => this.lower(irq) };
  }

  raise(irq: number): void {
    this.check(irq);
    if (this.chip(irq).setLine(irq & 7, true)) this.trace.record(this.clock.now, this.raiseKind, irq);
  }

  lower(irq: number): void {
    this.check(irq);
    this.chip(irq).setLine(irq & 7, false);
  }

  /** The INTR pin: an unmasked request of higher priority than everything in service. */
  get interruptPending(): boolean {
    return this.master.highest() >= 0;
  }

  /** The INTA cycle: returns the vector and puts its IRQ in service (both chips for a slave IRQ). */
  acknowledge(): number {
    const m = this.master.highest();
    if (m < 0) return this.acked(this.master.base + SPURIOUS_IR, -1);
    this.master.accept(m);
    if (m !== CASCADE_IRQ) return this.acked(this.master.base + m, m);
    // The master put IR2 in service and lets the slave drive the vector. On hardware the
    // slave's request can vanish between the INTA pulses; it then answers with its own IR7
    // and sets no ISR bit. Here IR2 is the slave's INT at this same instant, so this branch
    // is only a guard, but it returns what the hardware would.
    const s = this.slave.highest();
    if (s < 0) return this.acked(this.slave.base + SPURIOUS_IR, -1);
    this.slave.accept(s);
    return this.acked(this.slave.base + s, 8 + s);
  }

  saveState(): PicState {
    return { master: this.master.save(), slave: this.slave.save() };
  }

  restoreState(s: PicState): void {
    this.master.restore(s.master);
    this.slave.restore(s.slave);
  }

  /** The slave's INT output, as a request bit on the master's IR2. */
  private cascadeInput(): number {
    return this.slave.highest() >= 0 ? 1 << CASCADE_IRQ : 0;
  }

  private acked(vector: number, irq: number): number {
    this.trace.record(this.clock.now, this.ackKind, vector, irq);
    return vector;
  }

  private chip(irq: number): Chip {
    return irq < 8 ? this.master : this.slave;
  }

  private check(irq: number): void {
    // On the AT the ISA bus's IRQ 2 pin is wired to IRQ 9; master IR2 carries the cascade.
    if (!Number.isInteger(irq) || irq < 0 || irq > 15 || irq === CASCADE_IRQ) {
      throw new RangeError(`pic: no IRQ line ${irq}`);
    }
  }
}
