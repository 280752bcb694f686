// The one composition of the network subsystem (DESIGN.md §5), used by the boot scenario, the
// page and the driver tests: the machine, a wire, the NE2000-style card on it, the kernel
// booted on the machine, the shared driver domain holding the card's device privilege, and N
// stack domains, each spawned from its own bank, that open sessions with the driver.
// Whatever else sits on the wire (an echo peer, a test's frame source, a pcap writer) the
// caller attaches through `onWire`. Nothing here is node-only: the page bundles it too.
//
// Capability discipline (DESIGN.md §4): every capability handed out carries only the rights
// its holder needs (test/security/capabilities.test.ts lists them all).
// - The driver: its device privilege, its space, its endpoint with receive and send rights
//   (it is the only domain that may receive on it), and its bank for allocation only.
// - Stack i: its space, its bank without the right to change limits, and a send-only
//   capability to the driver's endpoint badged i + 1 (its identity to the driver).
// Bank limits are reservations: the banks' limits together (and the frame each bank itself
// takes) must fit in the free frames the prime bank holds after boot, or the composition is
// refused, so no client can make another's allocation within its limit fail.

import { attachCard, createWire } from '../../../devices/attach.js';
import type { Ne2kCard } from '../../../devices/ne2k/card.js';
import type { FaultRates } from '../../../devices/wire/faults.js';
import type { Wire } from '../../../devices/wire/wire.js';
import { Machine } from '../../machine/machine.js';
import { FRAME_SIZE, type RamPool } from '../../machine/memory.js';
import type { DomainBody } from '../../../guest/kernel/api/context.js';
import type { Bank } from '../../../guest/kernel/banks.js';
import { R_DESTROY, R_FREE, R_QUERY, R_WRITE } from '../../../guest/kernel/caps.js';
import type { Domain } from '../../../guest/kernel/domains.js';
import { bootKernel, type Kernel, type KernelConfig } from '../../../guest/kernel/kernel.js';
import type { Space } from '../../../guest/kernel/spaces.js';
import { parseIpv4, parseMac } from '../../../guest/net/bytes.js';
import type { CardMode, DriverConfig, Strategy, UnsafeSwitches } from '../../../guest/netdriver/config.js';
import type { DmaRecords } from '../../../guest/netdriver/backend.js';
import { netDriver, type DeliveryEvent, type Driver } from '../../../guest/netdriver/driver.js';
import { newProbe, stackBody, type Probe, type StackOptions } from '../../../guest/apps/raw-stack.js';
import { watch, type Watches } from './checks.js';

export const CARD_MAC = parseMac('02:52:4c:00:00:01')!;
export const PEER_MAC = parseMac('02:00:00:00:00:99')!;
export const PEER_IP = parseIpv4('10.0.0.1')!;
/** Client i (0-based) gets 10.0.0.(2 + i); the peer host is 10.0.0.1. */
export const ipOf = (i: number) => parseIpv4(`10.0.0.${2 + i}`)!;

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
export { MAX_CLIENTS } from './defaults.js';
/** A client's rights on its bank: allocate (needs no right), destroy (to revoke), free, query; never change limits. */
const CLIENT_BANK_RIGHTS = R_DESTROY | R_FREE | R_QUERY;
/** The driver's rights on its own bank: allocation only. */
const DRIVER_BANK_RIGHTS = 0;
/** The stacks' rights on the driver's endpoint: send (call) only; receiving is the driver's. */
const STACK_ENDPOINT_RIGHTS = R_WRITE;

/** Frames a composition reserves from the prime bank: each bank's limit plus the frame the bank itself takes. */
export function framesReserved(stacks: number, clientFrames = CLIENT_BANK_FRAMES, serverFrames?: number): number {
  return DRIVER_BANK_FRAMES + 1 + stacks * (clientFrames + 1) + (serverFrames === undefined ? 0 : serverFrames + 1);
}

/** A composition the machine cannot honour (its banks' limits exceed the free frames). */
export class CompositionError extends Error {
  override name = 'CompositionError';
}

