// The ARP cache of one client's stack (RFC 826, RFC 1122 §2.3.2): IPv4 address to MAC, with
// entries that expire, outbound packets held per address while it resolves, and requests
// rate-limited per address. Frames are built and parsed by guest/net's ARP code; time is the
// caller's `now` in CPU cycles.
//
// Bounds (a peer's ARP traffic must not make the stack hold unbounded memory): entries at
// most `maxEntries` (the least recently learned goes first), addresses resolving at most
// `maxPending` (a packet for one more is dropped), packets per address at most
// `maxQueuedPerIp` (the oldest goes, RFC 1122 §2.3.2.2: keep at least the latest). Maps
// iterate in insertion order (ECMAScript §24.1), and an entry is re-inserted when learned
// again, so the first entry is always the least recently learned.

import { ARP_REPLY, ARP_REQUEST, parseArp } from '../net/arp.js';
import { arpFrame } from '../net/build.js';
import { countDrop, type DropCounters, type StackDropReason } from './drops.js';

/** RFC 1122 §2.3.2.1: a cache entry times out "on the order of a minute". */
export const ARP_ENTRY_LIFETIME_SECONDS = 60;
/** RFC 1122 §2.3.2.1: at most one request per second per destination. */
export const ARP_REQUEST_INTERVAL_SECONDS = 1;
/** Give up on an address after this long without an answer (three requests at the rate above, as Linux does). */
export const ARP_RESOLVE_TIMEOUT_SECONDS = 3;
/** Packets held per address while it resolves: Linux's unres_qlen (101), so the fragments of one large datagram (up to 45) fit. */
export const DEFAULT_ARP_MAX_QUEUED_PER_IP = 101;
export const DEFAULT_ARP_MAX_PENDING = 16;
export const DEFAULT_ARP_MAX_ENTRIES = 64;
/** IEEE 802 §8.2: the I/G bit of the first octet marks a group (multicast or broadcast) address. */
const GROUP_BIT = 0x01;

export interface ArpConfig {
  readonly entryLifetimeCycles: number;
  readonly requestIntervalCycles: number;
  readonly resolveTimeoutCycles: number;
  readonly maxQueuedPerIp: number;
  readonly maxPending: number;
  readonly maxEntries: number;
}

/** The defaults for a CPU of `cpuHz` cycles per second. */
export function defaultArpConfig(cpuHz: number): ArpConfig {
  return {
    entryLifetimeCycles: ARP_ENTRY_LIFETIME_SECONDS * cpuHz,
    requestIntervalCycles: ARP_REQUEST_INTERVAL_SECONDS * cpuHz,
    resolveTimeoutCycles: ARP_RESOLVE_TIMEOUT_SECONDS * cpuHz,
    maxQueuedPerIp: DEFAULT_ARP_MAX_QUEUED_PER_IP,
    maxPending: DEFAULT_ARP_MAX_PENDING,
    maxEntries: DEFAULT_ARP_MAX_ENTRIES,
  };
}

/** What to do with an outbound packet for an address. */
export type ArpResolution =
  | { readonly mac: Uint8Array } // known: send it now
  | { readonly queued: true; readonly request: Uint8Array | undefined } // held; transmit `request` (an ARP frame) when there is one
  | { readonly dropped: StackDropReason }; // counted

/** What a received ARP frame gave. */
export interface ArpReceived {
  /** An ARP reply frame to transmit (the frame asked for our address), or undefined. */
  readonly reply: Uint8Array | undefined;
  /** Packets that waited for the sender's address, oldest first, now sendable to `mac`. */
  readonly released: readonly Uint8Array[];
  readonly mac: Uint8Array | undefined;
}

interface Entry {
  readonly mac: Uint8Array;
  readonly learned: number;
}

interface Pending {
  readonly started: number;
  readonly packets: Uint8Array[];
}

const isGroupMac = (mac: Uint8Array): boolean => (mac[0]! & GROUP_BIT) !== 0;

export class ArpCache {
  private readonly entries = new Map<number, Entry>();
  private readonly pending = new Map<number, Pending>();
  /** When a request last went out per address, kept for one interval (past the end of a resolution, so giving up and starting over cannot beat the rate). */
  private readonly lastRequest = new Map<number, number>();

  constructor(
    private readonly local: { readonly mac: Uint8Array; readonly ip: number },
    private readonly config: ArpConfig,
    private readonly drops: DropCounters,
  ) {}

  /** The MAC for `ip` if an unexpired entry has it. */
  lookup(ip: number, now: number): Uint8Array | undefined {
    const e = this.entries.get(ip);
    return e && now - e.learned < this.config.entryLifetimeCycles ? e.mac.slice() : undefined;
  }

