// The bus-master extension: line rate with descriptors kept available, missed counting
// without them, beats landing exactly when the wire and DMA timing say (a revocation-style
// check at a chosen cycle), fragmented transmit, bus errors.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { attachCard, createWire } from '../../devices/attach.js';
import { withFcs } from '../../devices/frame.js';
import { BURST_BYTES } from '../../devices/ne2k/busmaster.js';
import * as R from '../../devices/ne2k/registers.js';
import { FrameSource } from '../../devices/peers/source.js';
import { WireTiming, PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import { MBIT_10, MBIT_100 } from '../../devices/wire/wire.js';
import { busMasterRig, readReg, startBusMaster, writeReg } from '../../emulator/cli/scenario/bm-driver.js';
import { CARD_MAC, PEER_MAC, rig, testFrame } from './rig.js';

const RING = 0x10000;
const BUFS = 0x20000;
const CPU_HZ = 133_000_000;

function lineRate(bitRate: number, own: boolean) {
  const r = busMasterRig({ bitRate, ring: { ringBase: RING, bufBase: BUFS, count: 16, bufSize: 2048, own } });
  const frame = testFrame(CARD_MAC, 1514);
  r.source.sendAtLineRate(1_000_000, () => frame);
  r.machine.runUntil(CPU_HZ); // one emulated second
  r.driver.readCounters();
  return { ...r, drv: r.driver };
}

describe('bus-master receive at line rate', () => {
  it('100 Mbit/s: 8,127 full-size frames in one emulated second, none missed', () => {
    const { drv, card } = lineRate(MBIT_100, true);
    expect(Math.abs(drv.received.length - 8127)).toBeLessThanOrEqual(1);
    expect(drv.received.every((n) => n === 1518)).toBe(true);
    expect(card.totals.missed).toBe(0);
    expect(drv.missed).toBe(0);
    expect(drv.errors).toBe(0);
  });

  it('10 Mbit/s: 812 full-size frames in one emulated second, none missed', () => {
    const { drv, card } = lineRate(MBIT_10, true);
    expect(Math.abs(drv.received.length - 812)).toBeLessThanOrEqual(1);
    expect(card.totals.missed).toBe(0);
  });

  it('with no descriptor owned by the card every frame is missed: CNTR2 via ISR.CNT, BMSR.RU', () => {
    const { drv, card, wire } = lineRate(MBIT_10, false);
    // A frame is missed once its destination address (6 bytes after the 8-byte preamble) has
    // arrived and the descriptor read (4 beats: 7 PCI clocks = 28 cycles) found it not owned.
    const byteTimes = wire.timing.bytesBy(CPU_HZ - 28);
    const arrived = Math.floor((byteTimes - 14) / 1538) + 1;
    expect(drv.received.length).toBe(0);
    expect(card.totals.missed).toBe(arrived);
    expect(drv.missed).toBe(arrived); // the 8-bit counter, emptied on each CNT interrupt, adds up
    expect(drv.unavailable).toBeGreaterThan(0);
    expect(Math.abs(arrived - 812)).toBeLessThanOrEqual(1);
  });
});

describe('DMA beats land as the bytes arrive', () => {
  // One 1514-byte frame (1518 with FCS) sent at cycle 0 at 100 Mbit/s into a descriptor whose
  // buffer is page aligned. Predicted from the formulas alone:
  //   byte j has arrived at floor((8 + j + 1) * 8 * cpuHz / bitRate)
  //   the card bursts bytes [64c, 64c+64) when their last byte has arrived: at A_c;
  //   beat k of that burst lands at A_c + (2 arbitration + 1 address) * 4 + (k + 1) * 4.
  const timing = new WireTiming(CPU_HZ, MBIT_100);
  const LEN = 1518;
  const arrival = (j: number) => timing.cycles(PREAMBLE_BYTES + j + 1);
  const beats: { cycle: number; end: number }[] = [];
  for (let c = 0; c * BURST_BYTES < LEN; c++) {
    const end = Math.min(LEN, (c + 1) * BURST_BYTES);
    const a = arrival(end - 1);
    for (let k = 0; k * 4 < end - c * BURST_BYTES; k++) beats.push({ cycle: a + 12 + (k + 1) * 4, end: Math.min(end, c * BURST_BYTES + (k + 1) * 4) });
  }

  function runTo(cycle: number) {
    const machine = new Machine({ memoryBytes: 1 << 20 });
    const wire = createWire(machine, { bitRate: MBIT_100 });
    const card = attachCard(machine, wire, { mac: CARD_MAC });
    const source = new FrameSource(wire);
    startBusMaster(machine, { ringBase: 0x8000, bufBase: 0x40000, count: 1, bufSize: 2048 });
    const frame = testFrame(CARD_MAC, 1514, 3);
    let seen: Uint8Array | undefined;
    // The "revocation": an event at the chosen cycle, after every beat due at that cycle.
    machine.eventSource('revoke').at(cycle, () => (seen = machine.memory.bytes.slice(0x40000, 0x40000 + LEN)));
    source.send(frame);
    machine.runUntil(cycle + 1);
    return { seen: seen!, wireBytes: withFcs(frame), card };
  }

  it('the predicted beat times cover the whole frame', () => {
    expect(beats.length).toBe(Math.ceil(LEN / 4));
    expect(beats.at(-1)!.end).toBe(LEN);
  });

  it('at every beat boundary: the beats due by the chosen cycle are in memory, none after it', () => {
    const picks = [0, 1, 5, 15, 16, 17, 100, 200, 300, beats.length - 2, beats.length - 1];
    for (const i of picks) {
      const b = beats[i]!;
      for (const cycle of [b.cycle - 1, b.cycle]) {
        const { seen, wireBytes } = runTo(cycle);
        const landed = cycle === b.cycle ? b.end : i === 0 ? 0 : beats[i - 1]!.end;
        expect(Array.from(seen.subarray(0, landed)), `cycle ${cycle}`).toEqual(Array.from(wireBytes.subarray(0, landed)));
        expect(seen.subarray(landed).every((x) => x === 0), `nothing past byte ${landed} at cycle ${cycle}`).toBe(true);
      }
    }
  });

  it('the reception spans the wire time: the last beat comes after the last FCS byte arrived', () => {
    expect(beats.at(-1)!.cycle).toBeGreaterThan(arrival(LEN - 1));
    expect(beats[0]!.cycle).toBe(arrival(63) + 16);
  });
});

describe('bus-master transmit and errors', () => {
  function txRig(iommu = false) {
    const r = rig({ iommu });
    startBusMaster(r.machine, { ringBase: RING, bufBase: BUFS, count: 4, bufSize: 2048, tx: { base: 0x30000, count: 8 } });
    return r;
  }
  const putTx = (m: Machine, i: number, addr: number, len: number, flags: number) => {
    const d = 0x30000 + i * 16;
    m.memory.write32(d, addr);
    m.memory.write32(d + 4, (len | flags) >>> 0);
    m.memory.write32(d + 8, R.STATUS_OWN);
  };

  it('sends a frame gathered from three fragments and returns the descriptors with TSR', () => {
    const { machine, source } = txRig();
    const frame = testFrame(PEER_MAC, 700, 9);
    machine.memory.bytes.set(frame.subarray(0, 14), 0x50000);
    machine.memory.bytes.set(frame.subarray(14, 300), 0x61001); // odd, unaligned
    machine.memory.bytes.set(frame.subarray(300), 0x70ff0); // crosses a 4 KiB page
    putTx(machine, 0, 0x50000, 14, R.CTRL_SOF);
    putTx(machine, 1, 0x61001, 286, 0);
    putTx(machine, 2, 0x70ff0, 400, R.CTRL_EOF);
    writeReg(machine, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
    machine.runFor(200_000);
    expect(source.heard.length).toBe(1);
    expect(Array.from(source.heard[0]!.frame)).toEqual(Array.from(frame));
    for (let i = 0; i < 3; i++) {
      const s = machine.memory.read32(0x30000 + i * 16 + 8);
      expect(s & R.STATUS_OWN).toBe(0);
      expect((s >>> R.STATUS_RSR_SHIFT) & 0xff).toBe(R.TSR_PTX);
    }
    expect(readReg(machine, 3, R.P3_TDH)).toBe(3);
    expect(readReg(machine, 3, R.P3_BMSR) & R.BMSR_TD).toBe(R.BMSR_TD);
  });

  it('a fragment at a non-existent address ends in master abort: BE, error status, nothing sent', () => {
    const { machine, source } = txRig();
    putTx(machine, 0, 0x7ff00000, 100, R.CTRL_SOF | R.CTRL_EOF);
    writeReg(machine, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
    machine.runFor(100_000);
    expect(source.heard.length).toBe(0);
    expect(readReg(machine, 3, R.P3_BMSR) & R.BMSR_BE).toBe(R.BMSR_BE);
    expect(machine.memory.read32(0x30008) & R.STATUS_ERR).toBe(R.STATUS_ERR);
  });

  it('an IOMMU fault on a receive buffer is a bus error: nothing written, error status, the engine goes on', () => {
    const r = txRig(true);
    const { machine, source } = r;
    machine.iommu.map(RING >> 12, RING >> 12, true); // the ring is mapped, the buffers are not
    source.send(testFrame(CARD_MAC, 300));
    machine.runFor(100_000);
    expect(readReg(machine, 3, R.P3_BMSR) & R.BMSR_BE).toBe(R.BMSR_BE);
    expect(machine.memory.read32(RING + 8) & (R.STATUS_ERR | R.STATUS_OWN)).toBe(R.STATUS_ERR);
    expect(machine.memory.bytes.subarray(BUFS, BUFS + 300).every((b) => b === 0)).toBe(true);
    expect(readReg(machine, 3, R.P3_BMCR) & R.BMCR_RXEN).toBe(R.BMCR_RXEN);
  });

  it('an unreachable descriptor ring is fatal: BE and the engine stops', () => {
    const { machine, source } = txRig();
    for (let i = 0; i < 4; i++) writeReg(machine, 3, R.P3_RDBA0 + i, [0, 0, 0, 0x7f][i]!);
    source.send(testFrame(CARD_MAC, 300));
    machine.runFor(100_000);
    expect(readReg(machine, 3, R.P3_BMSR) & R.BMSR_BE).toBe(R.BMSR_BE);
    expect(readReg(machine, 3, R.P3_BMCR) & R.BMCR_RXEN).toBe(0);
  });
});
