// Tests for the cascaded 8259A pair: initialization, masking, priority, EOI, cascade,
// OCW3 register reads, edge triggering, spurious vectors, tracing and saved state.

import { describe, it, expect } from 'vitest';
import { Clock } from '../../emulator/machine/clock.js';
import { Pic } from '../../emulator/machine/pic.js';
import { PortBus } from '../../emulator/machine/ports.js';
import { Trace } from '../../emulator/machine/trace.js';

function setup() {
  const clock = new Clock();
  const trace = new Trace(100);
  const ports = new PortBus();
  const pic = new Pic(clock, trace);
  pic.attach(ports);
  const out = (port: number, v: number) => ports.write(port, v, 1);
  const inb = (port: number) => ports.read(port, 1);
  return { clock, trace, ports, pic, out, inb };
}

/** Linux's init_8259A sequence: edge, cascade, ICW4; master vectors 0x20, slave 0x28. */
function initialized() {
  const h = setup();
  const { out } = h;
  out(0x20, 0x11); out(0x21, 0x20); out(0x21, 0x04); out(0x21, 0x01);
  out(0xa0, 0x11); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, 0x01);
  return h;
}

const readIsr = (h: ReturnType<typeof setup>, port: number) => { h.out(port, 0x0b); return h.inb(port); };
const readIrr = (h: ReturnType<typeof setup>, port: number) => { h.out(port, 0x0a); return h.inb(port); };

