// The UDP bridge: one frame per datagram each way (QEMU socket netdev semantics), against
// a second dgram socket on 127.0.0.1, with the run paced to the wall clock.

import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { createWire } from '../../devices/attach.js';
import { FrameSource } from '../../devices/peers/source.js';
import { UdpBridge } from '../../devices/peers/udp-bridge.js';
import { CARD_MAC, PEER_MAC, testFrame } from './rig.js';

function socket(): Promise<{ s: dgram.Socket; port: number; got: Uint8Array[] }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Uint8Array[] = [];
    s.on('message', (m) => got.push(new Uint8Array(m)));
    s.bind(0, '127.0.0.1', () => resolve({ s, port: s.address().port, got }));
  });
}

/** A machine whose wire is bridged to a socket of the test's on 127.0.0.1; `send` is that socket sending to the bridge. Both are closed after `body`. */
async function bridged(body: (b: { m: Machine; host: FrameSource; peer: Awaited<ReturnType<typeof socket>>; bridge: UdpBridge; send: (d: Uint8Array) => void }) => Promise<void>): Promise<void> {
  const m = new Machine();
  const wire = createWire(m);
  const host = new FrameSource(wire, 'host');
  const peer = await socket();
  const bridge = new UdpBridge(wire, { remotePort: peer.port });
  const bridgePort = await bridge.open();
  try {
    await body({ m, host, peer, bridge, send: (d) => peer.s.send(d, bridgePort, '127.0.0.1') });
  } finally {
    await bridge.close();
    peer.s.close();
  }
}

