// Bus-master transmit through the FIFO (HARDWARE.md §3.2: "the card reads the fragments by
// DMA as the wire consumes them"): every read beat lands at the cycle the wire and DMA
// formulas predict, so the payload is fetched just ahead of the wire, not all at once; a
// change to the payload before its chunk is read goes out, one after it does not; a bus
// too slow to keep the FIFO fed is a FIFO underrun (TSR.FU).

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import type { MachineOptions } from '../../emulator/machine/config.js';
import { attachCard, createWire } from '../../devices/attach.js';
import { BURST_BYTES, TX_FIFO_BYTES } from '../../devices/ne2k/busmaster.js';
import * as R from '../../devices/ne2k/registers.js';
import { FrameSource } from '../../devices/peers/source.js';
import { PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import { MBIT_100 } from '../../devices/wire/wire.js';
import { readReg, startBusMaster, writeReg } from '../../emulator/cli/scenario/bm-driver.js';
import { CARD_MAC, PEER_MAC, testFrame } from './rig.js';

const TX_RING = 0x30000;
const PAYLOAD = 0x40000; // page aligned: no chunk crosses a 4 KiB page
const LEN = 1514;
/** DMA timing (machine defaults, HARDWARE.md §3.2): 4 cycles a PCI clock, 2 + 1 clocks before the first beat. */
const CLOCK = 4;
const BEFORE_FIRST_BEAT = (2 + 1) * CLOCK;
/** The transmit FIFO the card documents: two 64-byte bursts. */
const FIFO = 128;

function build(machine: MachineOptions = {}) {
  const m = new Machine({ memoryBytes: 1 << 20, ...machine });
  const wire = createWire(m, { bitRate: MBIT_100 });
  const card = attachCard(m, wire, { mac: CARD_MAC });
  const peer = new FrameSource(wire, 'peer');
  startBusMaster(m, { ringBase: 0x8000, bufBase: 0x10000, count: 1, bufSize: 2048, tx: { base: TX_RING, count: 8 } });
  const frame = testFrame(PEER_MAC, LEN, 11);
  m.memory.set(frame, PAYLOAD);
  m.memory.write32(TX_RING + R.DESC_ADDR, PAYLOAD);
  m.memory.write32(TX_RING + R.DESC_CTRL, (LEN | R.CTRL_SOF | R.CTRL_EOF) >>> 0);
  m.memory.write32(TX_RING + R.DESC_STATUS, R.STATUS_OWN);
  const reads: number[] = [];
  m.dma.observers.add((b) => {
    if (!b.write && b.master === card.name) reads.push(b.cycle);
  });
  const go = () => writeReg(m, 3, R.P3_BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
  return { m, wire, card, peer, frame, reads, go };
}

/**
 * The predicted read beats, from the formulas alone (machine-default DMA timing). The poll is at cycle 0; a read issued
 * at cycle t has its beat k at t + 12 + 4(k+1). The descriptor comes first, ownership first:
 * its status word (1 beat), then its address and control words (2 beats, a read issued when
 * the status has landed); chunk 0 is read when they have landed, and the preamble starts
 * when chunk 0 has landed (at `origin`).
 * Byte j has left the wire at origin + cycles(8 + j + 1). Chunk c, bytes [64c, e_c), is
 * read when the previous chunk has landed and the wire has drained e_c - FIFO bytes.
 */
function predict(cycles: (bytes: number) => number) {
  const beatsAt = (issue: number, n: number) => Array.from({ length: Math.ceil(n / 4) }, (_, k) => issue + BEFORE_FIRST_BEAT + CLOCK * (k + 1));
  const status = beatsAt(0, 4);
  const desc = [...status, ...beatsAt(status.at(-1)!, R.DESC_STATUS - R.DESC_ADDR)];
  const chunks: { issue: number; land: number; start: number; end: number }[] = [];
  let landed = desc.at(-1)!;
  let origin = 0;
  for (let start = 0; start < LEN; start += BURST_BYTES) {
    const end = Math.min(LEN, start + BURST_BYTES);
    const drained = end - FIFO;
    const issue = drained > 0 ? Math.max(landed, origin + cycles(PREAMBLE_BYTES + drained)) : landed;
    landed = beatsAt(issue, end - start).at(-1)!;
    if (start === 0) origin = landed;
    chunks.push({ issue, land: landed, start, end });
  }
  // When the last FCS byte has left, the status write (one beat), then the card polls the
  // next descriptor (its status word, one read beat; not owned, so nothing more is sent).
  const end = origin + cycles(PREAMBLE_BYTES + LEN + 4);
  const statusWritten = beatsAt(end, 4).at(-1)!;
  const beats = [...desc, ...chunks.flatMap((c) => beatsAt(c.issue, c.end - c.start)), ...beatsAt(statusWritten, 4)];
  return { beats, chunks, origin };
}

describe('bus-master transmit: the FIFO is fed as the wire consumes it', () => {
  it('every read beat lands at the cycle the wire and DMA formulas predict', () => {
    const r = build();
    const p = predict((b) => r.wire.timing.cycles(b));
    r.go();
    r.m.runFor(200_000);
    expect(r.reads).toEqual(p.beats);
    // Fetched just ahead of the wire: chunk c is read after the wire has sent 64(c-2) bytes.
    for (const c of p.chunks.slice(2)) expect(c.issue).toBeGreaterThanOrEqual(p.origin + r.wire.timing.cycles(PREAMBLE_BYTES + c.end - FIFO));
    expect(r.peer.heard.length).toBe(1);
    expect(Array.from(r.peer.heard[0]!.frame)).toEqual(Array.from(r.frame));
    expect(r.peer.heard[0]!.cycle).toBe(p.origin + r.wire.timing.cycles(PREAMBLE_BYTES + LEN + 4));
    expect((r.m.memory.read32(TX_RING + R.DESC_STATUS) >>> R.STATUS_RSR_SHIFT) & 0xff).toBe(R.TSR_PTX);
    expect([TX_FIFO_BYTES, BURST_BYTES]).toEqual([FIFO, 64]);
  });

  it('a payload change before its chunk is read goes on the wire; one after it was read does not', () => {
    const probe = build();
    const { chunks } = predict((b) => probe.wire.timing.cycles(b));
    const c = chunks[10]!; // bytes 640..703, read well after the frame started
    const at = c.start + 10;
    const run = (cycle: number) => {
      const r = build();
      r.m.eventSource('client').at(cycle, () => (r.m.memory.bytes[PAYLOAD + at] = 0xee));
      r.go();
      r.m.runFor(200_000);
      expect(r.peer.heard.length).toBe(1);
      return r.peer.heard[0]!.frame;
    };
    expect(probe.frame[at]).not.toBe(0xee);
    expect(run(c.issue - 1)[at]).toBe(0xee); // before the read: the new byte leaves
    expect(run(c.land + 1)[at]).toBe(probe.frame[at]); // after the read: the FIFO holds the old one
    // And the read really happens long after the frame began (not all up front).
    expect(c.issue).toBeGreaterThan(chunks[0]!.land + 5 * 600);
  });

  it('a bus too slow to feed the FIFO is an underrun: TSR.FU, error status, a bad FCS on the wire', () => {
    // 50 cycles a PCI clock: a 64-byte burst takes (3 + 16) * 50 = 950 cycles, longer than
    // the 681 cycles 64 bytes take on a 100 Mbit/s wire at 133 MHz.
    const r = build({ dma: { cpuCyclesPerPciClock: 50 } });
    r.go();
    r.m.runFor(400_000);
    const status = r.m.memory.read32(TX_RING + R.DESC_STATUS);
    expect(status & R.STATUS_OWN).toBe(0);
    expect(status & R.STATUS_ERR).toBe(R.STATUS_ERR);
    expect((status >>> R.STATUS_RSR_SHIFT) & 0xff).toBe(R.TSR_PTX | R.TSR_FU);
    expect(readReg(r.m, 0, R.P0_TSR)).toBe(R.TSR_PTX | R.TSR_FU);
    expect(r.peer.heard.length).toBe(0);
    expect(r.peer.badFcs).toBe(1);
    expect(r.card.totals.transmitted).toBe(0);
  });

  it('at the default DMA timing the same frame has no underrun', () => {
    const r = build();
    r.go();
    r.m.runFor(200_000);
    expect(readReg(r.m, 0, R.P0_TSR)).toBe(R.TSR_PTX);
    expect(r.card.totals.transmitted).toBe(1);
  });
});
