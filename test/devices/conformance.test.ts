// Conformance: the card driven with the exact register sequences of Linux's ne.c and
// lib8390.c (see linux-ne.ts), through the CPU's timed port I/O.

import { describe, expect, it } from 'vitest';
import { buildFrame, parseMac } from '../../devices/frame.js';
import { multicastHashIndex } from '../../devices/ne2k/filter.js';
import { ISR_RST } from '../../devices/ne2k/registers.js';
import { PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import { E8390_NODMA, E8390_PAGE0, E8390_START, E8390_STOP, EN0_ISR, EN0_TSR, ENISR_RDC, ENISR_TX, LinuxNe } from './linux-ne.js';
import { CARD_MAC, cpuIo, IO, PEER_MAC, rig, testFrame } from './rig.js';

function openCard(bitRate?: number) {
  const r = rig({ bitRate });
  const drv = new LinuxNe(cpuIo(r.machine), IO);
  expect(drv.probe()).toBeUndefined();
  drv.init(false);
  drv.init(true);
  return { ...r, drv };
}

/** Whether IRQ 9 (slave IR1) is driven high at the PIC. */
function irq9High(m: ReturnType<typeof rig>['machine']): boolean {
  return (m.pic.saveState().slave.level & 0b10) !== 0;
}

describe('ne.c probe', () => {
  it('finds the card: reg0, CNTR0 clears on read, reset ack, PROM doubled with 0x57 0x57, 16-bit', () => {
    const { machine } = rig();
    const drv = new LinuxNe(cpuIo(machine), IO);
    expect(drv.probe()).toBeUndefined();
    expect(drv.wordLength).toBe(2);
    expect(Array.from(drv.mac)).toEqual(Array.from(CARD_MAC));
    expect(drv.prom.slice(14, 16)).toEqual([0x57, 0x57]);
  });

  it('reads the PROM in word mode as doubled words', () => {
    const { machine } = rig();
    const io = cpuIo(machine);
    const w = (v: number, r: number) => io.outb(IO + r, v);
    w(0x49, 0x0e); // DCR: word transfers
    w(32, 0x0a);
    w(0, 0x0b);
    w(0, 0x08);
    w(0, 0x09);
    w(0x0a, 0); // RREAD + START
    const words = Array.from({ length: 16 }, () => io.inw(IO + 0x10));
    expect(words.slice(0, 6)).toEqual(Array.from(CARD_MAC, (b) => b | (b << 8)));
    expect(words.slice(14)).toEqual([0x5757, 0x5757]);
    expect(machine.ports.read(IO + 7, 1) & ENISR_RDC).toBe(ENISR_RDC); // 32 bytes read: remote DMA complete
  });

  it('fails the probe where nothing answers (all ones)', () => {
    const { machine } = rig();
    expect(new LinuxNe(cpuIo(machine), 0x280).probe()).toBe('reg0 reads 0xff');
  });

  it('IRQ probe: a zero-count remote read raises RDC at once, on IRQ 9', () => {
    const { machine } = rig();
    const drv = new LinuxNe(cpuIo(machine), IO);
    expect(drv.probe()).toBeUndefined();
    machine.ports.write(IO + EN0_ISR, 0xff, 1);
    expect(irq9High(machine)).toBe(false);
    const isr = drv.irqProbe();
    expect(isr & ENISR_RDC).toBe(ENISR_RDC);
    // The line went high during the probe; masking it again lowers it.
    expect(machine.trace.count).toBeGreaterThan(0);
    expect(irq9High(machine)).toBe(false);
    machine.ports.write(IO + 0x0f, 0x40, 1);
    expect(irq9High(machine)).toBe(true);
  });

  it('the reset port resets: ISR.RST, CR stopped; STP sets RST, START clears it', () => {
    const { machine, drv } = openCard();
    expect(machine.ports.read(IO + EN0_ISR, 1) & ISR_RST).toBe(0);
    machine.ports.write(IO, E8390_NODMA + E8390_PAGE0 + E8390_STOP, 1);
    expect(machine.ports.read(IO + EN0_ISR, 1) & ISR_RST).toBe(ISR_RST);
    machine.ports.write(IO + EN0_ISR, 0xff, 1);
    expect(machine.ports.read(IO + EN0_ISR, 1) & ISR_RST).toBe(ISR_RST); // status only: writing 1 does not clear it
    machine.ports.write(IO, E8390_NODMA + E8390_PAGE0 + E8390_START, 1);
    expect(machine.ports.read(IO + EN0_ISR, 1) & ISR_RST).toBe(0);
    expect(drv.reset()).toBe(true);
    expect(machine.ports.read(IO, 1) & E8390_STOP).toBe(E8390_STOP);
  });
});

describe('lib8390 init and transmit', () => {
  it('page 2 reads back what init wrote; page 1 holds PAR and CURR', () => {
    const { machine, drv } = openCard();
    const rd = (page: number, reg: number) => {
      machine.ports.write(IO, E8390_NODMA | (page << 6) | E8390_START, 1);
      return machine.ports.read(IO + reg, 1);
    };
    expect([rd(2, 1), rd(2, 2), rd(2, 4), rd(2, 0x0c), rd(2, 0x0d), rd(2, 0x0e), rd(2, 0x0f)]).toEqual([drv.rxStartPage, drv.stopPage, drv.txStartPage, 0x04, 0x00, 0x49, 0x3f]);
    expect([1, 2, 3, 4, 5, 6].map((i) => rd(1, i))).toEqual(Array.from(CARD_MAC));
    expect(rd(1, 7)).toBe(drv.rxStartPage);
  });

  it('transmits through buffer memory; PTX and TSR come when the frame has left the wire', () => {
    const { machine, drv, source, wire } = openCard();
    const frame = buildFrame(PEER_MAC, CARD_MAC, 0x0800, new Uint8Array(100).fill(0xab));
    expect(drv.startXmit(frame)).toBe(true);
    const sentAt = machine.clock.now; // the TXP write happened at or before this cycle
    expect(machine.ports.read(IO + EN0_ISR, 1) & ENISR_TX).toBe(0); // not at the register write
    expect(machine.ports.read(IO, 1) & 0x04).toBe(0x04); // TXP stays set while sending
    machine.runUntil(sentAt + wire.timing.cycles(PREAMBLE_BYTES + 60) );
    expect(machine.ports.read(IO + EN0_ISR, 1) & ENISR_TX).toBe(0);
    machine.runUntil(sentAt + wire.timing.cycles(PREAMBLE_BYTES + frame.length + 4) + 1);
    expect(source.heard.length).toBe(1);
    const ptxAt = source.heard[0]!.cycle;
    expect(machine.ports.read(IO + EN0_ISR, 1) & ENISR_TX).toBe(ENISR_TX);
    expect(machine.ports.read(IO + EN0_TSR, 1) & 0x01).toBe(0x01);
    expect(Array.from(source.heard[0]!.frame)).toEqual(Array.from(frame));
    expect(ptxAt - sentAt).toBeLessThanOrEqual(wire.timing.cycles(PREAMBLE_BYTES + frame.length + 4));
    expect(irq9High(machine)).toBe(true);
    const r = drv.interrupt();
    expect(r.txStatus).toEqual([0x01]);
    expect(irq9High(machine)).toBe(false);
  });

  it('pads a short frame to 60 bytes on the wire', () => {
    const { machine, drv, source } = openCard();
    drv.startXmit(Uint8Array.from([...PEER_MAC, ...CARD_MAC, 0x08, 0x06, 1, 2, 3]));
    machine.runFor(50_000);
    expect(source.heard[0]!.frame.length).toBe(60);
  });
});

describe('lib8390 receive', () => {
  it('receives through the ring: header, FCS stored, BNRY/CURR wrap over many packets', () => {
    const { machine, drv, source } = openCard();
    const frames = Array.from({ length: 40 }, (_, i) => testFrame(CARD_MAC, 60 + ((i * 137) % 1450), i));
    let got: Uint8Array[] = [];
    for (const f of frames) {
      source.send(f);
      machine.runFor(200_000); // one frame at a time, read by the interrupt handler
      expect(irq9High(machine)).toBe(true);
      got = got.concat(drv.interrupt().packets.map((p) => p.data));
    }
    expect(got.length).toBe(frames.length);
    for (let i = 0; i < frames.length; i++) {
      expect(got[i]!.length).toBe(frames[i]!.length + 4); // the count includes the stored FCS
      expect(Array.from(got[i]!.subarray(0, frames[i]!.length))).toEqual(Array.from(frames[i]!));
    }
    // 40 packets of ~3 pages each went round the 52-page ring more than once.
    expect(machine.ports.read(IO + 3, 1)).toBeGreaterThanOrEqual(drv.rxStartPage - 1);
  });

  it('the ring holds packets until read; CURR catching BNRY is full: OVW, RST, a missed packet, then ei_rx_overrun recovers', () => {
    const { machine, drv, source, card } = openCard();
    const big = (i: number) => testFrame(CARD_MAC, 1514, i);
    // 52 ring pages, 6 per full-size packet with its header and FCS: 8 fit, the 9th overflows.
    for (let i = 0; i < 10; i++) source.send(big(i));
    machine.runFor(2_000_000);
    const isr = machine.ports.read(IO + EN0_ISR, 1);
    expect(isr & 0x10).toBe(0x10); // OVW
    expect(isr & ISR_RST).toBe(ISR_RST);
    expect(card.totals.received).toBe(8);
    expect(card.totals.missed).toBe(2);
    const r = drv.interrupt();
    expect(drv.overruns).toBe(1);
    expect(r.packets.length).toBe(8);
    expect(r.packets.map((p) => p.data[14 + 0])).toEqual(Array.from({ length: 8 }, (_, i) => i & 0xff));
    drv.readCounters();
    expect(drv.rxCounters.missed).toBe(2);
    // Back to normal after the recovery.
    source.send(big(42));
    machine.runFor(300_000);
    expect(drv.interrupt().packets.length).toBe(1);
  });

  it('filters: unicast to PAR, broadcast with AB, multicast through the MAR hash, everything when promiscuous', () => {
    const { machine, drv, source } = openCard();
    const group = parseMac('01:00:5e:00:00:fb');
    const otherGroup = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => parseMac(`01:00:5e:00:01:0${i}`)).find((g) => multicastHashIndex(g) !== multicastHashIndex(group))!;
    const other = parseMac('02:00:00:00:00:42');
    const bcast = parseMac('ff:ff:ff:ff:ff:ff');
    const deliver = (dst: Uint8Array) => {
      source.send(testFrame(dst, 100));
      machine.runFor(100_000);
      return drv.interrupt().packets.length;
    };
    expect(deliver(CARD_MAC)).toBe(1);
    expect(deliver(other)).toBe(0);
    expect(deliver(bcast)).toBe(1);
    expect(deliver(group)).toBe(0); // no multicast list yet
    drv.setMulticastList({ multicast: [group] });
    expect(deliver(group)).toBe(1);
    expect(deliver(otherGroup)).toBe(0);
    drv.setMulticastList({ promisc: true });
    expect(deliver(other)).toBe(1);
    expect(deliver(otherGroup)).toBe(1);
  });

  it('a frame with a bad FCS is counted in CNTR1 and dropped', () => {
    const { machine, drv, wire, card } = openCard();
    const port = wire.attach({ name: 'raw' });
    const f = testFrame(CARD_MAC, 200);
    const bytes = new Uint8Array(204);
    bytes.set(f); // FCS left zero: wrong
    port.transmit(bytes, 204);
    machine.runFor(100_000);
    expect(drv.interrupt().packets.length).toBe(0);
    expect(card.totals.crcErrors).toBe(1);
    drv.readCounters();
    expect(drv.rxCounters.crc).toBe(1);
    drv.readCounters();
    expect(drv.rxCounters.crc).toBe(1); // cleared on read
  });
});
