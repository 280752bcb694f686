// What a hostile application can do to its own stack (guest/netstack/stack.ts) from inside
// its stack domain: the NetStack instance the domain hands to its applications is an
// ordinary, extensible object, and the domain's loop (guest/netstack/domain.ts) calls its
// `input` and `takeFrames` through property lookups. So an application may put its own
// functions there: see every frame the driver delivers before (or instead of) the stack,
// and hand the domain raw frames of its own to submit. Everything it sends still goes
// through the driver's transmit check (guest/net/txcheck.ts: the card's MAC, the session's
// own IPv4 address), which these frames pass: they are the attacker's own traffic, shaped
// as it likes.

import { get16, get32 } from '../../../guest/net/bytes.js';
import { ETH_HEADER, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV4, MAC_BYTES } from '../../../guest/net/ethernet.js';
import { ethernetFrame, ipv4Packets } from '../../../guest/netstack/ipv4-output.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import { buildSegment, IPPROTO_TCP, type TcpHeaderFields } from '../../../guest/netstack/tcp/segment.js';

/** An IPv4 frame's header fields the attacks look at (undefined for anything else). */
export interface SeenIp {
  readonly srcMac: Uint8Array;
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  /** The IPv4 payload (the TCP segment, the UDP datagram, ...). */
  readonly payload: Uint8Array;
}

export function seenIp(f: Uint8Array): SeenIp | undefined {
  if (f.length < ETH_HEADER + 20 || get16(f, ETH_TYPE) !== ETHERTYPE_IPV4) return undefined;
  const ihl = (f[ETH_HEADER]! & 0x0f) * 4;
  const total = get16(f, ETH_HEADER + 2);
  if (ihl < 20 || total < ihl || ETH_HEADER + total > f.length) return undefined;
  return {
    srcMac: f.slice(ETH_SRC, ETH_SRC + MAC_BYTES),
    src: get32(f, ETH_HEADER + 12), dst: get32(f, ETH_HEADER + 16), protocol: f[ETH_HEADER + 9]!,
    payload: f.subarray(ETH_HEADER + ihl, ETH_HEADER + total),
  };
}

/** The fields of a TCP segment a hostile responder needs (no checksum check: it is the attacker's own input). */
export interface SeenTcp {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly dataBytes: number;
}

export function seenTcp(p: SeenIp): SeenTcp | undefined {
  if (p.protocol !== IPPROTO_TCP || p.payload.length < 20) return undefined;
  const b = p.payload;
  const off = (b[12]! >>> 4) * 4;
  return { srcPort: get16(b, 0), dstPort: get16(b, 2), seq: get32(b, 4), ack: get32(b, 8), flags: b[13]!, dataBytes: Math.max(0, b.length - off) };
}

/** A raw hand on one's own stack: a filter in front of its input, and frames of one's own sent ahead of its. */
export class RawHand {
  private readonly own: Uint8Array[] = [];
  private id = 0x4000;

  /** `filter` sees every frame first; when it returns true, the stack never sees the frame. */
  constructor(readonly stack: NetStack, filter: (f: Uint8Array, now: number) => boolean) {
    const input = stack.input.bind(stack);
    const take = stack.takeFrames.bind(stack);
    Object.defineProperty(stack, 'input', { value: (f: Uint8Array, now: number) => (filter(f, now) ? undefined : input(f, now)) });
    Object.defineProperty(stack, 'takeFrames', {
      value: (max = Infinity) => {
        const out = this.own.splice(0, Math.max(0, max));
        if (out.length < max) out.push(...take(max - out.length));
        return out;
      },
    });
  }

  /** Frames of one's own waiting for a transmit slot. */
  get waiting(): number {
    return this.own.length;
  }

  /** Send one TCP segment to `dst` at `dstMac` (DF set, our own address as the source). */
  tcp(dstMac: Uint8Array, dst: number, h: TcpHeaderFields, payload: Uint8Array = new Uint8Array(0)): void {
    const seg = buildSegment(h, payload, this.stack.ip, dst);
    const packets = ipv4Packets({ src: this.stack.ip, dst, protocol: IPPROTO_TCP, id: this.id++ & 0xffff, dontFragment: true, payload: seg });
    if (packets === 'bad-length') throw new Error('segment too long');
    for (const p of packets) this.own.push(ethernetFrame(dstMac, this.stack.mac, p));
  }

  /** Send one raw IPv4 datagram (it may be cut into fragments) of `protocol` to `dst` at `dstMac`. */
  ipv4(dstMac: Uint8Array, dst: number, protocol: number, payload: Uint8Array, id: number, dontFragment = false): number {
    const packets = ipv4Packets({ src: this.stack.ip, dst, protocol, id: id & 0xffff, dontFragment, payload });
    if (packets === 'bad-length') return 0;
    for (const p of packets) this.own.push(ethernetFrame(dstMac, this.stack.mac, p));
    return packets.length;
  }

  /** Send one frame exactly as given. */
  frame(f: Uint8Array): void {
    this.own.push(f);
  }
}

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