  /** Addresses being resolved now (each with a request due again every interval until it answers or times out). */
  get resolving(): number {
    return this.pending.size;
  }

  /** Packets held for `ip` now. */
  queued(ip: number): number {
    return this.pending.get(ip)?.packets.length ?? 0;
  }

  /** Route outbound `packet` (any bytes; copied) to `ip`: its MAC, or held while a request goes out. */
  resolve(ip: number, packet: Uint8Array, now: number): ArpResolution {
    this.expire(now);
    const mac = this.lookup(ip, now);
    if (mac) return { mac };
    let p = this.pending.get(ip);
    if (!p) {
      if (this.pending.size >= this.config.maxPending) return this.drop('arp-queue-full');
      p = { started: now, packets: [] };
      this.pending.set(ip, p);
    }
    if (p.packets.length >= this.config.maxQueuedPerIp) {
      p.packets.shift();
      countDrop(this.drops, 'arp-queue-full');
    }
    p.packets.push(packet.slice());
    return { queued: true, request: this.requestIfDue(ip, now) };
  }

  /** Requests to transmit again for addresses still resolving whose interval has passed. */
  requestsDue(now: number): Uint8Array[] {
    this.expire(now);
    const out: Uint8Array[] = [];
    for (const ip of this.pending.keys()) {
      const r = this.requestIfDue(ip, now);
      if (r) out.push(r);
    }
    return out;
  }

  /**
   * A received ARP frame (RFC 826 "packet reception"): refresh the sender's entry if there is
   * one, add it if the frame is for us, and answer a request for our address.
   */
  receive(frame: Uint8Array, len: number, now: number): ArpReceived {
    this.expire(now);
    const arp = parseArp(frame, len);
    const none: ArpReceived = { reply: undefined, released: [], mac: undefined };
    if (typeof arp === 'string' || isGroupMac(arp.senderMac)) {
      countDrop(this.drops, 'bad-arp');
      return none;
    }
    const forUs = arp.targetIp === this.local.ip;
    const known = this.entries.has(arp.senderIp);
    if (!forUs && !known) return none; // RFC 826: not learned, not dropped: ARP for others is normal traffic
    const learnable = arp.senderIp !== 0 && arp.senderIp !== this.local.ip; // RFC 5227 probes carry 0; our own address is a conflict, not a neighbour
    const released = learnable ? this.learn(arp.senderIp, arp.senderMac, now) : [];
    const reply = forUs && arp.op === ARP_REQUEST
      ? arpFrame({ op: ARP_REPLY, senderMac: this.local.mac, senderIp: this.local.ip, targetMac: arp.senderMac, targetIp: arp.senderIp })
      : undefined;
    return { reply, released, mac: learnable ? arp.senderMac.slice() : undefined };
  }

  /** Forget expired entries, and give up on addresses that stayed unresolved (their packets counted arp-unresolved). */
  expire(now: number): void {
    for (const [ip, e] of this.entries) if (now - e.learned >= this.config.entryLifetimeCycles) this.entries.delete(ip);
    for (const [ip, p] of this.pending) {
      if (now - p.started < this.config.resolveTimeoutCycles) continue;
      this.pending.delete(ip);
      countDrop(this.drops, 'arp-unresolved', p.packets.length);
    }
    for (const [ip, t] of this.lastRequest) if (now - t >= this.config.requestIntervalCycles) this.lastRequest.delete(ip);
  }

  /** Record `ip` at `mac`; the packets that waited for it. */
  private learn(ip: number, mac: Uint8Array, now: number): Uint8Array[] {
    this.entries.delete(ip);
    if (this.entries.size >= this.config.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(ip, { mac: mac.slice(), learned: now });
    const p = this.pending.get(ip);
    this.pending.delete(ip);
    return p?.packets ?? [];
  }

  /** A broadcast request for `ip`, unless one went out less than an interval ago. */
  private requestIfDue(ip: number, now: number): Uint8Array | undefined {
    const last = this.lastRequest.get(ip);
    if (last !== undefined && now - last < this.config.requestIntervalCycles) return undefined;
    this.lastRequest.delete(ip);
    this.lastRequest.set(ip, now);
    return arpFrame({ senderMac: this.local.mac, senderIp: this.local.ip, targetIp: ip });
  }

  private drop(reason: StackDropReason): ArpResolution {
    countDrop(this.drops, reason);
    return { dropped: reason };
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ defaultArpConfig, ArpCache });
