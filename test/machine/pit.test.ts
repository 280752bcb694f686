// Tests for 8254 channel 0: IRQ 0 edges at exactly predicted cycles (no drift), modes 0, 2
// and 3, counter latch and live reads, reprogramming, and saved state.

import { describe, it, expect } from 'vitest';
import { Clock } from '../../emulator/machine/clock.js';
import type { IrqLine } from '../../emulator/machine/irq.js';
import { Pic } from '../../emulator/machine/pic.js';
import { Pit } from '../../emulator/machine/pit.js';
import { PortBus } from '../../emulator/machine/ports.js';
import { Trace } from '../../emulator/machine/trace.js';

const CPU_HZ = 133_000_000;
const C = BigInt(CPU_HZ) * 12n; // cycles per input tick = C / F
const F = 14_318_180n;

/** Independent model: input tick i happens in cycle floor(i*C/F). */
const tickCycle = (i: number) => Number((BigInt(i) * C) / F);
/** Last tick whose cycle is <= t, by search rather than the PIT's closed form. */
function tickAt(t: number): number {
  let i = Number((BigInt(t) * F) / C);
  while (tickCycle(i + 1) <= t) i++;
  while (tickCycle(i) > t) i--;
  return i;
}

/** An IRQ line that records the cycle of every rising edge. */
class Probe implements IrqLine {
  high = false;
  edges: number[] = [];
  constructor(private readonly clock: Clock) {}
  raise(): void {
    if (!this.high) this.edges.push(this.clock.now);
    this.high = true;
  }
  lower(): void {
    this.high = false;
  }
}

function setup(irq?: IrqLine) {
  const clock = new Clock();
  const trace = new Trace(100);
  const ports = new PortBus();
  const probe = new Probe(clock);
  const pit = new Pit(clock.source('pit'), trace, irq ?? probe, CPU_HZ);
  pit.attach(ports);
  const out = (port: number, v: number) => ports.write(port, v, 1);
  const inb = (port: number) => ports.read(port, 1);
  /** Control word for channel 0, lo/hi access, then the count. */
  const program = (mode: number, count: number) => {
    out(0x43, 0x30 | (mode << 1));
    out(0x40, count & 0xff);
    out(0x40, count >> 8);
  };
  const latch = () => {
    out(0x43, 0x00);
    return inb(0x40) | (inb(0x40) << 8);
  };
  return { clock, trace, ports, probe, pit, out, inb, program, latch };
}