/**
 * Test-only switches that turn a defence off, so a red-team test (test/security/) can show it
 * sees the attack the defence stops. No product code sets them.
 */
export interface UnsafeOptions extends Pick<UnsafeSwitches, 'transmitInListOrder' | 'mapBeforeZero' | 'skipHeaderCopy' | 'writableRxBuffers' | 'wrongBufferDma' | 'exchangeBeforeUnpin' | 'recordArmedAfterOwn'> {
  /** Stacks get the driver's endpoint with full rights (receive included): attack 1. */
  stacksReceiveOnDriverEndpoint?: boolean;
  /** Clients' banks carry the `limits` right, and overcommitted limits are not refused: attack 4. */
  clientsChangeLimits?: boolean;
  /** The driver takes stacks' regions without claiming them: attack 9b. */
  driverLeavesRegionsUnclaimed?: boolean;
  /** The driver leaves a failed or killed session's allocations (its mirror region among them) in the client's bank: attack 5. */
  driverAbandonsFailedSetups?: boolean;
}

export interface NetOptions {
  mode: CardMode;
  strategy: Strategy;
  /** Number of client stacks (default 2). */
  stacks?: number;
  hybridThreshold?: number;
  seed?: number;
  stack?: (i: number) => StackOptions;
  pinLimit?: number;
  /** Most transmit pages and receive buffers the driver grants a session, its card receive slots, and its passes per service (driver defaults otherwise). */
  driverLimits?: Pick<DriverConfig, 'maxTxPages' | 'maxRxBuffers' | 'rxSlots' | 'servicePasses'>;
  /** Scheduling priority of stack i (default 5; the driver runs at 10). */
  priority?: (i: number) => number;
  /** Attach peers and listeners to the wire (called before the kernel boots). */
  onWire?: (wire: Wire, machine: Machine) => void;
  /** The kernel's boot configuration (tests: costs, or a defence switched off). */
  kernel?: KernelConfig;
  /** Frame limit of each client's bank (default CLIENT_BANK_FRAMES). */
  clientFrames?: number;
  /**
   * A whole domain body for stack i instead of the raw stack (a red-team test's hostile
   * stack, written against the domain API); undefined keeps the raw stack. It gets the same
   * slots (raw-stack.ts STACK_SLOTS) and should report through the probe it is given.
   */
  body?: (i: number, probe: Probe) => DomainBody | undefined;
  /**
   * RAM in bytes (default MEMORY_BYTES). A sweep that rebuilds the machine for every cycle
   * of a window asks for just what its banks reserve (4 MiB holds the driver and 2 clients):
   * less RAM is less to allocate. Too little for the banks' limits is a CompositionError.
   */
  memoryBytes?: number;
  /** Where the RAM buffer may come from: a sweep gives each finished machine's RAM back to it (memory.ts RamPool). */
  ram?: RamPool;
  /** Test-only: defences switched off (see UnsafeOptions). */
  unsafe?: UnsafeOptions;
  /**
   * Clients that join late: their bank, space and capabilities are made at boot like every
   * client's (so the run until they join is the same whenever they join), but their domain is
   * spawned only when the composition root calls Net.startClient.
   */
  late?: (i: number) => boolean;
  /**
   * The body of the domain that holds the card's device privilege, instead of the shared
   * driver: the in-kernel topology (guest/inkernel) runs its stacks there. It gets the driver's
   * slots (config.ts SLOT_DEVPRIV, SLOT_BANK, SLOT_SPACE, SLOT_ENDPOINT) and configuration.
   */
  driverBody?: (config: DriverConfig, view: Net['view']) => DomainBody;
  /** Put the card behind the IOMMU (default off). */
  iommu?: boolean;
  /** Faults the wire injects (default none). */
  faults?: FaultRates;
  /** The wire's bit rate (default 100 Mbit/s). */
  bitRate?: number;
  /**
   * A shared server domain between the driver and the clients (the monolithic topology,
   * monolithic.ts): it gets its own bank, space and endpoint, the driver's endpoint badged
   * 1..N (one session per client address) and each client's bank for allocation only; each
   * client gets the server's endpoint (send-only, badged i + 1) instead of the driver's.
   */
  server?: ServerSpec;
}

