// Interrupts: the kernel programs the two 8259s and the 8254 through their ports at boot,
// takes the timer's IRQ 0 as its scheduling tick, and delivers every other IRQ to the holder
// of that IRQ's device privilege as notification bits. The line stays masked at the PIC
// until the holder acknowledges (ackIrq), so a device cannot interrupt-storm the CPU.
//
// The programming sequences are the machine's standard ones (emulator/machine/pcinit.ts),
// issued through the kernel's charged port writes. Sources: Intel 8259A datasheet (231468)
// for OCW1 (the mask) and OCW3 (read ISR); the PC/AT wiring (vectors 0x20/0x28 as Linux uses).

import { endOfInterrupt, initPics, programTimer, type OutByte } from '../../emulator/machine/pcinit.js';
import { PIC_MASTER_PORT, PIC_SLAVE_PORT } from '../../emulator/machine/pic.js';
import { signal } from './ipc.js';
import type { KernelState } from './state.js';

export const MASTER_VECTOR = 0x20;
export const SLAVE_VECTOR = 0x28;
const OCW3_READ_ISR = 0x0b;
const TIMER_IRQ = 0;
const CASCADE_IRQ = 2;

/** Port writes as the kernel makes them: timed and charged by the CPU. */
const portOut = (k: KernelState): OutByte => (port, value) => k.hw.outb(port, value);

/** Program PICs and PIT (`reload` from pcinit's timerReload), unmask the timer and the cascade, enable interrupts. */
export function initInterrupts(k: KernelState, reload: number): void {
  const out = portOut(k);
  initPics(out, MASTER_VECTOR, SLAVE_VECTOR, [TIMER_IRQ, CASCADE_IRQ]);
  k.irqMask = 0xffff & ~(1 << TIMER_IRQ) & ~(1 << CASCADE_IRQ);
  programTimer(out, reload);
  k.hw.cpu.interruptsEnabled = true;
}

function writeMask(k: KernelState): void {
  k.hw.outb(PIC_MASTER_PORT + 1, k.irqMask & 0xff);
  k.hw.outb(PIC_SLAVE_PORT + 1, (k.irqMask >> 8) & 0xff);
}

export function maskIrq(k: KernelState, irq: number, masked: boolean): void {
  k.irqMask = masked ? k.irqMask | (1 << irq) : k.irqMask & ~(1 << irq);
  writeMask(k);
}

/** The CPU's interrupt hook (already in supervisor mode, entry and return charged). */
export function handleInterrupt(k: KernelState, vector: number): void {
  const irq = vector >= SLAVE_VECTOR && vector < SLAVE_VECTOR + 8 ? vector - SLAVE_VECTOR + 8 : vector - MASTER_VECTOR;
  if (irq < 0 || irq > 15) return;
  if ((irq & 7) === 7 && !inService(k, irq)) {
    if (irq === 15) endOfInterrupt(portOut(k), CASCADE_IRQ); // the master did put IR2 in service
    return; // spurious: no EOI for the line itself (8259A datasheet)
  }
  k.counters.interrupts++;
  if (irq === TIMER_IRQ) {
    k.counters.ticks++;
    endOfInterrupt(portOut(k), irq);
    return;
  }
  maskIrq(k, irq, true);
  endOfInterrupt(portOut(k), irq);
  const dp = k.irqOwners.get(irq);
  const target = dp?.irqTarget;
  if (target && target.n.live && target.n.version === target.version) signal(k, target.n, target.bits);
}

function inService(k: KernelState, irq: number): boolean {
  const port = irq >= 8 ? PIC_SLAVE_PORT : PIC_MASTER_PORT;
  k.hw.outb(port, OCW3_READ_ISR);
  return (k.hw.inb(port) & 0x80) !== 0;
}

