// The PC's interval timer: channel 0 of an Intel 8254, whose output drives IRQ 0. The kernel
// programs it for its scheduling and TCP timer tick.
//
// Source: Intel 8254 datasheet (231164); PC wiring from the IBM PC/AT Technical Reference
// (input clock = the 14.31818 MHz system crystal / 12, channel 0's GATE tied high).
//
// The counter is never stepped. The input clock runs free from cycle 0: input tick i
// happens in CPU cycle floor(i * cpuHz * 12 / 14318180), computed exactly in BigInt, so a
// period of N ticks is the same rational number of cycles forever and edges never drift.
// A count written in cycle w is loaded at the first tick after w (datasheet: "on the next
// CLK pulse"); with that tick as t0, the output's k-th rising edge is tick t0 + k*N. Count
// reads compute the counter from the tick number.
//
// Behaviour choices:
// - Modes 2 (rate generator) and 3 (square wave) give one IRQ 0 rising edge per period,
//   made as lower() then raise() in the cycle of the edge: mode 2's one-tick low pulse and
//   mode 3's low half-period are not shown on the line, so a request the CPU has not yet
//   acknowledged is never withdrawn by the PIC's edge logic. Counts read back as the 8254's
//   would (mode 3 counts down by 2 twice per period).
// - Mode 0 (interrupt on terminal count): the control word sets OUT low; OUT rises once,
//   N ticks after the load, and the counter wraps on below 0 without further interrupts.
// - A count written in mode 2 or 3 while counting takes effect at the end of the current
//   period (the datasheet says half-period for mode 3); a control word stops the counter
//   and cancels the pending edge until a new count is written.
// - Modes 1 and 5 wait for a GATE edge that channel 0 never gets, and mode 4 is not
//   modelled: in all three OUT stays high and nothing is scheduled. BCD counting is treated
//   as binary, the read-back command is ignored, and before its load tick a counter reads as
//   its new count.
// - Channels 1 and 2 (DRAM refresh, speaker) accept control words and counts and ignore
//   them; their data ports read 0xFF. Wider-than-byte accesses use their low byte.
// - Power-on: channel 0 is unprogrammed and idle, OUT high, no interrupts.
// - Each count written to channel 0 is a 'pit.load' trace entry (args: mode, count).

import type { EventSource, ScheduledEvent } from './clock.js';
import type { IrqLine } from './irq.js';
import type { PortBus, PortDevice, PortWidth } from './ports.js';
import type { Trace } from './trace.js';

/** The PC's system crystal (4x the NTSC colour burst), Hz; the 8254 gets it divided by 12. */
export const PC_CRYSTAL_HZ = 14_318_180;
export const PIT_DIVISOR = 12;
export const PIT_PORT = 0x40; // 0x40-0x42 channel data, 0x43 control word
const CONTROL = 3;

// Control word: bits 7:6 select counter (3: read-back), 5:4 access (0: latch), 3:1 mode, 0 BCD.
const ACCESS_LATCH = 0;
const ACCESS_LO = 1;
const ACCESS_HI = 2;
const ACCESS_LOHI = 3;

export interface PitState {
  mode: number;
  access: number;
  reload: number;
  pendingReload: number;
  periodStart: number;
  armed: boolean;
  out: boolean;
  writeHigh: boolean;
  lowByte: number;
  latched: number;
  readHigh: boolean;
}

export class Pit implements PortDevice {
  readonly name = 'pit';
  private mode = 2;
  private access = ACCESS_LOHI;
  private reload = 0x10000; // N, 1..65536 (a written 0 means 65536)
  private pendingReload = 0; // count written while counting, loaded at the next edge (0: none)
  private periodStart = -1; // input tick at which the current period began (-1: stopped)
  private out = true; // OUT pin, as the IRQ line last saw it
  private writeHigh = false; // lo/hi access: the next data byte is the high byte
  private lowByte = 0;
  private latched = -1; // latched count, or -1
  private readHigh = false;
  private event: ScheduledEvent | undefined;
  private readonly num: bigint; // CPU cycles per input tick = num / den
  private readonly den = BigInt(PC_CRYSTAL_HZ);
  private readonly loadKind: number;

  constructor(
    private readonly events: EventSource,
    private readonly trace: Trace,
    private readonly irq0: IrqLine,
    cpuHz: number,
  ) {
    if (!Number.isSafeInteger(cpuHz) || cpuHz * PIT_DIVISOR <= PC_CRYSTAL_HZ) {
      throw new RangeError(`pit: cpuHz ${cpuHz} must be an integer above the PIT's input clock`);
    }
    this.num = BigInt(cpuHz) * BigInt(PIT_DIVISOR);
    this.loadKind = trace.kind('pit.load');
  }

  attach(ports: PortBus): void {
    ports.claim(PIT_PORT, 4, this);
  }

  /** CPU cycle in which input tick `tick` happens. */
  tickCycle(tick: number): number {
    return Number((BigInt(tick) * this.num) / this.den);
  }

