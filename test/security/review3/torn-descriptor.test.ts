// A hostile client's transmit pattern against the driver's transmit descriptors: the card
// reads a descriptor that the driver is rewriting in the same few cycles, and takes the old
// length with the new OWN bit. The frame the driver checked goes out cut in two: its first 60
// bytes as one frame, and its payload fragment, raw bytes from the stack's own transmit
// page that no check has seen, as a second frame of its own.
//
// WHAT HAPPENS. In bus-master mode a frame longer than 74 bytes takes two descriptors: the
// header (the driver's checked copy, in its header page) and the payload (the stack's pinned
// page). guest/netdriver/busmaster.ts transmit() writes the payload descriptor, then the
// header descriptor's ADDR, CTRL and, last, STATUS = OWN: "last: the card may take it from
// now on". But the card (devices/ne2k/busmaster.ts readTxDescriptor) fetches a descriptor as
// one 16-byte DMA read whose four 4-byte beats land 4 cycles apart (emulator/machine/dma.ts),
// in address order ADDR, CTRL, STATUS, and the driver's stores to a cached ring line take one
// cycle each. When the card finishes a frame it polls the next descriptor at once
// (txDone -> txPoll); if the driver is arming that very descriptor then, the card can read
// CTRL before the driver's CTRL store and STATUS after its OWN store. Seen here (cycles):
//   14410670 card reads desc14 ADDR = 0x110700  (header slot 14: the same as before)
//   14410671-73 driver writes desc15 (the payload: ADDR 0x16004a, CTRL 1440 | EOF, OWN)
//   14410674 driver writes desc14 ADDR;  card reads desc14 CTRL = 0xc000003c (the OLD one: 60 bytes, SOF|EOF)
//   14410675 driver writes desc14 CTRL = 0x4000004a (74 bytes, SOF)
//   14410676 driver writes desc14 STATUS = OWN;  14410678 card reads desc14 STATUS = OWN
// The card sends a 60-byte frame from header slot 14 (the first 60 bytes of the neighbour's
// new 74-byte header: an IPv4 packet cut short, which the peer drops as bad-length), marks
// desc14 done, polls desc15, finds the payload descriptor owned and ending a frame, and sends
// the 1440 payload bytes alone as a frame: bytes straight from the stack's transmit page,
// starting 74 bytes into its frame, with no header the driver copied or checked (the peer
// counts it not-for-us: its "destination MAC" is payload). The per-transfer DMA check
// (emulator/cli/scenario/transfers.ts) reports it ("the card fetched fragment 0x110700+60
// from it, the driver put 0x110700+74"), and the boot report lists the violation.
//
// WHY IT MATTERS. The frame torn here is the honest neighbour's (client 3, session #3): one
// of its TCP segments is destroyed. Worse, the payload-only frame is the transmit check
// (guest/net/txcheck.ts, DESIGN.md §5: "cannot spoof another stack's source address")
// bypassed: whoever owns the torn frame decides every byte of what goes on the wire. A stack
// that puts a whole Ethernet frame at offset 74 of each of its long frames (a forged ARP reply
// for the neighbour's address, a UDP answer "from" the neighbour) gets it sent, unchecked,
// each time one of its frames is torn. What the attacker controls is the load: this pattern
// of short frames (SYN-ACKs and one-segment responses to the peer's exerciser, from
// review3/peer-connection-table.test.ts's first version) makes the driver arm descriptors
// while the card drains its ring. Honest boot runs of 400 ms (2, 3 and 8 clients) show no
// violation; this one shows it at cycle 14,410,698 (108 ms), deterministically.
//
// DEFENCE TO ADD. Make the hand-over of a descriptor atomic for the card: the card reads the
// STATUS word first and only then the ADDR and CTRL words the driver wrote before it (or the
// driver hands descriptors over through a tail register the card never reads past, as e1000
// does with TDT); the same holds for receive descriptors, armed in the same order
// (busmaster.ts arm()), where a torn read would aim an incoming frame at the previous buffer.
//
// This test asserts the defended behaviour (no violation, every frame the card sends starts
// with a header the driver checked) and FAILS NOW.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun } from '../../../emulator/cli/scenario/boot.js';
import { CARD_MAC } from '../../../emulator/cli/scenario/net.js';
import type { App } from '../../../guest/apps/app.js';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { bytesEqual } from '../../../guest/net/bytes.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../../../guest/netstack/tcp/segment.js';
import { ascii, RawHand, seenIp, seenTcp } from './raw.js';

/** The peer host's MAC (net.ts PEER_MAC): every frame on the wire is from the card or from it. */
const PEER_MAC_FIRST = 0x02;

const RESPONSE = ascii('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nX');

/** Cycles without a SYN from the peer after which the filler assumes one was lost and wakes the peer's connection (300 µs). */
const STALL = 40_000;

function filler(stack: NetStack): App {
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
    const syn = t.flags & (TCP_SYN | TCP_ACK | 0x04);
    if (syn === TCP_SYN || syn === (TCP_SYN | TCP_ACK)) {
      const ack = (t.seq + 1) >>> 0;
      let mine: number;
      if (syn === TCP_SYN) {
        mine = nextIss();
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
      if (!peer || lastPort === undefined || stack.now < lastSyn + STALL) return;
      // No SYN for a while: the next one was lost. A SYN of ours to the ports the peer's next connections take
      // turns its SYN-SENT connection into SYN-RECEIVED (RFC 9293 simultaneous open), and it says its ISN again.
      for (let k = 1; k <= 4; k++) {
        const port = 49152 + ((lastPort - 49152 + k) % 16384);
        const mine = nextIss();
        conns.set(port, mine);
        hand.tcp(peer.mac, peer.ip, { srcPort: 80, dstPort: port, seq: mine, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460 });
      }
      lastSyn = stack.now;
    },
    deadline: () => (lastPort === undefined ? undefined : lastSyn + STALL),
  };
}

function hostileApps(i: number, stack: NetStack): App[] {
  if (i === 2) return [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
  return [filler(stack)];
}


describe('a transmit descriptor torn between the driver and the card', () => {
  it('every frame the card sends is one the driver checked, and the DMA check sees nothing wrong', () => {
    const unchecked: string[] = [];
    const r = new BootRun({
      ...BOOT_DEFAULTS, millis: 115, revokes: 'none', traffic: { discard: false }, clients: 3, apps: hostileApps,
      onWire: (wire, machine) => wire.attach({
        name: 'tap',
        frame(b) {
          const fromPeer = b[6] === PEER_MAC_FIRST && b[11] === 0x99;
          if (!fromPeer && !bytesEqual(b, 6, CARD_MAC)) unchecked.push(`cycle ${machine.clock.now}: ${b.length - 4} bytes, source ${Array.from(b.subarray(6, 12), (x) => x.toString(16)).join(':')}`);
        },
      }),
    });
    while (!r.done) {
      r.machine.runUntil(r.target());
      r.afterStride();
    }
    const rep = r.finish();
    expect(rep.driver.alive).toBe(true);
    expect(unchecked).toEqual([]); // now: one 1440-byte frame whose "source MAC" is the neighbour's payload
    expect(rep.invariants.listed).toEqual([]); // now: the per-transfer DMA check at cycle 14,410,698
  });
});
