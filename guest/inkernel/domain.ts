// The in-kernel topology (issue 13; DESIGN.md §5 Topologies): the stacks and the driver in one
// protection domain, the one that holds the card's device privilege, as in a monolithic
// kernel. There are no sessions, no rings, no client banks for network state and no IPC: the
// card DMAs into the domain's own pool, the stack for the frame's address reads it straight
// out of the DMA buffer and runs its protocol code on it, and frames going out are written
// into the domain's own pinned transmit buffers. The applications run in the same domain,
// as in-kernel servers do (TUX, khttpd). It runs the same stack (guest/netstack), the same
// card backends (guest/netdriver/busmaster.ts, classic.ts) and the same costs as the factored
// topology, so what differs between the two is exactly what factoring adds: sessions,
// validation, copies or exchanges into client storage, a domain and an address space per client.
//
// What this model still charges that a real in-kernel driver would not: every port access
// and the interrupt wait go through the device privilege and a notification, one kernel
// entry each, as the shared driver's do (see docs/topologies.md).

import type { DomainBody, DomainContext, GuestCode } from '../kernel/api/context.js';
import { demultiplex, DEMUX_BYTES } from '../net/demux.js';
import { headerCopyBytes } from '../net/txcheck.js';
import type { DmaRecords, RxTarget } from '../netdriver/backend.js';
import { BusMasterBackend } from '../netdriver/busmaster.js';
import { ClassicBackend } from '../netdriver/classic.js';
import { DEFAULTS, HEADER_VA, IRQ_BIT, POOL_VA, RING_VA, SLOT_BANK, SLOT_DEVPRIV, SLOT_HEADER_PAGE, SLOT_IRQ, SLOT_POOL, SLOT_RING_PAGE, type CardMode } from '../netdriver/config.js';
import { mustSucceed, setUpOwnPages, type OwnPage, type Pinned } from '../netdriver/own-pages.js';
import { CardPorts } from '../netdriver/ports.js';
import { PAGE_BYTES } from '../session/layout.js';
import { frameInputCost, frameOutputCost } from '../netstack/costs.js';
import { TX_SLOT_BYTES, type StackProbe } from '../netstack/domain.js';
import { earliest, nextDue } from '../netstack/due.js';
import type { App } from '../netstack/sockets.js';
import { ETHERNET_MSS, NetStack } from '../netstack/stack.js';
import { TCP_MAX_WINDOW } from '../netstack/tcp/receive-queue.js';

/** Transmit buffers: 4 pages of two 2 KiB slots, as many frames as the card's 16 descriptors hold at two fragments each. */
export const INKERNEL_TX_PAGES = 4;

export interface InKernelOptions {
  readonly ioBase: number;
  readonly mac: Uint8Array;
  readonly mode: CardMode;
  /** One stack per address (client i is addresses[i]). */
  readonly addresses: readonly number[];
  /** Per stack: seeds its sequence numbers and ports (a run's seed gives each its own). */
  readonly secrets: readonly number[];
  readonly cpuHz: number;
  /** The applications of client i, made once its stack exists. */
  readonly apps: (i: number, stack: NetStack) => App[];
}

/** The domain's body: `probes[i]` gets stack i's status and counters; `view.dma` what the composition's DMA check reads. */
export function inKernelNet(o: InKernelOptions, probes: readonly StackProbe[], view: { dma?: DmaRecords }): DomainBody {
  return (ctx) => run(ctx, o, probes, view);
}

