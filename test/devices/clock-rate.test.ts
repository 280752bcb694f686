// Timing figures follow the configured CPU clock, never an assumed 133 MHz: the wire's
// reorder hold (1 ms) and an unconnected card's frame time (10 Mbit/s) on a 66 MHz machine
// are half their cycle counts on a 133 MHz one. And a wire with no faults needs no random
// source (its fault streams exist only for non-zero rates).

import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { attachCard, createWire } from '../../devices/attach.js';
import * as R from '../../devices/ne2k/registers.js';
import { FrameSource } from '../../devices/peers/source.js';
import { PREAMBLE_BYTES } from '../../devices/wire/timing.js';
import { MBIT_10, Wire } from '../../devices/wire/wire.js';
import { CARD_MAC, IO, PEER_MAC, testFrame } from './rig.js';

const HZ = [66_000_000, 133_000_000];

describe('cost and timing figures derive from the configured cpuHz', () => {
  for (const cpuHz of HZ) {
    it(`${cpuHz / 1e6} MHz: a reordered frame with no successor is held 1 ms (${cpuHz / 1000} cycles)`, () => {
      const m = new Machine({ cpuHz });
      const wire = createWire(m, { faults: { reorder: 1 } });
      const a = new FrameSource(wire, 'a');
      const b = new FrameSource(wire, 'b');
      a.send(testFrame(PEER_MAC, 100));
      m.runUntil(cpuHz / 100);
      expect(wire.faults.counts.reordered).toBe(1);
      expect(b.heard.map((h) => h.cycle)).toEqual([cpuHz / 1000 + wire.timing.cycles(PREAMBLE_BYTES + 104)]);
    });

    it(`${cpuHz / 1e6} MHz: an unconnected card's transmission lasts a 10 Mbit/s frame time at that clock`, () => {
      const m = new Machine({ cpuHz });
      let doneAt = -1;
      attachCard(m, undefined, { mac: CARD_MAC, wrapIrq: (line) => ({ raise: () => ((doneAt = m.clock.now), line.raise()), lower: () => line.lower() }) });
      const out = (reg: number, v: number) => m.ports.write(IO + reg, v, 1);
      out(R.CR, R.CR_STA | R.CR_RD_ABORT);
      out(R.P0_IMR, R.ISR_PTX);
      out(R.P0_TPSR, 0x40);
      out(R.P0_TBCR0, 60);
      out(R.P0_TBCR1, 0);
      out(R.CR, R.CR_STA | R.CR_RD_ABORT | R.CR_TXP);
      m.runUntil(cpuHz / 100);
      expect(doneAt).toBe(Math.floor(((PREAMBLE_BYTES + 64) * 8 * cpuHz) / MBIT_10));
    });
  }
});

describe('a wire without faults', () => {
  it('needs no random source; a non-zero rate without one is a clear error', () => {
    const m = new Machine();
    const wire = new Wire({ cpuHz: m.config.cpuHz, events: m.eventSource('wire') });
    const a = new FrameSource(wire, 'a');
    const b = new FrameSource(wire, 'b');
    a.send(testFrame(PEER_MAC, 100));
    m.runUntil(1_000_000);
    expect(b.heard.length).toBe(1);
    expect(() => new Wire({ cpuHz: m.config.cpuHz, events: m.eventSource('w2'), faults: { loss: 0, corrupt: 0 } })).not.toThrow();
    expect(() => new Wire({ cpuHz: m.config.cpuHz, events: m.eventSource('w3'), faults: { loss: 0.1 } })).toThrow(/needs a seeded random source/);
  });

  it('draws a random stream only for each non-zero rate', () => {
    const m = new Machine();
    const asked: string[] = [];
    const random = { stream: (purpose: string) => (asked.push(purpose), m.random.stream(purpose)) };
    new Wire({ cpuHz: m.config.cpuHz, events: m.eventSource('wire'), random, faults: { loss: 0.5, duplicate: 0, corrupt: 0.1 } });
    expect(asked).toEqual(['wire.loss', 'wire.corrupt']);
  });
});
