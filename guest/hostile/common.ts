// What the hostile stacks of the boot scenario (guest/hostile/) share: the configuration the
// composition root gives an attacker body (the same facts an honest stack gets: its session's
// shape, the clock rate, and what is public on the wire: the peer's addresses and the
// neighbour it aims at), a way to let time pass, a session opened the honest way, and the
// frames they send. Domain code: it uses only its DomainContext and the slots every stack gets
// (raw-stack.ts STACK_SLOTS); nothing here keeps state between calls.

import type { DomainBody, DomainContext, GuestCode } from '../kernel/api/context.js';
import { STACK_SLOTS } from '../apps/raw-stack.js';
import { ipv4Frame } from '../net/build.js';
import { openSession, type ClientSession } from '../session/client.js';
import type { Geometry } from '../session/layout.js';
import { buildUdp } from '../netstack/udp.js';

/** What the composition tells an attacker: what it tells an honest stack, and whom it may aim at. */
export interface HostileConfig {
  readonly geometry: Geometry;
  readonly regionVa: number;
  /** Frames and pins of the session sub-bank an honest stack of this composition asks for. */
  readonly frames: number;
  readonly pins: number;
  readonly cpuHz: number;
  /** The peer host on the wire (public: any stack learns it by ARP). */
  readonly peer: { readonly mac: Uint8Array; readonly ip: number };
  /** A neighbour: its address and the UDP port the peer's exerciser for it listens on (public on the wire too). */
  readonly victim: { readonly ip: number; readonly port: number };
}

/** An attack's body, made by the composition root for one client. */
export type AttackBody = (cfg: HostileConfig) => DomainBody;

/** A slot no stack uses, where a hostile body keeps the notification it naps on. */
export const NAP_SLOT = 200;
/** Slots past the session's (STACK_SLOTS.free) that a hostile body may fill as it likes. */
export const SCRATCH_SLOT = 201;
/** A pause between two rounds of an attack that has nothing to wait for: 100 µs. */
export const ROUND_SECONDS = 0.0001;

/** Let `cycles` pass without running: a wait with a timeout on a notification nobody signals (allocated on first use). */
export function* nap(ctx: DomainContext, cycles: number): GuestCode {
  if ((yield* ctx.invoke(NAP_SLOT, 'identify', {})).ok === false) yield* ctx.invoke(STACK_SLOTS.bank, 'allocNotification', { dst: NAP_SLOT });
  const r = yield* ctx.invoke(NAP_SLOT, 'wait', { timeout: Math.max(1, Math.min(ctx.constants.maxTimeout, Math.round(cycles))) });
  // No notification (the bank is out of frames): burn the time instead, preemptibly.
  if (!r.ok && r.error !== 'timeout') yield* ctx.compute(Math.max(1, Math.round(cycles)));
}

/** One round's pause, in cycles. */
export const roundCycles = (cfg: HostileConfig) => Math.round(cfg.cpuHz * ROUND_SECONDS);

/** A session opened as an honest stack opens it, or undefined when the driver refused. */
export function* open(ctx: DomainContext, cfg: HostileConfig): GuestCode<ClientSession | undefined> {
  const s = yield* openSession(ctx, STACK_SLOTS, { geometry: cfg.geometry, regionVa: cfg.regionVa, frames: cfg.frames, pins: cfg.pins });
  return typeof s === 'string' ? undefined : s;
}

/** A UDP datagram in an Ethernet frame from `src`:`srcPort` to the peer's `dstPort` (the UDP checksum over `checksumSrc`, by default `src`). */
export function udpFrame(o: { mac: Uint8Array; src: number; srcPort: number; cfg: HostileConfig; dstPort: number; data: Uint8Array; checksumSrc?: number }): Uint8Array {
  const udp = buildUdp({ src: o.checksumSrc ?? o.src, dst: o.cfg.peer.ip, srcPort: o.srcPort, dstPort: o.dstPort, data: o.data });
  return ipv4Frame({ dstMac: o.cfg.peer.mac, srcMac: o.mac, src: o.src, dst: o.cfg.peer.ip, payload: udp });
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ nap, roundCycles, open, udpFrame });
