// Save and restore: a snapshot taken in the middle of a bus-master reception (between DMA
// bursts) and restored into a fresh machine and card resumes identically: same memory,
// same trace from the snapshot on.

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { Trace } from '../../emulator/machine/trace.js';
import { attachCard, createWire } from '../../devices/attach.js';
import { FrameSource } from '../../devices/peers/source.js';
import { PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import * as R from '../../devices/ne2k/registers.js';
import { startBusMaster } from '../../emulator/cli/scenario/bm-driver.js';
import { CARD_MAC, testFrame } from './rig.js';

function build() {
  const machine = new Machine({ memoryBytes: 1 << 20, traceKeep: 100_000 });
  const wire = createWire(machine);
  const card = attachCard(machine, wire, { mac: CARD_MAC });
  const source = new FrameSource(wire);
  return { machine, wire, card, source };
}

function hashOf(entries: readonly { cycle: number; kind: string; args: readonly number[] }[]): string {
  const t = new Trace();
  for (const e of entries) t.record(e.cycle, t.kind(e.kind), e.args[0], e.args[1], e.args[2]);
  return t.hash();
}

describe('card snapshot', () => {
  it('a snapshot mid-reception resumes identically in a fresh machine', () => {
    const a = build();
    startBusMaster(a.machine, { ringBase: 0x8000, bufBase: 0x40000, count: 2, bufSize: 2048 });
    a.source.send(testFrame(CARD_MAC, 1514, 5));
    // Between the 10th and 11th bursts: bytes 640..703 are still on the wire.
    const X = a.wire.timing.cycles(PREAMBLE_BYTES + 700);
    a.machine.runUntil(X);
    expect(a.machine.dma.idle).toBe(true);
    const state = JSON.parse(JSON.stringify(a.card.saveState()));
    expect(state.bm.rx.sent).toBe(640);
    const mem = a.machine.memory.bytes.slice();
    a.machine.runUntil(X + 100_000);
    const after = (m: Machine) => m.trace.entries().filter((e) => e.cycle > X);

    const b = build();
    b.machine.cpu.cycle = X;
    b.machine.clock.now = X;
    b.machine.memory.set(mem, 0);
    b.card.restoreState(state);
    b.machine.runUntil(X + 100_000);

    expect(Buffer.compare(b.machine.memory.bytes, a.machine.memory.bytes)).toBe(0);
    expect(after(b.machine).length).toBeGreaterThanOrEqual(Math.ceil((1518 - 640) / 4)); // the remaining beats, the status write, the interrupt
    expect(after(b.machine)).toEqual(after(a.machine));
    expect(hashOf(after(b.machine))).toBe(hashOf(after(a.machine)));
    expect(b.card.totals.received).toBe(1);
    expect(b.machine.memory.read32(0x8008) & 0xffff).toBe(1518);
  });

  it('refuses to save while a DMA burst is in flight, with a reason', () => {
    const a = build();
    startBusMaster(a.machine, { ringBase: 0x8000, bufBase: 0x40000, count: 2, bufSize: 2048 });
    a.source.send(testFrame(CARD_MAC, 1514, 5));
    a.machine.runUntil(a.wire.timing.cycles(PREAMBLE_BYTES + 64) + 8); // the first burst is landing
    expect(() => a.card.saveState()).toThrow(/DMA transfer is in flight/);
  });

  // Classic ring mode (no bus mastering): a reception restored in its 'filter' phase (the
  // destination address not yet in) and in its 'ring' phase (accepted, bytes still arriving).
  for (const [phase, byteTimes] of [['filter', 4], ['ring', PREAMBLE_BYTES + 700]] as const) {
    it(`a ring-mode reception restored in its '${phase}' phase resumes identically`, () => {
      const startRing = (m: Machine) => {
        const out = (reg: number, v: number) => m.ports.write(0x300 + reg, v, 1);
        out(R.CR, R.CR_STP | R.CR_RD_ABORT);
        out(R.P0_DCR, 0x49);
        out(R.P0_RCR, R.RCR_AB);
        out(R.P0_PSTART, 0x46);
        out(R.P0_PSTOP, 0x80);
        out(R.P0_BNRY, 0x46);
        out(R.P0_ISR, 0xff);
        out(R.P0_IMR, 0x3f);
        out(R.CR, R.CR_STP | R.CR_RD_ABORT | (1 << R.CR_PS_SHIFT));
        for (let i = 0; i < 6; i++) out(R.P1_PAR0 + i, CARD_MAC[i]!);
        out(R.P1_CURR, 0x47);
        out(R.CR, R.CR_STA | R.CR_RD_ABORT);
      };
      const a = build();
      startRing(a.machine);
      const frame = testFrame(CARD_MAC, 1514, 6);
      a.source.send(frame);
      const X = a.wire.timing.cycles(byteTimes);
      a.machine.runUntil(X);
      const state = JSON.parse(JSON.stringify(a.card.saveState()));
      expect(state.rx.phase).toBe(phase);
      a.machine.runUntil(X + 200_000);
      const after = (m: Machine) => m.trace.entries().filter((e) => e.cycle > X);

      const b = build();
      b.machine.cpu.cycle = X;
      b.machine.clock.now = X;
      b.card.restoreState(state);
      b.machine.runUntil(X + 200_000);

      expect(a.card.totals.received).toBe(1);
      expect(b.card.totals.received).toBe(1);
      expect(after(b.machine).length).toBeGreaterThan(0);
      expect(after(b.machine)).toEqual(after(a.machine));
      expect(b.card.regs).toEqual(a.card.regs);
      expect(Buffer.compare(b.card.buffer, a.card.buffer)).toBe(0);
      expect(b.card.irqAsserted).toBe(true);
      // The packet is in the ring at page 0x47: header (PRX, next page, count of header + frame + FCS), then the frame.
      const at = 0x47 * 256;
      const count = 4 + 1514 + 4;
      expect(Array.from(b.card.buffer.subarray(at, at + 4))).toEqual([R.RSR_PRX, 0x47 + 6, count & 0xff, count >> 8]);
      expect(Array.from(b.card.buffer.subarray(at + 4, at + 4 + 1514))).toEqual(Array.from(frame));
    });
  }

  it('ring-mode state (registers, buffer memory) round-trips', () => {
    const a = build();
    a.machine.ports.write(0x300 + 0x0e, 0x49, 1);
    a.machine.ports.write(0x300 + 0x0f, 0x3f, 1);
    a.card.buffer[0x4123] = 0x77;
    const b = build();
    b.card.restoreState(JSON.parse(JSON.stringify(a.card.saveState())));
    expect(b.card.regs).toEqual(a.card.regs);
    expect(b.card.buffer[0x4123]).toBe(0x77);
  });
});
