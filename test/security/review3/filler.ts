// The connection-table filler: a hostile client's port 80, written with raw frames (raw.ts),
// that answers each HTTP GET of the peer's exerciser at once with a SYN-ACK and, in the same
// breath, a response the exerciser rejects ("200", Content-Length 0, one byte of body). The
// exerciser (guest/apps/http-client.ts) then closes its side first and at once starts the
// next GET (guest/apps/exerciser.ts runHttp); the filler acknowledges the request and the
// FIN and never sends a FIN of its own, so the peer's connection stays in FIN-WAIT-2, which
// has no timer in this stack (guest/netstack/tcp/timers.ts), for the rest of the run. Every
// GET leaves one entry in the peer host's connection table. It drops the peer's echo and
// discard SYNs (those connections then back off for seconds) and keeps no state of its own
// worth the name, so its own stack's table stays empty.
//
// A SYN lost on the way (the card misses frames under load) would stall the exerciser for
// its initial RTO (1 s); after STALL cycles without a SYN the filler sends a SYN of its own
// to the next ephemeral ports the peer will use (its counter is sequential,
// guest/netstack/tcp/table.ts), which turns the peer's stalled SYN-SENT connection into
// SYN-RECEIVED (RFC 9293 simultaneous open) and makes it say its ISN again.

import type { App } from '../../../guest/apps/app.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../guest/netstack/tcp/segment.js';
import { ascii, RawHand, seenIp, seenTcp } from './raw.js';

export const RESPONSE = ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nX');

/** Cycles without a SYN from the peer after which the filler takes one for lost and wakes the peer's connection (2 ms). */
const STALL = 266_000;

export interface FillerOptions {
  /** Cycles without a SYN before it wakes the peer (default STALL). */
  readonly stall?: number;
  /** Each SYN gets a fresh ISN even on a port it probed itself, and it probes ports it already holds (the torn-descriptor load). */
  readonly freshIss?: boolean;
}

/** The filler on `stack` (a client's own stack, given to it as an application). */
export function filler(stack: NetStack, o: FillerOptions = {}): App {
  const stall = o.stall ?? STALL;
  const conns = new Map<number, number>(); // peer port -> our ISS
  let iss = 0x1000_0000;
  let lastPort: number | undefined;
  let lastSyn = 0;
  let peer: { mac: Uint8Array; ip: number } | undefined;
  const nextIss = () => (iss = (iss + 0x10000) >>> 0);
  const hand: RawHand = new RawHand(stack, (f, now) => {
    const ip = seenIp(f);
    const t = ip && ip.dst === stack.ip ? seenTcp(ip) : undefined;
    if (!ip || !t) return false;
    if (t.dstPort === 7 || t.dstPort === 9) return true;
    if (t.dstPort !== 80) return false;
    peer = { mac: ip.srcMac, ip: ip.src };
    const base = { srcPort: 80, dstPort: t.srcPort, window: 65535 };
    const syn = t.flags & (TCP_SYN | TCP_ACK | TCP_RST);
    if (syn === TCP_SYN || syn === (TCP_SYN | TCP_ACK)) {
      const ack = (t.seq + 1) >>> 0;
      let mine: number;
      if (syn === TCP_SYN) {
        mine = (o.freshIss ? undefined : conns.get(t.srcPort)) ?? nextIss(); // a port we probed keeps the ISN our SYN gave it
        conns.set(t.srcPort, mine);
        hand.tcp(ip.srcMac, ip.src, { ...base, seq: mine, ack, flags: TCP_SYN | TCP_ACK, mss: 1460 });
      } else {
        mine = conns.get(t.srcPort) ?? 0; // the peer answered our SYN (simultaneous open): its SYN-ACK carries its ISN
        hand.tcp(ip.srcMac, ip.src, { ...base, seq: (mine + 1) >>> 0, ack, flags: TCP_ACK });
      }
      hand.tcp(ip.srcMac, ip.src, { ...base, seq: (mine + 1) >>> 0, ack, flags: TCP_ACK | TCP_PSH }, RESPONSE);
      lastPort = t.srcPort;
      lastSyn = now;
      return true;
    }
    const mine = conns.get(t.srcPort);
    const fin = t.flags & TCP_FIN ? 1 : 0;
    if (mine !== undefined && (t.dataBytes > 0 || fin)) hand.tcp(ip.srcMac, ip.src, { ...base, seq: (mine + 1 + RESPONSE.length) >>> 0, ack: (t.seq + t.dataBytes + fin) >>> 0, flags: TCP_ACK });
    return true;
  });
  return {
    advance() {
      if (!peer || lastPort === undefined || stack.now < lastSyn + stall) return;
      // No SYN for a while: the next one was lost. A SYN of ours to the ports the peer's next connections take
      // turns its SYN-SENT connection into SYN-RECEIVED (RFC 9293 simultaneous open), and it says its ISN again.
      for (let k = 1; k <= 4; k++) {
        const port = 49152 + ((lastPort - 49152 + k) % 16384);
        if (!o.freshIss && conns.has(port)) continue;
        const mine = nextIss();
        conns.set(port, mine);
        hand.tcp(peer.mac, peer.ip, { srcPort: 80, dstPort: port, seq: mine, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460 });
      }
      lastSyn = stack.now;
    },
    deadline: () => (lastPort === undefined ? undefined : lastSyn + stall),
  };
}