describe('UDP frame-socket bridge', () => {
  it('carries frames both ways, one per datagram, and rejects datagrams that are not frames', () =>
    bridged(async ({ m, host, peer, bridge, send }) => {
      const inbound = testFrame(CARD_MAC, 300, 1);
      send(inbound);
      send(new Uint8Array(10)); // a runt: not a frame
      const outbound = testFrame(PEER_MAC, 500, 2);
      host.send(outbound);
      const run = (c: number) => void m.runUntil(c);
      // Emulate 60 ms, paced to real time, giving the sockets time to deliver.
      await bridge.runPaced(run, () => m.now, 0.06 * m.config.cpuHz, m.config.cpuHz);
      for (let i = 0; i < 50 && (host.heard.length < 1 || peer.got.length < 1 || bridge.rejected < 1); i++) {
        await new Promise((r) => setTimeout(r, 10));
        m.clock.runUntilIdle();
      }
      expect(peer.got.length).toBe(1);
      expect(Array.from(peer.got[0]!)).toEqual(Array.from(outbound));
      expect(host.heard.length).toBe(1);
      expect(Array.from(host.heard[0]!.frame)).toEqual(Array.from(inbound));
      expect(bridge.rejected).toBe(1);
      expect(bridge.lastError).toMatch(/shorter than the Ethernet minimum/);
    }));

  it('pads a datagram shorter than the Ethernet minimum that holds a whole header, as Linux\'s TAP sends its ARP', () =>
    bridged(async ({ m, host, bridge, send }) => {
      const arp = testFrame(CARD_MAC, 60, 3).subarray(0, 42); // an ARP request's length, unpadded
      send(arp);
      send(new Uint8Array(13)); // not even a header: still rejected
      for (let i = 0; i < 100 && bridge.receivedDatagrams < 2; i++) await new Promise((r) => setTimeout(r, 5));
      m.clock.runUntilIdle();
      expect(host.heard.length).toBe(1);
      const got = host.heard[0]!.frame;
      expect(got.length).toBe(60);
      expect(Array.from(got.subarray(0, 42))).toEqual(Array.from(arp));
      expect(got.subarray(42).every((b) => b === 0)).toBe(true);
      expect([bridge.padded, bridge.rejected]).toEqual([1, 1]);
    }));

  it('keeps one pace across calls: a caller running in strides does not lose the wall time between them', async () => {
    const m = new Machine();
    const wire = createWire(m);
    let wall = 1_000;
    const bridge = new UdpBridge(wire, { remotePort: 9, wallClockMs: () => wall });
    const hz = m.config.cpuHz;
    const msToCycles = (ms: number) => Math.floor((ms * hz) / 1000);
    let reached = 0; // an idle machine stops short of its target: what counts is what it was allowed
    const run = (c: number) => void m.runUntil((reached = c));
    const stride = (ms: number) => bridge.runPaced(run, () => reached, msToCycles(ms), hz);
    const tick = () => new Promise((r) => setTimeout(r, 5));
    try {
      let first = stride(1);
      await tick();
      wall += 1;
      await first;
      expect(reached).toBe(msToCycles(1));
      // 10 ms of wall time go by outside runPaced (the caller's checks, a slow host): the next
      // strides are owed them and run at once, with the wall clock standing still.
      wall += 10;
      for (let ms = 2; ms <= 11; ms++) await stride(ms);
      expect(reached).toBe(msToCycles(11));
      // And not one cycle further while the wall clock stands still.
      let done = false;
      first = stride(12).then(() => void (done = true));
      for (let i = 0; i < 4; i++) await tick();
      expect(done).toBe(false);
      expect(reached).toBe(msToCycles(11));
      wall += 1;
      await first;
      expect(reached).toBe(msToCycles(12));
    } finally {
      await bridge.close();
    }
  });

  it('runPaced never runs emulated time ahead of the wall clock, and catches up when it advances', async () => {
    const m = new Machine();
    const wire = createWire(m);
    const source = new FrameSource(wire, 'host');
    source.sendAtLineRate(1_000_000, (i) => testFrame(PEER_MAC, 100, i)); // keep the machine busy
    let wall = 5_000; // a fake wall clock, in ms
    const bridge = new UdpBridge(wire, { remotePort: 9, wallClockMs: () => wall });
    const hz = m.config.cpuHz;
    const msToCycles = (ms: number) => Math.floor((ms * hz) / 1000);
    const targets: { cycle: number; allowed: number }[] = [];
    const run = (c: number) => {
      targets.push({ cycle: c, allowed: msToCycles(wall - 5_000) });
      m.runUntil(c);
    };
    const tick = () => new Promise((r) => setTimeout(r, 5));
    // The machine runs to its last event at or before the target: within one frame slot of it, never past it.
    const expectNear = (cycle: number) => {
      expect(m.now).toBeLessThanOrEqual(cycle);
      expect(m.now).toBeGreaterThan(cycle - wire.frameSlot(100));
    };
    const settle = async (cycle: number) => {
      for (let i = 0; i < 200 && targets.at(-1)?.cycle !== cycle; i++) await tick();
    };
    try {
      let finished = false;
      const paced = bridge.runPaced(run, () => m.now, msToCycles(50), hz).then(() => void (finished = true));
      for (let i = 0; i < 4; i++) await tick();
      expect(targets).toEqual([]); // the wall clock has not moved: no emulated time either
      expect(m.now).toBe(0);
      wall += 10;
      await settle(msToCycles(10));
      expect(targets.at(-1)!.cycle).toBe(msToCycles(10)); // caught up with the 10 ms that passed
      expectNear(msToCycles(10));
      for (let i = 0; i < 4; i++) await tick();
      expect(targets.at(-1)!.cycle).toBe(msToCycles(10)); // and no further while the wall stands still
      expect(finished).toBe(false);
      wall += 25;
      await settle(msToCycles(35));
      expectNear(msToCycles(35));
      wall += 1000; // far past the end: runs to untilCycle and returns
      await paced;
      expect(targets.at(-1)!.cycle).toBe(msToCycles(50));
      expect(targets.every((t) => t.cycle <= t.allowed)).toBe(true);
      expectNear(msToCycles(50));
    } finally {
      await bridge.close();
    }
  });

  it('checks its options', () => {
    const wire = createWire(new Machine());
    expect(() => new UdpBridge(wire, { remotePort: 70000 })).toThrow(/bad remote port/);
  });
});
