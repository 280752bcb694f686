// Interrupts: the kernel programs the two 8259s and the 8254 through their ports at boot,
// takes the timer's IRQ 0 as its scheduling tick, and delivers every other IRQ to the holder
// of that IRQ's device privilege as notification bits. The line stays masked at the PIC
// until the holder acknowledges (ackIrq), so a device cannot interrupt-storm the CPU.
//
// Sources: Intel 8259A datasheet (231468) for ICW1-4 and OCW2; Intel 8254 datasheet
// (231164) for the control word; the PC/AT wiring (vectors 0x20/0x28 as Linux uses them).

import { PIC_MASTER_PORT, PIC_SLAVE_PORT } from '../../emulator/machine/pic.js';
import { PC_CRYSTAL_HZ, PIT_DIVISOR, PIT_PORT } from '../../emulator/machine/pit.js';
import { signal } from './ipc.js';
import type { KernelState } from './state.js';

export const MASTER_VECTOR = 0x20;
export const SLAVE_VECTOR = 0x28;
const ICW1_INIT_ICW4 = 0x11; // ICW1: initialization, edge-triggered, cascade, ICW4 follows
const ICW3_MASTER_SLAVE_ON_IR2 = 0x04;
const ICW3_SLAVE_ID_2 = 0x02;
const ICW4_8086 = 0x01;
const OCW2_NONSPECIFIC_EOI = 0x20;
const OCW3_READ_ISR = 0x0b;
const CASCADE_IRQ = 2;
const PIT_CONTROL = PIT_PORT + 3;
const PIT_CH0_LOHI_MODE2 = 0x34; // channel 0, lobyte/hibyte, mode 2 (rate generator), binary
const PIT_INPUT_HZ = PC_CRYSTAL_HZ / PIT_DIVISOR; // 1.193182 MHz

/** Program PICs and PIT, mask every line but the timer and the cascade, enable interrupts. */
export function initInterrupts(k: KernelState, tickHz: number): void {
  const hw = k.hw;
  hw.outb(PIC_MASTER_PORT, ICW1_INIT_ICW4);
  hw.outb(PIC_MASTER_PORT + 1, MASTER_VECTOR);
  hw.outb(PIC_MASTER_PORT + 1, ICW3_MASTER_SLAVE_ON_IR2);
  hw.outb(PIC_MASTER_PORT + 1, ICW4_8086);
  hw.outb(PIC_SLAVE_PORT, ICW1_INIT_ICW4);
  hw.outb(PIC_SLAVE_PORT + 1, SLAVE_VECTOR);
  hw.outb(PIC_SLAVE_PORT + 1, ICW3_SLAVE_ID_2);
  hw.outb(PIC_SLAVE_PORT + 1, ICW4_8086);
  k.irqMask = 0xffff & ~(1 << 0) & ~(1 << CASCADE_IRQ);
  writeMask(k);
  const divisor = Math.max(1, Math.min(0x10000, Math.round(PIT_INPUT_HZ / tickHz)));
  hw.outb(PIT_CONTROL, PIT_CH0_LOHI_MODE2);
  hw.outb(PIT_PORT, divisor & 0xff);
  hw.outb(PIT_PORT, (divisor >> 8) & 0xff);
  hw.cpu.interruptsEnabled = true;
}

function writeMask(k: KernelState): void {
  k.hw.outb(PIC_MASTER_PORT + 1, k.irqMask & 0xff);
  k.hw.outb(PIC_SLAVE_PORT + 1, (k.irqMask >> 8) & 0xff);
}

export function maskIrq(k: KernelState, irq: number, masked: boolean): void {
  k.irqMask = masked ? k.irqMask | (1 << irq) : k.irqMask & ~(1 << irq);
  writeMask(k);
}

function eoi(k: KernelState, irq: number): void {
  if (irq >= 8) k.hw.outb(PIC_SLAVE_PORT, OCW2_NONSPECIFIC_EOI);
  k.hw.outb(PIC_MASTER_PORT, OCW2_NONSPECIFIC_EOI);
}

/** The CPU's interrupt hook (already in supervisor mode, entry and return charged). */
export function handleInterrupt(k: KernelState, vector: number): void {
  const irq = vector >= SLAVE_VECTOR && vector < SLAVE_VECTOR + 8 ? vector - SLAVE_VECTOR + 8 : vector - MASTER_VECTOR;
  if (irq < 0 || irq > 15) return;
  if ((irq & 7) === 7 && !inService(k, irq)) {
    if (irq === 15) k.hw.outb(PIC_MASTER_PORT, OCW2_NONSPECIFIC_EOI); // the master did put IR2 in service
    return; // spurious: no EOI for the line itself (8259A datasheet)
  }
  k.counters.interrupts++;
  if (irq === 0) {
    k.counters.ticks++;
    k.tickPending = true;
    eoi(k, irq);
    return;
  }
  maskIrq(k, irq, true);
  eoi(k, irq);
  const dp = k.irqOwners.get(irq);
  const target = dp?.irqTarget;
  if (target && target.n.live && target.n.version === target.version) signal(k, target.n, target.bits);
}

function inService(k: KernelState, irq: number): boolean {
  const port = irq >= 8 ? PIC_SLAVE_PORT : PIC_MASTER_PORT;
  k.hw.outb(port, OCW3_READ_ISR);
  return (k.hw.inb(port) & 0x80) !== 0;
}

