// Test composition for the driver: machine + wire + card + kernel + the driver domain + N
// stack domains, each a small raw-frame client written with the session library, whose
// probe records what it received and what completed. Tests drive frames in from a peer on
// the wire and read the wire back from that peer.

import { attachCard, createWire } from '../../devices/attach.js';
import type { Ne2kCard } from '../../devices/ne2k/card.js';
import { FrameSource } from '../../devices/peers/source.js';
import type { Wire } from '../../devices/wire/wire.js';
import { Machine } from '../../emulator/machine/machine.js';
import type { DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import type { Bank } from '../../guest/kernel/banks.js';
import type { Domain } from '../../guest/kernel/domains.js';
import { bootKernel, type Kernel } from '../../guest/kernel/kernel.js';
import type { Space } from '../../guest/kernel/spaces.js';
import { parseIpv4, parseMac } from '../../guest/net/bytes.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';
import { netDriver, type DeliveryEvent, type Driver } from '../../guest/netdriver/driver.js';
import { openSession, type ClientSession } from '../../guest/session/client.js';
import type { Geometry } from '../../guest/session/layout.js';

export const CARD_MAC = parseMac('02:52:4c:00:00:01')!;
export const PEER_MAC = parseMac('02:00:00:00:00:99')!;
export const PEER_IP = parseIpv4('10.0.0.1')!;
export const ipOf = (i: number) => parseIpv4(`10.0.0.${10 + i}`)!;
export const REGION_VA = 0x0800_0000;
export const GEOMETRY: Geometry = { ringSize: 8, txPages: 1, rxBuffers: 4 };

export interface Probe {
  session: ClientSession | undefined;
  status: string | undefined;
  received: { frame: Uint8Array; buffer: number; how: number; cycle: number }[];
  completions: [number, number][];
  /** Results of the stack trying to write into a buffer it was delivered. */
  writeAttempts: string[];
}

export interface StackOptions {
  geometry?: Geometry;
  /** Frames to submit once the session is open (packed into the transmit area, cookies 1, 2, ...). */
  send?: Uint8Array[];
  /** Try to store into every delivered buffer (acceptance 2). */
  tryWrite?: boolean;
  /** Called with the open session before the loop (e.g. to rewrite a submitted header). */
  afterSubmit?: (ctx: DomainContext, s: ClientSession) => GuestCode;
  /** Return delivered buffers to the driver (default true). */
  repost?: boolean;
  /** A whole custom body after the session is open. */
  body?: (ctx: DomainContext, s: ClientSession, p: Probe) => GuestCode;
}

export interface WorldOptions {
  mode: CardMode;
  strategy: Strategy;
  stacks?: number;
  hybridThreshold?: number;
  seed?: number;
  stack?: (i: number) => StackOptions;
  pinLimit?: number;
  /** Scheduling priority of stack i (default 5; the driver runs at 10). */
  priority?: (i: number) => number;
}

export interface World {
  machine: Machine;
  wire: Wire;
  card: Ne2kCard;
  peer: FrameSource;
  kernel: Kernel;
  driverBank: Bank;
  driverDomain: Domain;
  view: { driver?: Driver; onDeliver?: (e: DeliveryEvent) => void };
  clients: { bank: Bank; space: Space; domain: Domain; probe: Probe }[];
}

export function stackBody(probe: Probe, o: StackOptions): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const s = yield* openSession(ctx, { bank: 0, space: 1, driver: 2, free: [3, 4, 5, 6] }, { geometry: o.geometry ?? GEOMETRY, regionVa: REGION_VA, frames: 40, pins: 16 });
    if (typeof s === 'string') {
      probe.status = s;
      return;
    }
    probe.session = s;
    probe.status = 'open';
    s.post(Array.from({ length: s.geometry.rxBuffers }, (_, i) => i));
    let offset = 0;
    for (const [k, f] of (o.send ?? []).entries()) {
      if ((offset % 4096) + f.length > 4096) offset = Math.ceil(offset / 4096) * 4096;
      yield* s.submit(f, offset, k + 1);
      offset += (f.length + 63) & ~63;
    }
    yield* s.kick();
    if (o.afterSubmit) yield* o.afterSubmit(ctx, s);
    if (o.body) return yield* o.body(ctx, s, probe);
    for (;;) {
      const bits = yield* s.wait();
      if (bits === 0) return;
      const back: number[] = [];
      for (const [buffer, length, how] of s.deliveries()) {
        probe.received.push({ frame: yield* ctx.read(s.rxVa(buffer), length), buffer, how, cycle: ctx.now() });
        if (o.tryWrite) {
          try {
            ctx.store8(s.rxVa(buffer), 0xee);
            probe.writeAttempts.push('allowed');
          } catch (e) {
            probe.writeAttempts.push(ctx.isFault(e) ? `fault ${e.errorCode}` : 'other');
          }
        }
        back.push(buffer);
      }
      probe.completions.push(...s.completions());
      if (o.repost !== false && back.length > 0) {
        s.post(back);
        yield* s.kick();
      }
    }
  };
}

