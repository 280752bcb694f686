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
// WHY IT MATTERS. The payload-only frame is the transmit check (guest/net/txcheck.ts,
// DESIGN.md §5: a stack "cannot spoof another stack's source address") bypassed: whoever owns
// the torn frame decides every byte that goes on the wire. A tear can also take the old ADDR
// of a descriptor that last held a payload: the card then reads a page whose pin was released
// long ago (the kernel's DMA watch: "frame is not pinned"), which could by then be anyone's
// (invariant 1, and 4 if it was). What the attacker controls is the load and the bytes: the second test is
// the exploit. Two clients send pairs of frames, a short one and a 134-byte one whose bytes
// from offset 74 on are a complete Ethernet frame, an ARP reply "10.0.0.4 is at
// 02:de:ad:00:00:01" (the neighbour's address, a MAC nobody has), at intervals drawn from a
// fixed generator; each carrier passes the driver's check (its first 74 bytes are an honest
// UDP header from the sender's own address). At cycle 28,506,539 (214 ms) a carrier's header
// descriptor is torn the other way: the card reads the OLD ADDR (an earlier carrier's
// payload address, 0x12c84a, in a page whose pin was released: the kernel's DMA watch reports
// 20 beats into "frame 300: frame is not pinned") and the NEW CTRL (74 bytes, no end of
// frame), and sends those 74 bytes followed by the carrier's payload: a 134-byte frame that
// begins with the forged ARP reply, on the wire at cycle 28,508,168. The peer's ARP cache
// takes it (RFC 826: the sender is known, the entry is updated) and from then on the peer
// sends everything for the neighbour to 02:de:ad:00:00:01, which the card filters out: the
// neighbour's pings stop at 78 answered, its UDP echoes at 95, its TCP echo at 580,588 bytes,
// for the rest of the run (and the ARP entry's 60 s). In an earlier 1.5 s
// run of the same pattern (other intervals) the same happened at 1.297 s, that tear over a
// header descriptor. Honest boot runs (2 clients 400 ms, 3 clients 400 ms without the
// discard stream, 8 clients 200 ms) show no violation at all.
//
// THE DEFENCES. The card reads a descriptor's status word first and its address and length
// only once it owns the descriptor (devices/ne2k/busmaster.ts; its own sweep of the driver's
// stores across every beat is test/devices/bm-descriptor-fetch.test.ts, which fails with the
// old read order), and the driver records a frame as in flight before its first OWN store
// (armed-record.test.ts). Both tests assert the defended behaviour; the numbers in the
// comments below are what they saw before the fixes.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun } from '../../../emulator/cli/scenario/boot.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../../emulator/cli/scenario/net.js';
import type { App } from '../../../guest/apps/app.js';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { ARP_REPLY } from '../../../guest/net/arp.js';
import { arpFrame } from '../../../guest/net/build.js';
import { bytesEqual, parseMac } from '../../../guest/net/bytes.js';
import type { NetStack } from '../../../guest/netstack/stack.js';
import type { Wire } from '../../../devices/wire/wire.js';
import type { Machine } from '../../../emulator/machine/machine.js';
import { filler } from './filler.js';
import { RawHand } from './raw.js';

/** Frames on the wire whose source MAC is neither the card's nor the peer's: nothing the driver checked. */
function uncheckedFrames(out: string[]) {
  return (wire: Wire, machine: Machine) => wire.attach({
    name: 'tap',
    frame(b) {
      if (!bytesEqual(b, 6, CARD_MAC) && !bytesEqual(b, 6, PEER_MAC)) out.push(`cycle ${machine.clock.now}: ${b.length - 4} bytes, source ${Array.from(b.subarray(6, 12), (x) => x.toString(16)).join(':')}`);
    },
  });
}

// ------------------------------------------------------------------ the first test's load

/** Cycles without a SYN from the peer after which the filler assumes one was lost and wakes the peer's connection (300 µs). */
const STALL = 40_000;