  /** The last input tick that has happened by the end of CPU cycle `cycle`. */
  tickAt(cycle: number): number {
    return Number(((BigInt(cycle) + 1n) * this.den - 1n) / this.num);
  }

  portRead(port: number, _width: PortWidth): number {
    if (port - PIT_PORT !== 0) return 0xff;
    const count = this.latched >= 0 ? this.latched : this.count();
    let byte: number;
    if (this.access === ACCESS_LOHI) {
      byte = this.readHigh ? count >> 8 : count & 0xff;
      this.readHigh = !this.readHigh;
    } else {
      byte = this.access === ACCESS_HI ? count >> 8 : count & 0xff;
    }
    if (!this.readHigh) this.latched = -1; // the whole latched value has been read
    return byte & 0xff;
  }

  portWrite(port: number, value: number, _width: PortWidth): void {
    value &= 0xff;
    const reg = port - PIT_PORT;
    if (reg === CONTROL) this.control(value);
    else if (reg === 0) this.data(value);
  }

  private control(value: number): void {
    if (value >> 6 !== 0) return; // channels 1, 2 and the read-back command
    const access = (value >> 4) & 3;
    if (access === ACCESS_LATCH) {
      if (this.latched < 0) this.latched = this.count(); // a second latch before the read is ignored
      return;
    }
    let mode = (value >> 1) & 7;
    if (mode >= 6) mode -= 4; // 6 and 7 are aliases of 2 and 3
    this.mode = mode;
    this.access = access;
    this.writeHigh = this.readHigh = false;
    this.latched = -1;
    this.pendingReload = 0;
    this.stop();
    this.periodStart = -1;
    this.setOut(mode !== 0);
  }

  private data(value: number): void {
    let n: number;
    if (this.access === ACCESS_LO) n = value;
    else if (this.access === ACCESS_HI) n = value << 8;
    else if (!this.writeHigh) {
      this.lowByte = value;
      this.writeHigh = true;
      return;
    } else {
      n = this.lowByte | (value << 8);
      this.writeHigh = false;
    }
    this.load(n === 0 ? 0x10000 : n);
  }

  private load(n: number): void {
    this.trace.record(this.events.clock.now, this.loadKind, this.mode, n);
    const counting = this.periodStart >= 0;
    if ((this.mode === 2 || this.mode === 3) && counting) {
      this.pendingReload = n;
      return;
    }
    this.reload = n;
    if (this.mode !== 0 && this.mode !== 2 && this.mode !== 3) return;
    this.stop();
    this.setOut(this.mode !== 0);
    this.periodStart = this.tickAt(this.events.clock.now) + 1;
    this.schedule();
  }

  /** Fired in the cycle of a rising edge of OUT. */
  private edge(): void {
    this.event = undefined;
    if (this.mode === 0) {
      this.setOut(true);
      return;
    }
    this.irq0.lower();
    this.irq0.raise();
    this.out = true;
    this.periodStart += this.reload;
    if (this.pendingReload) {
      this.reload = this.pendingReload;
      this.pendingReload = 0;
    }
    this.schedule();
  }

  private schedule(): void {
    this.event = this.events.at(this.tickCycle(this.periodStart + this.reload), () => this.edge());
  }

  private stop(): void {
    this.events.clock.cancel(this.event);
    this.event = undefined;
  }

  private setOut(high: boolean): void {
    if (high === this.out) return;
    this.out = high;
    if (high) this.irq0.raise();
    else this.irq0.lower();
  }

  /** The counting element's value now, as a 16-bit read would see it. */
  private count(): number {
    const n = this.reload;
    if (this.periodStart < 0) return n & 0xffff;
    const j = Math.max(0, this.tickAt(this.events.clock.now) - this.periodStart);
    if (this.mode === 0) return (((n - j) % 0x10000) + 0x10000) % 0x10000;
    const p = j % n;
    if (this.mode === 2) return (n - p) & 0xffff;
    if (this.mode !== 3) return n & 0xffff;
    // Mode 3: even N counts N, N-2, .. 2 in each half; odd N loads N-1 and stays high one
    // tick longer (datasheet): high half N-1 .. 0, low half N-1 .. 2.
    if (n % 2 === 0) return (n - 2 * (p % (n / 2))) & 0xffff;
    const high = (n + 1) / 2;
    return p < high ? n - 1 - 2 * p : n - 1 - 2 * (p - high);
  }

  saveState(): PitState {
    const { mode, access, reload, pendingReload, periodStart, out, writeHigh, lowByte, latched, readHigh } = this;
    return { mode, access, reload, pendingReload, periodStart, armed: this.event !== undefined, out, writeHigh, lowByte, latched, readHigh };
  }

  restoreState(s: PitState): void {
    this.stop();
    Object.assign(this, {
      mode: s.mode, access: s.access, reload: s.reload, pendingReload: s.pendingReload,
      periodStart: s.periodStart, out: s.out, writeHigh: s.writeHigh, lowByte: s.lowByte,
      latched: s.latched, readHigh: s.readHigh,
    });
    if (s.armed) this.schedule();
  }
}