export function newProbe(): Probe {
  return { session: undefined, status: undefined, received: [], completions: [], writeAttempts: [] };
}

export function world(o: WorldOptions): World {
  const machine = new Machine({ memoryBytes: 16 << 20, seed: o.seed ?? 1, traceKeep: 0 });
  const wire = createWire(machine);
  const card = attachCard(machine, wire, { mac: CARD_MAC });
  const peer = new FrameSource(wire, 'peer');
  const kernel = bootKernel(machine);
  const n = o.stacks ?? 2;
  const driverBank = kernel.createBank(kernel.primeBank, 200);
  const dp = kernel.devicePrivilege('ne2k', card.ioBase, 0x20, 9);
  const ep = kernel.allocEndpoint(driverBank);
  const space = kernel.allocSpace(driverBank);
  const view: World['view'] = {};
  const config = {
    ioBase: card.ioBase, mac: CARD_MAC, mode: o.mode, strategy: o.strategy, hybridThreshold: o.hybridThreshold, pinLimit: o.pinLimit,
    addresses: Array.from({ length: n }, (_, i) => ({ badge: i + 1, ip: ipOf(i) })),
  };
  const driverDomain = kernel.spawn({ name: 'netdriver', bank: driverBank, space, priority: 10, body: netDriver(config, view), caps: [kernel.cap(dp), kernel.cap(driverBank), kernel.cap(space), kernel.cap(ep)] });
  const clients: World['clients'] = [];
  for (let i = 0; i < n; i++) {
    const bank = kernel.createBank(kernel.primeBank, 120);
    const cspace = kernel.allocSpace(bank);
    const probe = newProbe();
    const domain = kernel.spawn({ name: `stack${i}`, bank, space: cspace, priority: o.priority?.(i) ?? 5, body: stackBody(probe, o.stack?.(i) ?? {}), caps: [kernel.cap(bank), kernel.cap(cspace), kernel.cap(ep, undefined, i + 1)] });
    clients.push({ bank, space: cspace, domain, probe });
  }
  return { machine, wire, card, peer, kernel, driverBank, driverDomain, view, clients };
}

/** Run until every stack has opened its session (or `limit` cycles). */
export function runUntilOpen(w: World, limit = 50_000_000): void {
  const end = w.machine.now + limit;
  while (w.machine.now < end && w.clients.some((c) => c.probe.status === undefined)) w.machine.runFor(200_000);
}

/** Every receive buffer page of every open session is mapped read-only in its stack (DESIGN.md §6 item 5). */
export function rxWritableMappings(w: World): string[] {
  const bad: string[] = [];
  for (const [i, c] of w.clients.entries()) {
    const g = c.probe.session?.geometry;
    if (!g) continue;
    const lo = REGION_VA + (1 + g.txPages) * 4096;
    const hi = lo + g.rxBuffers * 4096;
    for (const m of w.kernel.mappings(c.space)) if (m.va >= lo && m.va < hi && m.writable) bad.push(`stack${i} va 0x${m.va.toString(16)} writable`);
  }
  return bad;
}

/** Run `cycles` in strides, checking the kernel invariants and read-only receive buffers after each. */
export function runChecked(w: World, cycles: number, stride = 20_000): void {
  const end = w.machine.now + cycles;
  while (w.machine.now < end) {
    w.machine.runUntil(Math.min(end, w.machine.now + stride));
    const bad = [...w.kernel.checkInvariants({ zeroScan: false }), ...rxWritableMappings(w)];
    if (bad.length > 0) throw new Error(`at cycle ${w.machine.now}:\n  ${bad.join('\n  ')}`);
  }
}

/** Schedule `frames` from the peer, one every `gap` cycles from now. */
export function sendSpaced(w: World, frames: Uint8Array[], gap: number): number {
  const src = w.machine.eventSource('test-peer');
  const t0 = w.machine.now + 1000;
  frames.forEach((f, k) => src.at(t0 + k * gap, () => w.peer.send(f)));
  return t0 + frames.length * gap;
}