function hostileApps(i: number, stack: NetStack): App[] {
  if (i === 2) return [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
  return [filler(stack, { stall: STALL, freshIss: true })];
}


// ------------------------------------------------------------------ the exploit's load

/** The neighbour (client 3, 10.0.0.4) and the MAC the forged ARP reply gives it. */
const NEIGHBOUR = 2;
const NOBODY = parseMac('02:de:ad:00:00:01')!;
const FORGED = arpFrame({ op: ARP_REPLY, senderMac: NOBODY, senderIp: ipOf(NEIGHBOUR), targetMac: PEER_MAC, targetIp: PEER_IP }, PEER_MAC);

/** A UDP datagram from port 5555 to port 9999 (no checksum): the peer has no such port and drops it. */
function udp(data: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + data.length);
  b.set([0x15, 0xb3, 0x27, 0x0f, b.length >> 8, b.length & 0xff], 0);
  b.set(data, 8);
  return b;
}

/** Pairs of frames to the peer, a short one then a carrier with FORGED at offset 74, at intervals of 2,000 to 8,000 cycles from a fixed generator. */
function carriers(stack: NetStack, seed: number): App {
  const hand = new RawHand(stack, () => false);
  const carrier = new Uint8Array(32 + FORGED.length); // UDP data from byte 42 of the frame: FORGED starts at 74
  carrier.set(FORGED, 32);
  let x = seed;
  let id = 1;
  let next = 0;
  return {
    advance() {
      if (hand.waiting > 0 || stack.now < next) return;
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      next = stack.now + 2000 + (x % 6000);
      hand.ipv4(PEER_MAC, PEER_IP, 17, udp(new Uint8Array(4 + ((x >>> 8) % 12))), id++);
      hand.ipv4(PEER_MAC, PEER_IP, 17, udp(carrier), id++);
    },
    deadline: () => Math.max(next, stack.now + 1),
  };
}

describe('a transmit descriptor torn between the driver and the card', () => {
  it('every frame the card sends is one the driver checked, and the DMA check sees nothing wrong', () => {
    const unchecked: string[] = [];
    const r = new BootRun({
      ...BOOT_DEFAULTS, millis: 115, revokes: 'none', traffic: { discard: false }, clients: 3, apps: hostileApps,
      onWire: uncheckedFrames(unchecked),
    });
    while (!r.done) {
      r.machine.runUntil(r.target());
      r.afterStride();
    }
    const rep = r.finish();
    expect(rep.driver.alive).toBe(true);
    expect(unchecked).toEqual([]); // before the fixes: one 1440-byte frame whose "source MAC" is the neighbour's payload
    expect(rep.invariants.listed).toEqual([]); // before the fixes: the per-transfer DMA check at cycle 14,410,698
  });

  it("no client can get a frame past the transmit check: the peer keeps the neighbour's address, the neighbour its traffic", () => {
    const unchecked: string[] = [];
    let answeredAt220 = 0;
    const r = new BootRun({
      ...BOOT_DEFAULTS, clients: 3, millis: 260, revokes: 'none', onWire: uncheckedFrames(unchecked),
      apps: (i: number, stack: NetStack) => (i < NEIGHBOUR ? [carriers(stack, 101 + i)] : [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)]),
    });
    while (!r.done) {
      r.machine.runUntil(r.target());
      r.afterStride();
      if (r.machine.now <= 220 * 133_000) answeredAt220 = r.world.exercisers[NEIGHBOUR]?.stats.pingsAnswered ?? 0;
    }
    const entry = (r.world.peer!.stack as unknown as { arp: { entries: Map<number, { mac: Uint8Array }> } }).arp.entries.get(ipOf(NEIGHBOUR));
    const rep = r.finish();
    expect(unchecked).toEqual([]); // before the fixes: "cycle 28508168: 134 bytes, source 2:de:ad:0:0:1", the forged ARP reply
    expect(entry && bytesEqual(entry.mac, 0, CARD_MAC)).toBe(true); // before the fixes: the peer has the neighbour at 02:de:ad:00:00:01
    expect(rep.sessions[NEIGHBOUR]!.peer!.pingsAnswered).toBeGreaterThan(answeredAt220); // before the fixes: 78 at 220 ms, 78 at the end
    expect(rep.invariants.listed).toEqual([]); // before the fixes: "frame is not pinned", 20 beats of frame 300 from cycle 28,506,539
  });
});