describe('Pit', () => {
  it('gives mode 2 edges at exactly the predicted cycles over 2000 periods, without drift', () => {
    const h = setup();
    const N = 11932; // ~100 Hz
    h.clock.runUntil(123_457);
    h.program(2, N);
    const t0 = tickAt(123_457) + 1; // the count loads at the next input tick
    const expected = Array.from({ length: 2000 }, (_, k) => tickCycle(t0 + (k + 1) * N));
    h.clock.runUntil(expected[1999]!);
    expect(h.probe.edges).toEqual(expected);
    // Drift check against the ideal real-valued schedule: every edge within one cycle of it.
    const ideal = (k: number) => ((t0 + (k + 1) * N) * CPU_HZ * 12) / 14_318_180;
    for (let k = 0; k < 2000; k++) expect(Math.abs(h.probe.edges[k]! - ideal(k))).toBeLessThan(1);
    // Integer periods alternate around N*C/F (~1,330,020.4 cycles) rather than all truncating.
    const gaps = new Set(h.probe.edges.slice(1).map((e, k) => e - h.probe.edges[k]!));
    expect([...gaps].sort()).toEqual([1330020, 1330021]);
  });

  it('gives mode 3 the same edge rate and counts down by two twice per period', () => {
    const h = setup();
    h.program(3, 1000);
    const t0 = tickAt(0) + 1;
    h.clock.runUntil(tickCycle(t0 + 5000));
    expect(h.probe.edges).toEqual([1, 2, 3, 4, 5].map((k) => tickCycle(t0 + k * 1000)));
    // 100 ticks into the period: the high half counts 1000, 998, ...
    h.clock.runUntil(tickCycle(t0 + 5100));
    expect(h.latch()).toBe(800);
    h.clock.runUntil(tickCycle(t0 + 5600)); // low half: reloaded at tick 500
    expect(h.latch()).toBe(800);
  });

  it('counts odd mode 3 periods as the 8254 does', () => {
    const h = setup();
    h.program(3, 5);
    const t0 = tickAt(0) + 1;
    const seen: number[] = [];
    for (let j = 0; j < 10; j++) {
      h.clock.runUntil(tickCycle(t0 + j));
      seen.push(h.latch());
    }
    expect(seen).toEqual([4, 2, 0, 4, 2, 4, 2, 0, 4, 2]);
  });

  it('latches a count consistent with the elapsed cycles and holds it until read', () => {
    const h = setup();
    const N = 11932;
    h.program(2, N);
    const t0 = tickAt(0) + 1;
    for (const t of [5_000, 777_777, 3_000_001, 13_300_000]) {
      h.clock.runUntil(t);
      h.out(0x43, 0x00);
      h.clock.runUntil(t + 50_000); // ~450 ticks later the latch still holds
      const count = h.inb(0x40) | (h.inb(0x40) << 8);
      expect(count).toBe(N - ((tickAt(t) - t0) % N));
    }
    // Unlatched reads follow the live count: 1,000,000 cycles is ~8977 ticks.
    h.clock.runUntil(20_000_000);
    const a = h.latch();
    h.clock.runUntil(21_000_000);
    const b = h.latch();
    expect((a - b + N) % N).toBe(tickAt(21_000_000) - tickAt(20_000_000));
  });

  it('treats a count of 0 as 65536 and honours lobyte-only access', () => {
    const h = setup();
    h.program(2, 0);
    const t0 = tickAt(0) + 1;
    h.clock.runUntil(tickCycle(t0 + 2 * 65536));
    expect(h.probe.edges).toEqual([tickCycle(t0 + 65536), tickCycle(t0 + 2 * 65536)]);

    const g = setup();
    g.out(0x43, 0x14); // channel 0, lobyte only, mode 2
    g.out(0x40, 100);
    g.clock.runUntil(tickCycle(tickAt(0) + 1 + 30));
    g.out(0x43, 0x00);
    expect(g.inb(0x40)).toBe(70);
    expect(g.inb(0x40)).toBe(70); // the latch was consumed by the first read: live again, same tick
    g.clock.runUntil(tickCycle(tickAt(0) + 1 + 300));
    expect(g.probe.edges).toHaveLength(3);
  });

  it('cancels the old schedule when reprogrammed with a control word', () => {
    const h = setup();
    h.program(2, 11932);
    const t0 = tickAt(0) + 1;
    const old3 = tickCycle(t0 + 3 * 11932);
    h.clock.runUntil(tickCycle(t0 + 2 * 11932) + 1000);
    h.program(2, 1193);
    const t1 = tickAt(h.clock.now) + 1;
    h.clock.runUntil(old3 + 10);
    const expected = [1, 2].map((k) => tickCycle(t0 + k * 11932));
    for (let k = 1; tickCycle(t1 + k * 1193) <= old3 + 10; k++) expected.push(tickCycle(t1 + k * 1193));
    expect(h.probe.edges).toEqual(expected);
    expect(h.probe.edges).not.toContain(old3);
    expect(h.clock.pending).toBeGreaterThan(0);
    h.out(0x43, 0x34); // control word alone stops the counter: no more edges
    h.clock.runUntilIdle();
    expect(h.probe.edges).toEqual(expected);
  });

  it('loads a count written while counting in mode 2 at the end of the period', () => {
    const h = setup();
    h.program(2, 10000);
    const t0 = tickAt(0) + 1;
    h.clock.runUntil(tickCycle(t0 + 4000));
    h.out(0x40, 3000 & 0xff);
    h.out(0x40, 3000 >> 8);
    h.clock.runUntil(tickCycle(t0 + 16000));
    expect(h.probe.edges).toEqual([10000, 13000, 16000].map((k) => tickCycle(t0 + k)));
  });

  it('gives mode 0 one rising edge at terminal count and lowers OUT on programming', () => {
    const h = setup();
    h.program(0, 500);
    const t0 = tickAt(0) + 1;
    expect(h.probe.high).toBe(false);
    h.clock.runUntilIdle();
    expect(h.probe.edges).toEqual([tickCycle(t0 + 500)]);
    expect(h.probe.high).toBe(true);
    h.clock.runUntil(tickCycle(t0 + 510));
    expect(h.latch()).toBe(0x10000 - 10); // wraps on after terminal count
  });

  it('drives the PIC: IRQ 0 arrives once per period as vector 0x20', () => {
    const clock = new Clock();
    const trace = new Trace();
    const ports = new PortBus();
    const pic = new Pic(clock, trace);
    pic.attach(ports);
    const pit = new Pit(clock.source('pit'), trace, pic.line(0), CPU_HZ);
    pit.attach(ports);
    for (const [p, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 0x04], [0x21, 0x01]] as const) ports.write(p, v, 1);
    ports.write(0x43, 0x34, 1);
    ports.write(0x40, 11932 & 0xff, 1);
    ports.write(0x40, 11932 >> 8, 1);
    const t0 = tickAt(0) + 1;
    const taken: number[] = [];
    for (let k = 1; k <= 5; k++) {
      clock.runUntil(tickCycle(t0 + k * 11932) - 1);
      expect(pic.interruptPending).toBe(false);
      clock.runUntil(tickCycle(t0 + k * 11932));
      expect(pic.interruptPending).toBe(true);
      taken.push(pic.acknowledge());
      ports.write(0x20, 0x20, 1);
    }
    expect(taken).toEqual([0x20, 0x20, 0x20, 0x20, 0x20]);
  });

  it('ignores channels 1 and 2 and the read-back command', () => {
    const h = setup();
    h.out(0x43, 0x74); // channel 1, mode 2
    h.out(0x41, 0x12);
    h.out(0x41, 0x00);
    h.out(0x43, 0xb6); // channel 2, mode 3
    h.out(0x42, 0x34);
    h.out(0x43, 0xe2); // read-back
    h.clock.runUntilIdle(1e9);
    expect(h.probe.edges).toEqual([]);
    expect(h.inb(0x42)).toBe(0xff);
  });

  it('saves and restores a running counter, rescheduling its next edge', () => {
    const h = setup();
    h.program(2, 11932);
    const t0 = tickAt(0) + 1;
    h.clock.runUntil(5_000_000);
    const saved = JSON.parse(JSON.stringify(h.pit.saveState()));

    const g = setup();
    g.clock.runUntil(5_000_000);
    g.pit.restoreState(saved);
    expect(g.latch()).toBe(h.latch());
    g.clock.runUntil(tickCycle(t0 + 6 * 11932));
    expect(g.probe.edges).toEqual([4, 5, 6].map((k) => tickCycle(t0 + k * 11932)));
  });
});