function* run(ctx: DomainContext, o: InKernelOptions, probes: readonly StackProbe[], view: { dma?: DmaRecords }): GuestCode {
  const rxSlots = DEFAULTS.rxSlots;
  const io = new CardPorts(ctx, SLOT_DEVPRIV, o.ioBase);
  const backend = o.mode === 'busmaster' ? new BusMasterBackend(ctx, io, o.mac, rxSlots, DEFAULTS.txDescriptors) : new ClassicBackend(ctx, io, o.mac, rxSlots);
  const txVa = (k: number) => POOL_VA + (rxSlots + k) * PAGE_BYTES;
  const own: OwnPage[] = [
    { slot: SLOT_RING_PAGE, va: RING_VA, dir: 'from-device' },
    { slot: SLOT_HEADER_PAGE, va: HEADER_VA, dir: 'to-device' },
    ...Array.from({ length: rxSlots }, (_, k): OwnPage => ({ slot: SLOT_POOL + k, va: POOL_VA + k * PAGE_BYTES, dir: 'from-device' })),
    ...Array.from({ length: INKERNEL_TX_PAGES }, (_, k): OwnPage => ({ slot: SLOT_POOL + rxSlots + k, va: txVa(k), dir: 'to-device' })),
  ];
  const pins = yield* setUpOwnPages(ctx, own, backend.pinsPayload);
  if (backend instanceof BusMasterBackend) backend.setBus(pins[0]!.bus, pins[1]!.bus);
  view.dma = { backend, ownPins: { ring: pins[0], header: pins[1], pool: pins.slice(2, 2 + rxSlots) } };
  const txPins: (Pinned | undefined)[] = pins.slice(2 + rxSlots);
  yield* mustSucceed('allocNotification', ctx.invoke(SLOT_BANK, 'allocNotification', { dst: SLOT_IRQ }));
  yield* mustSucceed('bindIrq', ctx.invoke(SLOT_DEVPRIV, 'bindIrq', { notification: SLOT_IRQ, bits: IRQ_BIT }));
  yield* backend.init();

  // The same stacks as a factored client's, with the same receive window (its pool is as large as a wide session's receive buffers).
  const tcp = { receiveBuffer: Math.min(TCP_MAX_WINDOW, rxSlots * ETHERNET_MSS) };
  const stacks = o.addresses.map((ip, i) => new NetStack({ mac: o.mac, ip, cpuHz: o.cpuHz, secret: o.secrets[i]!, tcp }));
  const byIp = new Map(stacks.map((s) => [s.ip, s] as const));
  stacks.forEach((s, i) => Object.assign(probes[i]!, { status: 'open', counters: s.counters }));
  const apps = stacks.map((s, i) => o.apps(i, s));

  const poolTarget = (k: number): RxTarget => ({ va: POOL_VA + k * PAGE_BYTES, bus: view.dma!.ownPins.pool[k]?.bus ?? 0, session: undefined, index: k, token: undefined });
  const poolFree = Array.from({ length: rxSlots }, (_, k) => k);
  const slots = (INKERNEL_TX_PAGES * PAGE_BYTES) / TX_SLOT_BYTES;
  const freeSlots = Array.from({ length: slots }, (_, k) => slots - 1 - k);
  let cookie = 0;
  let nextStack = 0; // round robin at the transmitter, as the shared driver serves its sessions
  for (;;) {
    // As the shared driver does: the card is serviced until it is quiet, so that its interrupt line is low when the domain waits.
    const busy = yield* backend.acknowledge();
    for (const done of yield* backend.received()) {
      const t = done.target;
      if (!t) continue;
      if (done.ok) {
        const frame = yield* ctx.read(t.va, done.length);
        const r = demultiplex(frame.subarray(0, DEMUX_BYTES), done.length, (ip) => byIp.get(ip));
        if ('session' in r) {
          yield* ctx.compute(frameInputCost(frame));
          r.session.input(frame, ctx.now());
        }
      }
      poolFree.push(t.index);
    }
    for (const done of yield* backend.transmitted()) freeSlots.push((done.frame.payloadVa - txVa(0)) / TX_SLOT_BYTES);
    yield* backend.missed();
    while (backend.freeRxSlots() > 0 && poolFree.length > 0) yield* backend.arm(poolTarget(poolFree.shift()!));
    const now = ctx.now();
    for (const s of stacks) s.tick(now);
    for (const a of apps.flat()) a.advance();
    // One frame per stack per turn while the card and the buffers last.
    for (let idle = 0; idle < stacks.length && backend.canTransmit() && freeSlots.length > 0; ) {
      const s = stacks[nextStack]!;
      nextStack = (nextStack + 1) % stacks.length;
      const [f] = s.takeFrames(1);
      if (!f) {
        idle++;
        continue;
      }
      idle = 0;
      const slot = freeSlots.pop()!;
      const va = txVa(0) + slot * TX_SLOT_BYTES;
      const page = Math.floor(slot / (PAGE_BYTES / TX_SLOT_BYTES));
      const offset = va - txVa(page);
      yield* ctx.compute(frameOutputCost(f));
      const header = f.slice(0, headerCopyBytes(f.length));
      if (f.length > header.length) yield* ctx.write(va, f.subarray(header.length));
      cookie = (cookie + 1) >>> 0;
      const pin = txPins[page];
      yield* backend.transmit({ session: undefined, cookie, header, length: f.length, payloadVa: va, payloadBus: pin ? pin.bus + offset : 0, token: pin?.token });
    }
    // Frames the backend left in the card (classic mode takes a few a pass) raise no interrupt of their own.
    if (busy || backend.receivePending()) continue;
    const due = earliest(stacks.map((s, i) => nextDue(s, apps[i]!)));
    const timeout = due === undefined ? ctx.constants.maxTimeout : Math.min(ctx.constants.maxTimeout, Math.max(1, due - ctx.now()));
    const woken = yield* ctx.invoke(SLOT_IRQ, 'wait', { timeout });
    if (woken.ok && woken.value !== 0) yield* ctx.invoke(SLOT_DEVPRIV, 'ackIrq', {});
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ inKernelNet, INKERNEL_TX_PAGES });
