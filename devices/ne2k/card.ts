// The NE2000-compatible card: a DP8390 register file behind 32 I/O ports, its 16 KiB
// buffer memory and address PROM, the buffer-ring receiver and the transmitter (both
// timed by the wire), and the page-3 bus-master extension (busmaster.ts). It sees the
// machine only through CardHost, so the same card can sit on another platform (v86).
//
// Datasheet behaviour kept where emulators cut corners: STP sets ISR.RST; a full ring
// raises OVW and counts a missed packet; PTX/TSR come when the frame has left the wire;
// the tally counters clear on read; a zero-count remote DMA raises RDC at once.

import type { EventSource, ScheduledEvent } from '../../emulator/machine/clock.js';
import type { DmaEngine } from '../../emulator/machine/dma.js';
import type { IrqLine } from '../../emulator/machine/irq.js';
import type { PortDevice, PortWidth } from '../../emulator/machine/ports.js';
import type { Trace } from '../../emulator/machine/trace.js';
import { ETH_MAX_FRAME, ETH_MIN_FRAME, FCS_BYTES, isMulticast, MAC_BYTES, parseMac, putFcs } from '../frame.js';
import { Reception, type ReceptionState } from '../wire/reception.js';
import { WireTiming } from '../wire/timing.js';
import { MBIT_10, type Wire, type WireEndpoint, type WirePort } from '../wire/wire.js';
import { BusMaster, type BusMasterState } from './busmaster.js';
import { accepts } from './filter.js';
import { promImage, PROM_WINDOW } from './prom.js';
import * as R from './registers.js';
import { ringStore, ringValid } from './ring.js';

/** What the card needs from a platform. */
export interface CardHost {
  ports: { claim(base: number, count: number, device: PortDevice): void };
  events: EventSource;
  irq: IrqLine;
  dma: Pick<DmaEngine, 'read' | 'write'>;
  trace: Trace;
}

export interface CardOptions {
  /** I/O base (default 0x300). */
  ioBase?: number;
  /** MAC address (default 02:52:4c:00:00:01, locally administered). */
  mac?: Uint8Array | string;
  name?: string;
  /** CPU clock in Hz, for timing a looped-back frame when no wire is attached (required: it must match the machine's). */
  cpuHz: number;
}

export const DEFAULT_IO_BASE = 0x300;
export const DEFAULT_IRQ = 9;
export const DEFAULT_MAC = '02:52:4c:00:00:01';

/** Frame bytes after which the destination address is known and the filter can decide. */
const FILTER_BYTES = MAC_BYTES;

/** Plain register state (saved and restored as is). */
export interface CardRegs {
  cr: number;
  isr: number;
  imr: number;
  dcr: number;
  tcr: number;
  rcr: number;
  pstart: number;
  pstop: number;
  bnry: number;
  curr: number;
  tpsr: number;
  tbcr: number;
  rsar: number;
  rbcr: number;
  crda: number;
  rsr: number;
  tsr: number;
  cntr: number[];
  par: number[];
  mar: number[];
}

export interface CardState {
  regs: CardRegs;
  buffer: number[];
  irqLevel: boolean;
  rx: { phase: 'filter' | 'ring'; reception: ReceptionState } | undefined;
  bm: BusMasterState;
}

