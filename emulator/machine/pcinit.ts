// The standard PC programming sequences for the interrupt controllers and the timer, as
// BIOSes and kernels issue them. Shared by the kernel's boot path and the machine's tests
// and demos; each takes an `out` so the caller decides whether the writes are timed
// (cpu.out) or not (ports.write).

import { PC_CRYSTAL_HZ, PIT_DIVISOR } from './pit.js';

export type OutByte = (port: number, value: number) => void;

// 8259A initialization: ICW1 0x11 = edge triggered, cascade, ICW4 follows.
const ICW1_INIT_ICW4 = 0x11;
const ICW4_8086 = 0x01;
const SLAVE_ON_IRQ2 = 0x04; // master ICW3: bit mask of the slave's input
const SLAVE_ID = 0x02; // slave ICW3: its cascade identity
export const EOI = 0x20;

/** Initialize both PICs with the given vector bases, leaving every line masked except those in `unmasked` (IRQ numbers). */
export function initPics(out: OutByte, masterBase: number, slaveBase: number, unmasked: number[] = []): void {
  out(0x20, ICW1_INIT_ICW4);
  out(0x21, masterBase);
  out(0x21, SLAVE_ON_IRQ2);
  out(0x21, ICW4_8086);
  out(0xa0, ICW1_INIT_ICW4);
  out(0xa1, slaveBase);
  out(0xa1, SLAVE_ID);
  out(0xa1, ICW4_8086);
  let masterMask = 0xff;
  let slaveMask = 0xff;
  for (const irq of unmasked) {
    if (irq >= 8) {
      slaveMask &= ~(1 << (irq - 8));
      masterMask &= ~(1 << 2);
    } else masterMask &= ~(1 << irq);
  }
  out(0x21, masterMask);
  out(0xa1, slaveMask);
}

/** Non-specific EOI for `irq` (to the slave and the master for IRQs 8–15). */
export function endOfInterrupt(out: OutByte, irq: number): void {
  if (irq >= 8) out(0xa0, EOI);
  out(0x20, EOI);
}

/** The 8254 reload value for a rate in Hz (rounded to the nearest count). */
export function timerReload(hz: number): number {
  const reload = Math.round(PC_CRYSTAL_HZ / PIT_DIVISOR / hz);
  if (reload < 2 || reload > 0x10000) throw new RangeError(`timer rate ${hz} Hz is outside the 8254's range`);
  return reload;
}

/** Program channel 0 as a rate generator (mode 2) of `reload` input ticks. */
export function programTimer(out: OutByte, reload: number): void {
  out(0x43, 0x34); // channel 0, lobyte/hibyte, mode 2, binary
  out(0x40, reload & 0xff);
  out(0x40, (reload >>> 8) & 0xff);
}
