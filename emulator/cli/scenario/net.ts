// The one composition of the network subsystem (DESIGN.md §5), used by the boot scenario, the
// page and the driver tests: the machine, a wire, the NE2000-style card on it, the kernel
// booted on the machine, the shared driver domain holding the card's device privilege, and N
// stack domains, each spawned from its own bank, that open sessions with the driver.
// Whatever else sits on the wire (an echo peer, a test's frame source, a pcap writer) the
// caller attaches through `onWire`. Nothing here is node-only: the page bundles it too.

import { attachCard, createWire } from '../../../devices/attach.js';
import type { Ne2kCard } from '../../../devices/ne2k/card.js';
import type { Wire } from '../../../devices/wire/wire.js';
import { Machine } from '../../machine/machine.js';
import type { Bank } from '../../../guest/kernel/banks.js';
import type { Domain } from '../../../guest/kernel/domains.js';
import { bootKernel, type Kernel } from '../../../guest/kernel/kernel.js';
import type { Space } from '../../../guest/kernel/spaces.js';
import { parseIpv4, parseMac } from '../../../guest/net/bytes.js';
import type { CardMode, DriverConfig, Strategy, UnsafeSwitches } from '../../../guest/netdriver/config.js';
import { netDriver, type DeliveryEvent, type Driver } from '../../../guest/netdriver/driver.js';
import { newProbe, stackBody, type Probe, type StackOptions } from '../../../guest/apps/raw-stack.js';
import { watch, type Watches } from './checks.js';

export const CARD_MAC = parseMac('02:52:4c:00:00:01')!;
export const PEER_MAC = parseMac('02:00:00:00:00:99')!;
export const PEER_IP = parseIpv4('10.0.0.1')!;
/** Client i (0-based) gets 10.0.0.(10 + i). */
export const ipOf = (i: number) => parseIpv4(`10.0.0.${10 + i}`)!;

/** Machine memory: 16 MiB, 4096 frames, room for the driver and 16 clients. */
export const MEMORY_BYTES = 16 << 20;
/** Frame limits of the driver's bank and of each client's bank (the client's session sub-bank comes out of it). */
export const DRIVER_BANK_FRAMES = 200;
export const CLIENT_BANK_FRAMES = 120;
/** Scheduling priorities: the driver above its stacks. */
export const DRIVER_PRIORITY = 10;
export const STACK_PRIORITY = 5;
/** The card's I/O range and IRQ line as the driver's device privilege grants them. */
const CARD_PORTS = 0x20;
const CARD_IRQ = 9;
/** Most sessions the driver serves (DriverConfig.maxSessions default). */
export const MAX_CLIENTS = 16;

export interface NetOptions {
  mode: CardMode;
  strategy: Strategy;
  /** Number of client stacks (default 2). */
  stacks?: number;
  hybridThreshold?: number;
  seed?: number;
  stack?: (i: number) => StackOptions;
  pinLimit?: number;
  /** Scheduling priority of stack i (default 5; the driver runs at 10). */
  priority?: (i: number) => number;
  /** Attach peers and listeners to the wire (called before the kernel boots). */
  onWire?: (wire: Wire, machine: Machine) => void;
  /** The driver's test switches (DriverConfig.unsafe): only tests that show a check catching a switched-off defence set them. */
  unsafe?: UnsafeSwitches;
}

export interface Client {
  bank: Bank;
  space: Space;
  domain: Domain;
  probe: Probe;
}

export interface Net {
  machine: Machine;
  wire: Wire;
  card: Ne2kCard;
  kernel: Kernel;
  driverBank: Bank;
  driverDomain: Domain;
  view: { driver?: Driver; onDeliver?: (e: DeliveryEvent) => void };
  clients: Client[];
  /** The composition's checks that watch the whole run (checks.ts). */
  watch: Watches;
}

export function composeNet(o: NetOptions): Net {
  const machine = new Machine({ memoryBytes: MEMORY_BYTES, seed: o.seed ?? 1, traceKeep: 0 });
  const wire = createWire(machine);
  const card = attachCard(machine, wire, { mac: CARD_MAC });
  o.onWire?.(wire, machine);
  const kernel = bootKernel(machine);
  const n = o.stacks ?? 2;
  const driverBank = kernel.createBank(kernel.primeBank, DRIVER_BANK_FRAMES);
  const dp = kernel.devicePrivilege('ne2k', card.ioBase, CARD_PORTS, CARD_IRQ);
  const ep = kernel.allocEndpoint(driverBank);
  const space = kernel.allocSpace(driverBank);
  const view: Net['view'] = {};
  const config: DriverConfig = {
    ioBase: card.ioBase, mac: CARD_MAC, mode: o.mode, strategy: o.strategy,
    addresses: Array.from({ length: n }, (_, i) => ({ badge: i + 1, ip: ipOf(i) })),
    // Only what was given: the driver spreads its config over its defaults, so an explicit undefined would erase one.
    ...(o.hybridThreshold !== undefined && { hybridThreshold: o.hybridThreshold }),
    ...(o.pinLimit !== undefined && { pinLimit: o.pinLimit }),
    ...(o.unsafe && { unsafe: o.unsafe }),
  };
  const driverDomain = kernel.spawn({ name: 'netdriver', bank: driverBank, space, priority: DRIVER_PRIORITY, body: netDriver(config, view), caps: [kernel.cap(dp), kernel.cap(driverBank), kernel.cap(space), kernel.cap(ep)] });
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const bank = kernel.createBank(kernel.primeBank, CLIENT_BANK_FRAMES);
    const cspace = kernel.allocSpace(bank);
    const probe = newProbe();
    // The endpoint capability's badge (i + 1) is the client's identity to the driver.
    const domain = kernel.spawn({ name: `stack${i}`, bank, space: cspace, priority: o.priority?.(i) ?? STACK_PRIORITY, body: stackBody(probe, o.stack?.(i) ?? {}), caps: [kernel.cap(bank), kernel.cap(cspace), kernel.cap(ep, undefined, i + 1)] });
    clients.push({ bank, space: cspace, domain, probe });
  }
  const net = { machine, wire, card, kernel, driverBank, driverDomain, view, clients } as Net;
  net.watch = watch(net); // before the first cycle runs: the transfer watch sees every beat
  return net;
}

/** Run until every stack has opened its session (or `limit` cycles). */
export function runUntilOpen(w: Net, limit = 50_000_000): void {
  const end = w.machine.now + limit;
  while (w.machine.now < end && w.clients.some((c) => c.probe.status === undefined)) w.machine.runFor(200_000);
}
