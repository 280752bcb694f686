// A descriptor the driver fills while the card is reading it (docs/machine.md §8). The card
// fetches a descriptor by DMA, one beat at a time, and memory is sampled as each beat lands;
// a driver writes the buffer address, then the length, then OWN last. Whatever cycle the
// driver's stores fall on, the card must use the descriptor as it was before them (not its
// own: nothing happens) or as it is after them, never the old address with the new OWN: that
// sends or receives through a buffer the driver no longer has pinned. Found by the interop
// test against Linux: a transmit descriptor re-filled as the card polled it after the
// previous frame made the card read 60 header bytes from a client page unpinned since.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { attachCard, createWire } from '../../devices/attach.js';
import * as R from '../../devices/ne2k/registers.js';
import { FrameSource } from '../../devices/peers/source.js';
import { MBIT_100 } from '../../devices/wire/wire.js';
import { startBusMaster, writeReg } from '../../emulator/cli/scenario/bm-driver.js';
import { CARD_MAC, PEER_MAC, testFrame } from './rig.js';

const RX_RING = 0x8000;
const TX_RING = 0x30000;
/** The buffer the descriptor named before (freed, unpinned) and the one the driver fills it with. */
const OLD = 0x50000;
const NEW = 0x60000;
const LEN = 300;
/** Cycles between the driver's three stores (a few instructions each). */
const STORE_GAP = 2;
/** The driver's first store from this many cycles before the card's first descriptor beat to this many after: across every beat of the fetch. */
const WINDOW = { before: 12, after: 28 };

function build() {
  const m = new Machine({ memoryBytes: 1 << 20 });
  const wire = createWire(m, { bitRate: MBIT_100 });
  const card = attachCard(m, wire, { mac: CARD_MAC });
  const peer = new FrameSource(wire, 'peer');
  startBusMaster(m, { ringBase: RX_RING, bufBase: 0x10000, count: 1, bufSize: 2048, own: false, tx: { base: TX_RING, count: 8 } });
  const reads: { cycle: number; bus: number }[] = [];
  const writes: { cycle: number; bus: number }[] = [];
  m.dma.observers.add((b) => (b.master === card.name ? (b.write ? writes : reads).push({ cycle: b.cycle, bus: b.bus }) : undefined));
  return { m, card, peer, reads, writes };
}

/** The driver filling descriptor `d` from cycle `at`: address, length and flags, OWN last. */
function fill(m: Machine, d: number, at: number, addr: number, ctrl: number): void {
  const s = m.eventSource('driver');
  s.at(at, () => m.memory.write32(d + R.DESC_ADDR, addr));
  s.at(at + STORE_GAP, () => m.memory.write32(d + R.DESC_CTRL, ctrl >>> 0));
  s.at(at + 2 * STORE_GAP, () => m.memory.write32(d + R.DESC_STATUS, R.STATUS_OWN));
}

const inBuffer = (bus: number, base: number) => bus >= base && bus < base + 2048;

describe('a descriptor filled while the card reads it', () => {
  it('transmit: the card sends the new fragment or nothing yet, never the old one', () => {
    const probe = build();
    probe.m.memory.write32(TX_RING + R.DESC_ADDR, OLD);
    writeReg(probe.m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
    probe.m.runFor(1_000);
    const poll = probe.reads[0]!.cycle; // the card looking at a descriptor it does not own
    const frame = testFrame(PEER_MAC, LEN, 5);
    const outcomes = new Set<string>();
    for (let at = poll - WINDOW.before; at <= poll + WINDOW.after; at++) {
      const r = build();
      r.m.memory.set(testFrame(PEER_MAC, LEN, 99), OLD); // what a client page held before
      r.m.memory.set(frame, NEW);
      r.m.memory.write32(TX_RING + R.DESC_ADDR, OLD); // the descriptor's last use: not the card's now
      r.m.memory.write32(TX_RING + R.DESC_CTRL, (LEN | R.CTRL_SOF | R.CTRL_EOF) >>> 0);
      fill(r.m, TX_RING, at, NEW, LEN | R.CTRL_SOF | R.CTRL_EOF);
      writeReg(r.m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
      r.m.runFor(5_000);
      outcomes.add(r.peer.heard.length > 0 ? 'sent at the first poll' : 'sent at the next');
      // The driver's own poll after its stores, as every driver does.
      writeReg(r.m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
      r.m.runFor(100_000);
      expect(r.reads.filter((b) => inBuffer(b.bus, OLD)), `stores from cycle ${at}: reads of the old buffer`).toEqual([]);
      expect(r.peer.heard.map((h) => Array.from(h.frame)), `stores from cycle ${at}`).toEqual([Array.from(frame)]);
    }
    expect([...outcomes].sort()).toEqual(['sent at the first poll', 'sent at the next']); // the window spans the fetch
  });

  it('receive: the card writes the frame into the new buffer or misses it, never into the old one', () => {
    const probe = build();
    probe.peer.send(testFrame(CARD_MAC, LEN, 1));
    probe.m.runFor(100_000);
    const fetch = probe.reads[0]!.cycle; // the card reading the descriptor at RDH
    expect(probe.writes).toEqual([]); // not its own: missed
    const outcomes = new Set<string>();
    for (let at = fetch - WINDOW.before; at <= fetch + WINDOW.after; at++) {
      const r = build();
      r.m.memory.write32(RX_RING + R.DESC_ADDR, OLD);
      r.m.memory.write32(RX_RING + R.DESC_CTRL, 2048);
      fill(r.m, RX_RING, at, NEW, 2048);
      const frame = testFrame(CARD_MAC, LEN, 1);
      r.peer.send(frame);
      r.m.runFor(100_000);
      expect(r.writes.filter((b) => inBuffer(b.bus, OLD)), `stores from cycle ${at}: writes into the old buffer`).toEqual([]);
      const status = r.m.memory.read32(RX_RING + R.DESC_STATUS) >>> 0;
      outcomes.add(r.writes.length > 0 ? 'received' : 'missed');
      if (r.writes.length > 0) {
        expect(status & R.STATUS_OWN, `stores from cycle ${at}`).toBe(0);
        expect(Array.from(r.m.memory.bytes.subarray(NEW, NEW + LEN))).toEqual(Array.from(frame));
      } else {
        expect(status & R.STATUS_OWN, `stores from cycle ${at}: missed, the descriptor still the card's`).toBe(R.STATUS_OWN);
      }
    }
    expect([...outcomes].sort()).toEqual(['missed', 'received']); // the window spans the fetch
  });
});