function resetRegs(): CardRegs {
  return {
    cr: R.CR_STP | R.CR_RD_ABORT,
    isr: R.ISR_RST,
    imr: 0,
    dcr: 0,
    tcr: 0,
    rcr: 0,
    pstart: 0,
    pstop: 0,
    bnry: 0,
    curr: 0,
    tpsr: 0,
    tbcr: 0,
    rsar: 0,
    rbcr: 0,
    crda: 0,
    rsr: 0,
    tsr: 0,
    cntr: [0, 0, 0],
    par: [0, 0, 0, 0, 0, 0],
    mar: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}

export class Ne2kCard implements PortDevice, WireEndpoint {
  readonly name: string;
  readonly ioBase: number;
  readonly mac: Uint8Array;
  regs: CardRegs = resetRegs();
  /** The board's buffer address space 0x0000–0x7FFF; RAM at 0x4000–0x7FFF. */
  readonly buffer = new Uint8Array(R.BUFFER_END);
  private readonly prom: Uint8Array;
  private readonly par = new Uint8Array(MAC_BYTES);
  private readonly mar = new Uint8Array(8);
  readonly bm: BusMaster;
  wirePort: WirePort | undefined;
  /** Totals that never clear (the 8-bit tally counters saturate): for tests and statistics. */
  readonly totals = { received: 0, transmitted: 0, missed: 0, crcErrors: 0, overflows: 0 };
  private irqLevel = false;
  private rx: { phase: 'filter' | 'ring'; reception: Reception; event: ScheduledEvent } | undefined;
  private txBusy = false;
  private readonly kinds;
  private readonly loopTiming: WireTiming;

  constructor(
    readonly host: CardHost,
    opts: CardOptions,
  ) {
    this.name = opts.name ?? 'ne2k';
    this.ioBase = opts.ioBase ?? DEFAULT_IO_BASE;
    const mac = opts.mac ?? DEFAULT_MAC;
    this.mac = typeof mac === 'string' ? parseMac(mac) : Uint8Array.from(mac);
    if (this.mac.length !== MAC_BYTES) throw new RangeError(`${this.name}: MAC must have 6 bytes`);
    this.prom = promImage(this.mac);
    this.loopTiming = new WireTiming(opts.cpuHz, MBIT_10);
    this.bm = new BusMaster(this);
    this.kinds = {
      rx: host.trace.kind('ne2k.rx'),
      tx: host.trace.kind('ne2k.tx'),
      drop: host.trace.kind('ne2k.drop'),
      irq: host.trace.kind('ne2k.irq'),
    };
    host.ports.claim(this.ioBase, R.PORT_COUNT, this);
  }

  /** Attach the card to a wire. */
  connect(wire: Wire): WirePort {
    if (this.wirePort) throw new Error(`${this.name}: already connected to a wire`);
    this.wirePort = wire.attach(this);
    return this.wirePort;
  }

  get now(): number {
    return this.host.events.clock.now;
  }

  get started(): boolean {
    return (this.regs.cr & (R.CR_STP | R.CR_STA)) === R.CR_STA;
  }

  // ---------------------------------------------------------------- interrupts

  setIsr(bits: number): void {
    this.regs.isr |= bits;
    this.updateIrq();
  }

  updateIrq(): void {
    const level = (this.regs.isr & this.regs.imr & R.ISR_IRQ_MASK) !== 0 || this.bm.interruptPending;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.host.trace.record(this.now, this.kinds.irq, level ? 1 : 0, this.regs.isr, this.bm.regs.bmsr);
    if (level) this.host.irq.raise();
    else this.host.irq.lower();
  }

  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  /** Count into tally counter `i` (0 alignment, 1 CRC, 2 missed): saturates, sets ISR.CNT when its MSB sets. */
  count(i: 0 | 1 | 2): void {
    const c = this.regs.cntr;
    if (c[i]! < R.COUNTER_MAX) c[i]!++;
    if (i === 1) this.totals.crcErrors++;
    if (i === 2) this.totals.missed++;
    if (c[i]! & R.COUNTER_MSB) this.setIsr(R.ISR_CNT);
  }

  // ---------------------------------------------------------------- ports

  portRead(port: number, width: PortWidth): number {
    const off = port - this.ioBase;
    if (off === R.NE_DATAPORT) return this.dataRead(width);
    if (off === R.NE_RESET) {
      this.reset();
      return 0;
    }
    if (off > 0x0f) return 0xff;
    return this.regRead(off);
  }

  portWrite(port: number, value: number, width: PortWidth): void {
    const off = port - this.ioBase;
    if (off === R.NE_DATAPORT) return this.dataWrite(value, width);
    if (off === R.NE_RESET) return; // writing ends the reset pulse
    if (off > 0x0f) return;
    this.regWrite(off, value & 0xff);
  }

  private page(): number {
    return this.regs.cr >> R.CR_PS_SHIFT;
  }

  private regRead(off: number): number {
    const r = this.regs;
    if (off === R.CR) return r.cr;
    switch (this.page()) {
      case 0:
        switch (off) {
          case R.P0_CLDA0:
            return 0;
          case R.P0_CLDA1:
            return r.curr;
          case R.P0_BNRY:
            return r.bnry;
          case R.P0_TSR:
            return r.tsr;
          case R.P0_NCR:
          case R.P0_FIFO:
            return 0;
          case R.P0_ISR:
            return r.isr;
          case R.P0_CRDA0:
            return r.crda & 0xff;
          case R.P0_CRDA1:
            return r.crda >> 8;
          case R.P0_ID0:
            return R.ID_BYTE0;
          case R.P0_ID1:
            return R.ID_BYTE1;
          case R.P0_RSR:
            return r.rsr;
          case R.P0_CNTR0:
          case R.P0_CNTR1:
          case R.P0_CNTR2: {
            const i = off - R.P0_CNTR0;
            const v = r.cntr[i]!;
            r.cntr[i] = 0; // clear on read
            return v;
          }
        }
        return 0;
      case 1:
        if (off === R.P1_CURR) return r.curr;
        if (off >= R.P1_MAR0) return r.mar[off - R.P1_MAR0]!;
        return r.par[off - R.P1_PAR0]!;
      case 2:
        switch (off) {
          case R.P2_PSTART:
            return r.pstart;
          case R.P2_PSTOP:
            return r.pstop;
          case R.P2_TPSR:
            return r.tpsr;
          case R.P2_RCR:
            return r.rcr;
          case R.P2_TCR:
            return r.tcr;
          case R.P2_DCR:
            return r.dcr;
          case R.P2_IMR:
            return r.imr;
        }
        return 0;
      default:
        return this.bm.regRead(off);
    }
  }

  private regWrite(off: number, v: number): void {
    const r = this.regs;
    if (off === R.CR) return this.command(v);
    switch (this.page()) {
      case 0:
        switch (off) {
          case R.P0_PSTART:
            r.pstart = v;
            return;
          case R.P0_PSTOP:
            r.pstop = v;
            return;
          case R.P0_BNRY:
            r.bnry = v;
            return;
          case R.P0_TPSR:
            r.tpsr = v;
            return;
          case R.P0_TBCR0:
            r.tbcr = (r.tbcr & 0xff00) | v;
            return;
          case R.P0_TBCR1:
            r.tbcr = (r.tbcr & 0xff) | (v << 8);
            return;
          case R.P0_ISR:
            r.isr &= ~v | R.ISR_RST; // write 1 to clear; RST is status only
            this.updateIrq();
            return;
          case R.P0_RSAR0:
            r.rsar = (r.rsar & 0xff00) | v;
            r.crda = r.rsar;
            return;
          case R.P0_RSAR1:
            r.rsar = (r.rsar & 0xff) | (v << 8);
            r.crda = r.rsar;
            return;
          case R.P0_RBCR0:
            r.rbcr = (r.rbcr & 0xff00) | v;
            return;
          case R.P0_RBCR1:
            r.rbcr = (r.rbcr & 0xff) | (v << 8);
            return;
          case R.P0_RCR:
            r.rcr = v;
            return;
          case R.P0_TCR:
            r.tcr = v;
            return;
          case R.P0_DCR:
            r.dcr = v;
            return;
          case R.P0_IMR:
            r.imr = v;
            this.updateIrq();
            return;
        }
        return;
      case 1:
        if (off === R.P1_CURR) r.curr = v;
        else if (off >= R.P1_MAR0) r.mar[off - R.P1_MAR0] = v;
        else r.par[off - R.P1_PAR0] = v;
        return;
      case 2:
        return; // page 2 is read-only (DP8390 datasheet: for diagnostics)
      default:
        this.bm.regWrite(off, v);
    }
  }

  private command(v: number): void {
    const r = this.regs;
    const wasStarted = this.started;
    if (v & R.CR_STP) {
      r.cr = (r.cr & R.CR_TXP) | (v & ~(R.CR_STA | R.CR_TXP)) | R.CR_STP;
      if (wasStarted || !(r.isr & R.ISR_RST)) this.stop();
    } else if (v & R.CR_STA) {
      r.cr = (r.cr & R.CR_TXP) | (v & ~R.CR_TXP);
      if (!wasStarted) r.isr &= ~R.ISR_RST; // Start clears RST (HARDWARE.md §3.1)
    } else {
      r.cr = (r.cr & (R.CR_TXP | R.CR_STP | R.CR_STA)) | (v & ~(R.CR_TXP | R.CR_STP | R.CR_STA));
    }
    this.remoteDmaCommand(v & R.CR_RD_MASK);
    if (v & R.CR_TXP && this.started && !this.txBusy) this.transmitFromBuffer();
    this.updateIrq();
  }

  /** STP: the receiver and transmitter go offline; ISR.RST reports it. A reception in progress is lost. */
  private stop(): void {
    this.regs.isr |= R.ISR_RST;
    this.abortReception();
    this.bm.abortReception();
  }

  /** A hardware reset through the reset port. */
  reset(): void {
    this.abortReception();
    this.bm.reset();
    const keep = this.regs;
    this.regs = resetRegs();
    // The reset leaves the address and ring registers as they were (DP8390: only CR, ISR,
    // IMR, DCR, TCR, RCR and the DMA engines are affected).
    const r = this.regs;
    r.par = keep.par;
    r.mar = keep.mar;
    r.pstart = keep.pstart;
    r.pstop = keep.pstop;
    r.bnry = keep.bnry;
    r.curr = keep.curr;
    r.tpsr = keep.tpsr;
    this.txBusy = false;
    this.updateIrq();
  }

  // ---------------------------------------------------------------- remote DMA

  private remoteDmaCommand(rd: number): void {
    const r = this.regs;
    if (rd & R.CR_RD_ABORT || rd === 0) return;
    if (rd === R.CR_RD_SEND) {
      // Send Packet: read the packet at BNRY, its length taken from the ring header.
      r.crda = r.bnry * R.PAGE_BYTES;
      r.rbcr = this.buffer[r.crda + 2]! | (this.buffer[r.crda + 3]! << 8);
    } else {
      r.crda = r.rsar; // a remote read or write starts at RSAR
    }
    if (r.rbcr === 0) this.remoteDone(); // a zero-count remote DMA completes at once
  }

  private remoteDone(): void {
    this.regs.isr |= R.ISR_RDC;
  }

  private memRead(addr: number): number {
    if (addr < PROM_WINDOW) return this.prom[addr]!;
    if (addr >= R.BUFFER_START && addr < R.BUFFER_END) return this.buffer[addr]!;
    return 0xff;
  }

  private stepRemote(): void {
    const r = this.regs;
    r.crda = (r.crda + 1) & 0xffff;
    if (r.pstop > r.pstart && r.crda === r.pstop * R.PAGE_BYTES) r.crda = r.pstart * R.PAGE_BYTES; // the ring wraps
    if (r.rbcr > 0 && --r.rbcr === 0) this.remoteDone();
  }

  /** Bytes per data-port access: 2 in word mode (DCR.WTS) for 16/32-bit accesses, else 1; 32-bit moves 4 in word mode. */
  private accessBytes(width: PortWidth): number {
    if (!(this.regs.dcr & R.DCR_WTS)) return 1;
    return width === 1 ? 1 : width;
  }

  private dataRead(width: PortWidth): number {
    const n = this.accessBytes(width);
    let v = 0;
    for (let i = 0; i < n; i++) {
      v |= this.memRead(this.regs.crda) << (8 * i);
      this.stepRemote();
    }
    this.updateIrq();
    return v >>> 0;
  }

  private dataWrite(value: number, width: PortWidth): void {
    const n = this.accessBytes(width);
    for (let i = 0; i < n; i++) {
      const a = this.regs.crda;
      if (a >= R.BUFFER_START && a < R.BUFFER_END) this.buffer[a] = (value >>> (8 * i)) & 0xff;
      this.stepRemote();
    }
    this.updateIrq();
  }

  // ---------------------------------------------------------------- transmit (buffer memory)

  private transmitFromBuffer(): void {
    const r = this.regs;
    const start = r.tpsr * R.PAGE_BYTES;
    const len = r.tbcr;
    this.txBusy = true;
    r.cr |= R.CR_TXP;
    if (len > ETH_MAX_FRAME) {
      // Too long for Ethernet: the frame is aborted (the DP8390 would jabber).
      this.host.events.after(0, () => this.transmitDone(R.TSR_ABT, R.ISR_TXE));
      return;
    }
    // Short frames are padded to the minimum (a real DP8390 would send a runt that every receiver discards).
    const frameLen = Math.max(ETH_MIN_FRAME, len);
    const bytes = new Uint8Array(frameLen + FCS_BYTES);
    for (let i = 0; i < len; i++) bytes[i] = this.memRead((start + i) & 0xffff);
    this.sendBytes(bytes, frameLen, () => this.transmitDone(R.TSR_PTX, R.ISR_PTX));
  }

  /** Put frame bytes (FCS appended here) on the wire, or complete at once when looped back or unconnected. */
  sendBytes(bytes: Uint8Array, frameLen: number, done: () => void, streaming?: { started(rx: Reception): void }): void {
    this.host.trace.record(this.now, this.kinds.tx, frameLen);
    const inhibit = (this.regs.tcr & R.TCR_CRC) !== 0;
    if (!streaming) fcsInto(bytes, frameLen, inhibit);
    const fcsGood = !streaming && !inhibit;
    if (!this.wirePort || this.regs.tcr & R.TCR_LB_MASK) {
      // Loopback, or no wire: nothing leaves the card; it takes the frame's time on the wire
      // it would use (10 Mbit/s, the NE2000's, when unconnected).
      const rx = new Reception(bytes, frameLen + FCS_BYTES, this.wirePort?.wire.timing ?? this.loopTiming, this.now, 0, -1, 0, fcsGood);
      streaming?.started(rx);
      this.host.events.at(rx.end, done);
      return;
    }
    this.wirePort.transmit(bytes, frameLen + FCS_BYTES, { started: streaming?.started, done: () => done(), fcsGood });
  }

  private transmitDone(tsr: number, isr: number): void {
    this.txBusy = false;
    this.regs.cr &= ~R.CR_TXP;
    this.regs.tsr = tsr;
    if (tsr & R.TSR_PTX) this.totals.transmitted++;
    this.setIsr(isr);
  }

  // ---------------------------------------------------------------- receive

  /** The wire: a frame's preamble starts. */
  frameStart(rx: Reception): void {
    if (!this.started) return;
    if (this.rx || this.bm.receiving) {
      this.count(2); // still busy with the previous frame: this one is missed
      return;
    }
    const at = Math.max(this.now, rx.arrival(FILTER_BYTES - 1));
    this.rx = { phase: 'filter', reception: rx, event: this.host.events.at(at, () => this.filterDone()) };
  }

  private filterDone(): void {
    const rx = this.rx!.reception;
    const r = this.regs;
    const dst = rx.read(0, MAC_BYTES);
    this.par.set(r.par);
    this.mar.set(r.mar);
    if (!accepts(dst, r.rcr, this.par, this.mar)) {
      this.rx = undefined;
      return;
    }
    if (this.bm.rxEnabled && !(r.rcr & R.RCR_MON)) {
      this.rx = undefined;
      this.bm.receive(rx);
      return;
    }
    this.rx = { phase: 'ring', reception: rx, event: this.host.events.at(Math.max(this.now, rx.end), () => this.ringDone()) };
  }

  private ringDone(): void {
    const rx = this.rx!.reception;
    this.rx = undefined;
    const r = this.regs;
    const data = rx.read(0, rx.length);
    let rsr = isMulticast(data) ? R.RSR_PHY : 0;
    if (!rx.fcsOk()) {
      this.count(1);
      this.setIsr(R.ISR_RXE);
      if (!(r.rcr & R.RCR_SEP)) return this.drop(rx, R.RSR_CRC | rsr);
      rsr |= R.RSR_CRC;
    } else rsr |= R.RSR_PRX;
    if (r.rcr & R.RCR_MON) return this.drop(rx, rsr | R.RSR_MPA);
    if (!ringValid(r) || !ringStore(r, this.buffer, data, rsr)) {
      // Ring full: overwrite warning, a missed packet, RST reports the overflow (HARDWARE.md §3.1).
      this.totals.overflows++;
      r.rsr = rsr | R.RSR_MPA;
      r.isr |= R.ISR_OVW | R.ISR_RST;
      this.count(2);
      this.host.trace.record(this.now, this.kinds.drop, rx.length, r.rsr);
      return this.updateIrq();
    }
    r.rsr = rsr;
    this.totals.received++;
    this.host.trace.record(this.now, this.kinds.rx, rx.length, rsr, r.curr);
    this.setIsr(rsr & R.RSR_PRX ? R.ISR_PRX : R.ISR_RXE);
  }

  private drop(rx: Reception, rsr: number): void {
    this.regs.rsr = rsr;
    this.host.trace.record(this.now, this.kinds.drop, rx.length, rsr);
    this.updateIrq();
  }

  private abortReception(): void {
    if (!this.rx) return;
    this.rx.event.cancelled = true;
    this.rx = undefined;
  }

  // ---------------------------------------------------------------- snapshot

  /** The card's state; refuses (with a reason) while a DMA transfer or a transmission is in flight. */
  saveState(): CardState {
    if (this.txBusy) throw new Error(`${this.name}: cannot save state while a transmission is in progress`);
    return {
      regs: structuredClone(this.regs),
      buffer: Array.from(this.buffer),
      irqLevel: this.irqLevel,
      rx: this.rx && { phase: this.rx.phase, reception: this.rx.reception.saveState() },
      bm: this.bm.saveState(),
    };
  }

  /** Restore a saved state into this card (on a machine whose clock is at or before the saved events). */
  restoreState(s: CardState): void {
    this.abortReception();
    this.bm.abortReception();
    this.regs = structuredClone(s.regs);
    this.buffer.set(s.buffer);
    this.txBusy = false;
    if (s.irqLevel !== this.irqLevel) {
      this.irqLevel = s.irqLevel;
      if (s.irqLevel) this.host.irq.raise();
      else this.host.irq.lower();
    }
    if (s.rx) {
      const rx = Reception.fromState(s.rx.reception);
      const at = Math.max(this.now, s.rx.phase === 'filter' ? rx.arrival(FILTER_BYTES - 1) : rx.end);
      this.rx = { phase: s.rx.phase, reception: rx, event: this.host.events.at(at, () => (s.rx!.phase === 'filter' ? this.filterDone() : this.ringDone())) };
    }
    this.bm.restoreState(s.bm);
  }
}

/** Append the FCS, or leave zeros when TCR.CRC inhibits it (the receiver will see a CRC error). */
export function fcsInto(bytes: Uint8Array, frameLen: number, inhibit: boolean): void {
  if (!inhibit) putFcs(bytes, frameLen);
}
