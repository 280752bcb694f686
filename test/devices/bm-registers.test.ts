// Bus-master ring registers a driver got wrong (busmaster.ts, header): RDBA / TDBA ignore
// their low 4 bits (the rings are 16-byte aligned, HARDWARE.md §3.2), and an RDLEN / TDLEN
// rewritten to an invalid value in the middle of a frame stops that engine with BMSR.BE
// instead of advancing RDH / TDH by a modulo of zero.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { attachCard, createWire } from '../../devices/attach.js';
import * as R from '../../devices/ne2k/registers.js';
import { FrameSource } from '../../devices/peers/source.js';
import { PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import { readReg, startBusMaster, writeReg, writeReg32 } from '../../emulator/cli/scenario/bm-driver.js';
import { CARD_MAC, PEER_MAC, testFrame } from './rig.js';

const RX_RING = 0x8000;
const RX_BUFS = 0x10000;
const TX_RING = 0x30000;
const PAYLOAD = 0x40000;

function build() {
  const m = new Machine({ memoryBytes: 1 << 20 });
  const wire = createWire(m);
  const card = attachCard(m, wire, { mac: CARD_MAC });
  const peer = new FrameSource(wire, 'peer');
  startBusMaster(m, { ringBase: RX_RING, bufBase: RX_BUFS, count: 2, bufSize: 2048, tx: { base: TX_RING, count: 2 } });
  return { m, wire, card, peer };
}

function queueTx(m: Machine, len: number): Uint8Array {
  const frame = testFrame(PEER_MAC, len, 3);
  m.memory.set(frame, PAYLOAD);
  m.memory.write32(TX_RING + R.DESC_ADDR, PAYLOAD);
  m.memory.write32(TX_RING + R.DESC_CTRL, (len | R.CTRL_SOF | R.CTRL_EOF) >>> 0);
  m.memory.write32(TX_RING + R.DESC_STATUS, R.STATUS_OWN);
  return frame;
}

const poll = (m: Machine) => writeReg(m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
const read32 = (m: Machine, reg: number) => [0, 1, 2, 3].reduce((v, i) => v | (readReg(m, 3, reg + i) << (8 * i)), 0) >>> 0;

describe('ring base alignment', () => {
  it('RDBA ignores its low 4 bits: reads back aligned, and the card uses the aligned ring', () => {
    const { m, peer } = build();
    writeReg32(m, R.P3_RDBA0, RX_RING + 0x5);
    expect(read32(m, R.P3_RDBA0)).toBe(RX_RING);
    peer.send(testFrame(CARD_MAC, 200, 1));
    m.runFor(100_000);
    const status = m.memory.read32(RX_RING + R.DESC_STATUS);
    expect(status & (R.STATUS_OWN | R.STATUS_ERR)).toBe(0);
    expect(status & R.STATUS_LEN_MASK).toBe(204);
    expect(Array.from(m.memory.bytes.subarray(RX_BUFS, RX_BUFS + 200))).toEqual(Array.from(testFrame(CARD_MAC, 200, 1)));
  });

  it('TDBA ignores its low 4 bits: reads back aligned, and the card sends from the aligned ring', () => {
    const { m, peer } = build();
    writeReg32(m, R.P3_TDBA0, TX_RING + 0x9);
    expect(read32(m, R.P3_TDBA0)).toBe(TX_RING);
    const frame = queueTx(m, 300);
    poll(m);
    m.runFor(100_000);
    expect(peer.heard.map((h) => Array.from(h.frame))).toEqual([Array.from(frame)]);
    expect(m.memory.read32(TX_RING + R.DESC_STATUS) & R.STATUS_OWN).toBe(0);
  });
});

describe('a ring length rewritten mid-frame', () => {
  for (const bad of [0, 3]) {
    it(`RDLEN := ${bad} during a reception: the receive engine stops with BE, RDH stays a number, the descriptor keeps OWN`, () => {
      const { m, wire, card, peer } = build();
      peer.send(testFrame(CARD_MAC, 1514, 2));
      m.runUntil(wire.timing.cycles(PREAMBLE_BYTES + 700)); // mid-frame, between bursts
      expect(card.bm.receiving).toBe(true);
      writeReg(m, 3, R.P3_RDLEN, bad);
      m.runFor(100_000);
      expect(readReg(m, 3, R.P3_RDH)).toBe(0);
      expect(readReg(m, 3, R.P3_BMSR) & R.BMSR_BE).toBe(R.BMSR_BE);
      expect(readReg(m, 3, R.P3_BMCR) & (R.BMCR_RXEN | R.BMCR_TXEN)).toBe(R.BMCR_TXEN);
      expect(m.memory.read32(RX_RING + R.DESC_STATUS)).toBe(R.STATUS_OWN >>> 0);
      expect(card.totals.received).toBe(0);
    });

    it(`TDLEN := ${bad} during a transmission: the frame leaves, the transmit engine stops with BE, TDH stays a number`, () => {
      const { m, wire, card, peer } = build();
      const frame = queueTx(m, 1514);
      poll(m);
      m.runUntil(wire.timing.cycles(PREAMBLE_BYTES + 700));
      writeReg(m, 3, R.P3_TDLEN, bad);
      m.runFor(100_000);
      expect(peer.heard.map((h) => Array.from(h.frame))).toEqual([Array.from(frame)]);
      expect(readReg(m, 3, R.P3_TDH)).toBe(0);
      expect(readReg(m, 3, R.P3_BMSR) & R.BMSR_BE).toBe(R.BMSR_BE);
      expect(readReg(m, 3, R.P3_BMCR) & (R.BMCR_RXEN | R.BMCR_TXEN)).toBe(R.BMCR_RXEN);
      expect(m.memory.read32(TX_RING + R.DESC_STATUS)).toBe(R.STATUS_OWN >>> 0);
      expect(card.totals.transmitted).toBe(0);
    });
  }
});