describe('Pic', () => {
  it('masks everything at power-on and uses ICW2 as the vector base after init', () => {
    const h = setup();
    h.pic.raise(1);
    expect(h.pic.interruptPending).toBe(false);
    expect(h.inb(0x21)).toBe(0xff);

    const g = initialized();
    expect(g.inb(0x21)).toBe(0); // ICW1 cleared IMR
    g.pic.raise(1);
    expect(g.pic.interruptPending).toBe(true);
    expect(g.pic.acknowledge()).toBe(0x21);
    g.pic.raise(11);
    g.out(0x20, 0x20);
    expect(g.pic.acknowledge()).toBe(0x2b);
  });

  it('ignores the low three bits of ICW2 (8086 mode) and supports single mode without ICW3', () => {
    const h = setup();
    h.out(0x20, 0x13); h.out(0x21, 0x47); h.out(0x21, 0x01); // SNGL: ICW3 skipped
    h.out(0x21, 0x00); // this is OCW1 now
    h.pic.raise(3);
    expect(h.pic.acknowledge()).toBe(0x43);
  });

  it('holds a masked IRQ and delivers it after unmask', () => {
    const h = initialized();
    h.out(0x21, 0x02);
    expect(h.inb(0x21)).toBe(0x02);
    h.pic.raise(1);
    expect(h.pic.interruptPending).toBe(false);
    expect(readIrr(h, 0x20)).toBe(0x02); // requested even while masked
    h.out(0x21, 0x00);
    expect(h.pic.interruptPending).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x21);
  });

  it('delivers in fixed priority order and nests only higher priorities', () => {
    const h = initialized();
    h.pic.raise(4);
    h.pic.raise(1);
    h.pic.raise(3);
    expect(h.pic.acknowledge()).toBe(0x21);
    expect(h.pic.interruptPending).toBe(false); // 3 and 4 wait behind 1 in service
    h.pic.raise(0);
    expect(h.pic.interruptPending).toBe(true); // 0 outranks 1
    expect(h.pic.acknowledge()).toBe(0x20);
    expect(readIsr(h, 0x20)).toBe(0x03);
    h.out(0x20, 0x20); // non-specific EOI ends the highest in service: 0
    expect(readIsr(h, 0x20)).toBe(0x02);
    expect(h.pic.interruptPending).toBe(false);
    h.out(0x20, 0x20);
    expect(h.pic.acknowledge()).toBe(0x23);
    h.out(0x20, 0x20);
    expect(h.pic.acknowledge()).toBe(0x24);
    h.out(0x20, 0x20);
    expect(h.pic.interruptPending).toBe(false);
    expect(readIsr(h, 0x20)).toBe(0);
  });

  it('specific EOI ends the named level only', () => {
    const h = initialized();
    h.pic.raise(5);
    expect(h.pic.acknowledge()).toBe(0x25);
    h.pic.raise(1);
    expect(h.pic.acknowledge()).toBe(0x21);
    h.out(0x20, 0x65); // specific EOI for 5 while 1 is still in service
    expect(readIsr(h, 0x20)).toBe(0x02);
    h.pic.raise(6);
    expect(h.pic.interruptPending).toBe(false);
    h.out(0x20, 0x61);
    expect(h.pic.acknowledge()).toBe(0x26);
  });

  it('delivers a slave IRQ through master IR2 with both in service', () => {
    const h = initialized();
    h.pic.raise(9);
    expect(readIrr(h, 0x20)).toBe(0x04);
    expect(readIrr(h, 0xa0)).toBe(0x02);
    expect(h.pic.acknowledge()).toBe(0x29);
    expect(readIsr(h, 0x20)).toBe(0x04);
    expect(readIsr(h, 0xa0)).toBe(0x02);
    h.pic.raise(8); // outranks 9 on the slave, but master IR2 is in service
    expect(h.pic.interruptPending).toBe(false);
    h.pic.raise(1); // outranks IR2 on the master
    expect(h.pic.acknowledge()).toBe(0x21);
    h.out(0x20, 0x20); // ends 1
    h.out(0xa0, 0x20); // ends 9 on the slave
    expect(h.pic.interruptPending).toBe(false); // master IR2 still in service
    h.out(0x20, 0x20);
    expect(h.pic.acknowledge()).toBe(0x28);
    h.pic.raise(3); // lower than IR2, in service for IRQ 8
    expect(h.pic.interruptPending).toBe(false);
  });

  it('masks slave IRQs in the slave IMR and the whole slave through master IR2', () => {
    const h = initialized();
    h.out(0xa1, 0x02);
    h.pic.raise(9);
    expect(h.pic.interruptPending).toBe(false);
    h.out(0xa1, 0x00);
    h.out(0x21, 0x04);
    expect(h.pic.interruptPending).toBe(false);
    h.out(0x21, 0x00);
    expect(h.pic.acknowledge()).toBe(0x29);
  });

  it('keeps the OCW3 read selection until changed and reads IMR on the odd port', () => {
    const h = initialized();
    h.out(0x21, 0xf0);
    h.pic.raise(3);
    h.pic.raise(5);
    expect(h.pic.acknowledge()).toBe(0x23);
    h.out(0x20, 0x0b);
    expect(h.inb(0x20)).toBe(0x08);
    expect(h.inb(0x20)).toBe(0x08);
    expect(h.inb(0x21)).toBe(0xf0);
    h.out(0x20, 0x0a);
    expect(h.inb(0x20)).toBe(0x20);
    h.out(0x20, 0x08); // OCW3 without RR keeps the selection
    expect(h.inb(0x20)).toBe(0x20);
  });

  it('is edge-triggered: one request per rising edge', () => {
    const h = initialized();
    h.pic.raise(5);
    h.pic.raise(5);
    expect(h.pic.acknowledge()).toBe(0x25);
    h.out(0x20, 0x20);
    expect(h.pic.interruptPending).toBe(false);
    h.pic.raise(5); // still high: no edge
    expect(h.pic.interruptPending).toBe(false);
    h.pic.lower(5);
    h.pic.raise(5);
    expect(h.pic.acknowledge()).toBe(0x25);
  });

  it('needs a fresh edge after ICW1 even if a line is already high', () => {
    const h = initialized();
    h.pic.raise(4);
    h.out(0x20, 0x11); h.out(0x21, 0x20); h.out(0x21, 0x04); h.out(0x21, 0x01);
    expect(h.pic.interruptPending).toBe(false);
    h.pic.lower(4);
    h.pic.raise(4);
    expect(h.pic.acknowledge()).toBe(0x24);
  });

  it('answers a withdrawn request with the spurious vector and sets no ISR bit', () => {
    const h = initialized();
    h.pic.raise(4);
    expect(h.pic.interruptPending).toBe(true);
    h.pic.lower(4);
    expect(h.pic.acknowledge()).toBe(0x27);
    expect(readIsr(h, 0x20)).toBe(0);
    h.pic.raise(4);
    h.out(0x21, 0x10); // masked between INTR and INTA: spurious as well
    expect(h.pic.acknowledge()).toBe(0x27);
  });

  it('does not set ISR in automatic-EOI mode', () => {
    const h = setup();
    h.out(0x20, 0x11); h.out(0x21, 0x20); h.out(0x21, 0x04); h.out(0x21, 0x03);
    h.pic.raise(3);
    h.pic.raise(4);
    expect(h.pic.acknowledge()).toBe(0x23);
    expect(readIsr(h, 0x20)).toBe(0);
    expect(h.pic.acknowledge()).toBe(0x24);
  });

  it('refuses IRQ 2 and out-of-range lines', () => {
    const h = setup();
    expect(() => h.pic.line(2)).toThrow(RangeError);
    expect(() => h.pic.raise(16)).toThrow(RangeError);
    expect(() => h.pic.lower(-1)).toThrow(RangeError);
  });

  it('traces raises, acknowledges and EOIs at the current cycle', () => {
    const h = initialized();
    h.clock.runUntil(500);
    const line = h.pic.line(9);
    line.raise();
    line.raise(); // no edge, no entry
    h.clock.runUntil(700);
    h.pic.acknowledge();
    h.out(0xa0, 0x20);
    expect(h.trace.entries()).toEqual([
      { cycle: 500, kind: 'irq.raise', args: [9, 0, 0] },
      { cycle: 700, kind: 'irq.ack', args: [0x29, 9, 0] },
      { cycle: 700, kind: 'irq.eoi', args: [9, 0x20, 0] },
    ]);
  });

  it('saves and restores its state', () => {
    const h = initialized();
    h.out(0xa1, 0x80);
    h.pic.raise(9);
    h.pic.acknowledge();
    h.pic.raise(10);
    h.pic.raise(3);
    h.out(0x20, 0x0b);
    const saved = JSON.parse(JSON.stringify(h.pic.saveState()));

    const g = setup();
    g.pic.restoreState(saved);
    expect(g.pic.saveState()).toEqual(h.pic.saveState());
    expect(g.inb(0x20)).toBe(0x04); // ISR selection restored
    expect(g.inb(0xa1)).toBe(0x80);
    expect(g.pic.interruptPending).toBe(false);
    g.out(0xa0, 0x20);
    g.out(0x20, 0x20);
    expect(g.pic.acknowledge()).toBe(0x2a);
    g.pic.raise(10); // still high in the restored levels: no edge
    g.out(0xa0, 0x20);
    g.out(0x20, 0x20);
    expect(g.pic.acknowledge()).toBe(0x23);
  });
});