export interface ServerSpec {
  /** Frame limit of the server's bank (reserved like every bank's). */
  frames: number;
  priority: number;
  /** The server's body, made when it is spawned (after onWire). Its slots: guest/monolithic/server.ts SERVER_SLOTS, driverSlot, clientBankSlot. */
  body: () => DomainBody;
}

export interface Client {
  bank: Bank;
  space: Space;
  /** Undefined until a late client (NetOptions.late) is started. */
  domain: Domain | undefined;
  probe: Probe;
}

export interface Net {
  machine: Machine;
  wire: Wire;
  card: Ne2kCard;
  kernel: Kernel;
  driverBank: Bank;
  driverDomain: Domain;
  /** The shared server domain and its bank, with NetOptions.server. */
  server?: { bank: Bank; domain: Domain };
  /** What observers read of the driver: the shared driver (factored, monolithic), or the in-kernel network's DMA records. */
  view: { driver?: Driver; dma?: DmaRecords; onDeliver?: (e: DeliveryEvent) => void };
  clients: Client[];
  /** The composition's checks that watch the whole run (checks.ts). */
  watch: Watches;
  /** Spawn late client i's domain now (NetOptions.late); throws if it has one already. */
  startClient(i: number): Domain;
}

export function composeNet(o: NetOptions): Net {
  const n = o.stacks ?? 2;
  const clientFrames = o.clientFrames ?? CLIENT_BANK_FRAMES;
  const unsafe = o.unsafe ?? {};
  const reserved = framesReserved(n, clientFrames, o.server?.frames);
  const memoryBytes = o.memoryBytes ?? MEMORY_BYTES;
  const refuse = (free: string) => new CompositionError(
    `composition refused: the driver's bank (${DRIVER_BANK_FRAMES} frames) and ${n} client banks of ${clientFrames} frames, ` +
      `with one frame for each bank itself, need ${reserved} frames; ${free}`,
  );
  const kernelFrames = Math.ceil((o.kernel?.reservedBytes ?? 1 << 20) / FRAME_SIZE) + 1; // the kernel's low memory and its page directory
  if (Number.isSafeInteger(memoryBytes) && memoryBytes / FRAME_SIZE < kernelFrames + 16 && !unsafe.clientsChangeLimits) {
    throw refuse(`memoryBytes ${memoryBytes} does not even hold the kernel's ${kernelFrames} frames (${(kernelFrames + reserved) * FRAME_SIZE} would do)`);
  }
  const machine = new Machine({ memoryBytes, seed: o.seed ?? 1, traceKeep: 0, iommu: o.iommu ?? false }, o.ram);
  const wire = createWire(machine, { faults: o.faults, bitRate: o.bitRate });
  const card = attachCard(machine, wire, { mac: CARD_MAC });
  o.onWire?.(wire, machine);
  const kernel = bootKernel(machine, o.kernel);
  const prime = kernel.primeBank;
  const free = prime.limit - prime.usage - prime.reserved;
  if (reserved > free && !unsafe.clientsChangeLimits) {
    const hint = o.memoryBytes === undefined ? '' : ` with memoryBytes ${memoryBytes} (${memoryBytes + (reserved - free) * FRAME_SIZE} would do)`;
    throw refuse(`the machine has ${free} free after boot${hint}`);
  }
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
    ...o.driverLimits,
    unsafe: {
      transmitInListOrder: unsafe.transmitInListOrder, mapBeforeZero: unsafe.mapBeforeZero, leaveRegionsUnclaimed: unsafe.driverLeavesRegionsUnclaimed, abandonFailedSetups: unsafe.driverAbandonsFailedSetups,
      skipHeaderCopy: unsafe.skipHeaderCopy, writableRxBuffers: unsafe.writableRxBuffers, wrongBufferDma: unsafe.wrongBufferDma, exchangeBeforeUnpin: unsafe.exchangeBeforeUnpin, recordArmedAfterOwn: unsafe.recordArmedAfterOwn,
    },
  };
  const driverDomain = kernel.spawn({ name: 'netdriver', bank: driverBank, space, priority: DRIVER_PRIORITY, body: (o.driverBody ?? netDriver)(config, view), caps: [kernel.cap(dp), kernel.cap(driverBank, DRIVER_BANK_RIGHTS), kernel.cap(space), kernel.cap(ep)] });
  const clients: Client[] = [];
  const spawners: (() => Domain)[] = [];
  // The server's endpoint: only the server receives on it; the clients call it, each through its own badge.
  const serverBank = o.server && kernel.createBank(kernel.primeBank, o.server.frames);
  const serverEp = serverBank && kernel.allocEndpoint(serverBank);
  for (let i = 0; i < n; i++) {
    const bank = kernel.createBank(kernel.primeBank, clientFrames);
    const cspace = kernel.allocSpace(bank);
    const probe = newProbe();
    const bankRights = unsafe.clientsChangeLimits ? undefined : CLIENT_BANK_RIGHTS;
    const endpointRights = unsafe.stacksReceiveOnDriverEndpoint ? undefined : STACK_ENDPOINT_RIGHTS;
    // The endpoint capability's badge (i + 1) is the client's identity to the driver.
    const caps = [kernel.cap(bank, bankRights), kernel.cap(cspace), kernel.cap(serverEp ?? ep, endpointRights, i + 1)];
    const client: Client = { bank, space: cspace, domain: undefined, probe };
    spawners.push(() => {
      if (client.domain) throw new Error(`client ${i + 1} has started already`);
      const body = o.body?.(i, probe) ?? stackBody(probe, o.stack?.(i) ?? {});
      return (client.domain = kernel.spawn({ name: `stack${i}`, bank, space: cspace, priority: o.priority?.(i) ?? STACK_PRIORITY, body, caps }));
    });
    if (!o.late?.(i)) spawners[i]!();
    clients.push(client);
  }
  let server: Net['server'];
  if (o.server && serverBank && serverEp) {
    // The server's own bank is allocation-only; the clients' banks it holds are too: it may open a session from one, never destroy or inspect it.
    const sspace = kernel.allocSpace(serverBank);
    const caps = [
      kernel.cap(serverBank, DRIVER_BANK_RIGHTS), kernel.cap(sspace), kernel.cap(serverEp),
      ...clients.map((_, i) => kernel.cap(ep, STACK_ENDPOINT_RIGHTS, i + 1)), ...clients.map((c) => kernel.cap(c.bank, DRIVER_BANK_RIGHTS)),
    ];
    server = { bank: serverBank, domain: kernel.spawn({ name: 'stackserver', bank: serverBank, space: sspace, priority: o.server.priority, body: o.server.body(), caps }) };
  }
  const startClient = (i: number): Domain => {
    const spawn = spawners[i];
    if (!spawn) throw new Error(`no client ${i + 1}`);
    return spawn();
  };
  const net = { machine, wire, card, kernel, driverBank, driverDomain, server, view, clients, startClient } as Net;
  net.watch = watch(net); // before the first cycle runs: the transfer watch sees every beat
  return net;
}

/** Cycles between two looks at whether the sessions are open. */
export const OPEN_POLL = 200_000;

/** Run until every stack of `clients` (all by default) has opened its session or failed to (or `limit` cycles). */
export function runUntilOpen(w: Net, limit = 50_000_000, clients: readonly Client[] = w.clients): void {
  for (const cycle of untilOpen(w, limit, clients)) w.machine.runUntil(cycle);
}

/** runUntilOpen as steps (explore/steps.ts): yields each cycle to run the machine to, looking again after each. */
export function* untilOpen(w: Net, limit = 50_000_000, clients: readonly Client[] = w.clients): Generator<number, void, void> {
  const end = w.machine.now + limit;
  while (w.machine.now < end && clients.some((c) => c.probe.status === undefined)) yield w.machine.now + OPEN_POLL;
}
