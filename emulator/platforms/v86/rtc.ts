// v86's real-time clock (MC146818, ports 0x70/0x71) on virtual time. v86's RTC (libv86
// `RTC`, src/rtc.js) reads the host clock with Date.now(): at construction for the CMOS
// date, in its timer (the periodic, alarm and update-ended interrupts on IRQ 8) and when
// register B enables one of them. That would make the guest's CMOS time and its IRQ 8
// schedule differ from run to run. Here the RTC's clock is a fixed epoch plus the
// platform's virtual milliseconds (start.ts InstructionTime): its timer and its register B
// writes are replaced by equivalents that take "now" from that clock. Register reads need
// no change: they format `rtc_time`, which the timer keeps equal to that clock.

import type { V86Io } from './internals.js';

/** The CMOS date a guest sees at cycle 0: 2000-01-01 00:00:00 UTC, in Unix milliseconds. */
export const DEFAULT_RTC_EPOCH_MS = 946_684_800_000;

/** Register indices and bits (MC146818A data sheet; v86 src/rtc.js). */
const CMOS_STATUS_B = 0x0b;
const CMOS_ALARM_SECONDS = 0x01;
const CMOS_ALARM_MINUTES = 0x03;
const CMOS_ALARM_HOURS = 0x05;
const B_PERIODIC = 0x40;
const B_ALARM = 0x20;
const B_UPDATE_ENDED = 0x10;
/** Register C flags v86 sets with each interrupt: IRQF plus PF, AF or UF. */
const C_PERIODIC = 0xc0;
const C_ALARM = 0xa0;
const C_UPDATE_ENDED = 0x90;
const RTC_IRQ = 8;
const CMOS_DATA_PORT = 0x71;
/** v86's timer asks to be called again within this many milliseconds when nothing is due. */
const MAX_TIMER_WAIT_MS = 100;
const MS_PER_DAY = 86_400_000;
const UPDATE_PERIOD_MS = 1000;

/** The fields of v86's RTC object that this file reads and writes. */
interface V86Rtc {
  rtc_time: number;
  last_update: number;
  next_interrupt: number;
  next_interrupt_alarm: number;
  periodic_interrupt: boolean;
  periodic_interrupt_time: number;
  update_interrupt: boolean;
  update_interrupt_time: number;
  cmos_index: number;
  cmos_b: number;
  cmos_c: number;
  cmos_data: Uint8Array;
  cpu: { device_raise_irq(irq: number): void };
  decode_time(v: number): number;
  cmos_port_write(v: number): void;
  timer(time: number, legacy: boolean): number;
}

/** Put v86's RTC on `epochMs + milliseconds()`. */
export function virtualizeRtc(cpu: { devices: object; io: V86Io }, milliseconds: () => number, epochMs = DEFAULT_RTC_EPOCH_MS): void {
  const rtc = (cpu.devices as { rtc?: V86Rtc }).rtc;
  if (!rtc || typeof rtc.timer !== 'function' || typeof rtc.cmos_port_write !== 'function') {
    throw new Error("v86's RTC is not where v86 0.5.x keeps it (cpu.devices.rtc); this v86 build differs");
  }
  const now = () => epochMs + milliseconds();
  rtc.rtc_time = rtc.last_update = now();
  rtc.next_interrupt = rtc.next_interrupt_alarm = rtc.update_interrupt_time = 0;

  // The same decisions as v86's timer, with `t` from the virtual clock.
  rtc.timer = () => {
    const t = now();
    rtc.rtc_time = rtc.last_update = t;
    if (rtc.periodic_interrupt && rtc.next_interrupt < t) {
      rtc.cpu.device_raise_irq(RTC_IRQ);
      rtc.cmos_c |= C_PERIODIC;
      rtc.next_interrupt += rtc.periodic_interrupt_time * Math.ceil((t - rtc.next_interrupt) / rtc.periodic_interrupt_time);
    } else if (rtc.next_interrupt_alarm && rtc.next_interrupt_alarm < t) {
      rtc.cpu.device_raise_irq(RTC_IRQ);
      rtc.cmos_c |= C_ALARM;
      rtc.next_interrupt_alarm = 0;
    } else if (rtc.update_interrupt && rtc.update_interrupt_time < t) {
      rtc.cpu.device_raise_irq(RTC_IRQ);
      rtc.cmos_c |= C_UPDATE_ENDED;
      rtc.update_interrupt_time = t + UPDATE_PERIOD_MS;
    }
    let wait = MAX_TIMER_WAIT_MS;
    if (rtc.periodic_interrupt && rtc.next_interrupt) wait = Math.min(wait, Math.max(0, rtc.next_interrupt - t));
    if (rtc.next_interrupt_alarm) wait = Math.min(wait, Math.max(0, rtc.next_interrupt_alarm - t));
    if (rtc.update_interrupt) wait = Math.min(wait, Math.max(0, rtc.update_interrupt_time - t));
    return wait;
  };

  // v86's register B write stamps the newly enabled interrupts with the host time: let it
  // run, then stamp them again from the virtual clock.
  const write = rtc.cmos_port_write;
  const writeB = function (this: V86Rtc, value: number): void {
    const index = rtc.cmos_index;
    write.call(rtc, value);
    if (index !== CMOS_STATUS_B) return;
    const t = now();
    if (rtc.cmos_b & B_PERIODIC) rtc.next_interrupt = t;
    if (rtc.cmos_b & B_ALARM) {
      const seconds = rtc.decode_time(rtc.cmos_data[CMOS_ALARM_SECONDS]!);
      const minutes = rtc.decode_time(rtc.cmos_data[CMOS_ALARM_MINUTES]!);
      const hours = rtc.decode_time(rtc.cmos_data[CMOS_ALARM_HOURS]!);
      // Today (by the virtual clock) at the alarm time, as v86 computes it from the host date.
      rtc.next_interrupt_alarm = t - (t % MS_PER_DAY) + ((hours * 60 + minutes) * 60 + seconds) * 1000;
    }
    if (rtc.cmos_b & B_UPDATE_ENDED) rtc.update_interrupt_time = t;
  };
  rtc.cmos_port_write = writeB;
  cpu.io.register_write(CMOS_DATA_PORT, rtc, writeB);
}
