// DESIGN.md §6 item 1 per transfer (emulator/cli/scenario/transfers.ts): every DMA beat of the
// card must land in the frame pinned for the descriptor it is executing. Each test here makes
// the card's beats go where a broken defence would send them, into frames that *are* pinned
// for the device (so the kernel's bus observer, which asks only "pinned in this direction?",
// sees nothing), and asserts the per-transfer check names the descriptor and what is wrong:
// another session's pinned buffer, a buffer pinned for another descriptor, a pin in the other
// direction, and a transmit fragment that is another frame's checked header. A normal run in
// bus-master mode, with every beat checked, reports nothing.

import { describe, expect, it } from 'vitest';
import { DESC_ADDR, DESC_BYTES } from '../../devices/ne2k/registers.js';
import type { Page } from '../../guest/kernel/pages.js';
import { ipv4Frame } from '../../guest/net/build.js';
import type { RxTarget } from '../../guest/netdriver/backend.js';
import { BusMasterBackend } from '../../guest/netdriver/busmaster.js';
import type { Session } from '../../guest/netdriver/session.js';
import { cardPrivilege } from '../../emulator/cli/scenario/records.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { runCheckedEveryEvent } from '../../emulator/cli/scenario/checks.js';
import { sendSpaced, world, type World } from '../../emulator/cli/scenario/frame-world.js';
import { runWatched } from './watched.js';

const toSession = (s: Session, size: number) => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: s.ip, payload: new Uint8Array(size).fill(0x77) });
const fromStack = (i: number, size: number, tag: number) => ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(i), dst: PEER_IP, payload: new Uint8Array(size).fill(tag) });

/** Bus-master flip with two sessions whose posted buffers are armed in the card, which is idle. */
function armedWorld(): World {
  const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2 });
  runUntilOpen(w);
  w.machine.runFor(1_000_000);
  return w;
}

const backendOf = (w: World) => w.view.driver!.backend as BusMasterBackend;
/** The driver's record of receive descriptors, poked the way a broken driver would keep it. */
const rxRecord = (w: World) => (backendOf(w) as unknown as { rx: (RxTarget | undefined)[] }).rx;

/** The receive descriptor the card fills with the next frame, its address, and what the driver armed it with. */
function nextRx(w: World): { i: number; addr: number; t: RxTarget } {
  const r = w.card.bm.regs;
  expect(w.card.bm.receiving).toBe(false);
  return { i: r.rdh, addr: r.rdba + r.rdh * DESC_BYTES, t: backendOf(w).armedRx(r.rdh)! };
}

/** Another armed receive descriptor whose buffer `pick` accepts. */
function otherArmed(w: World, i: number, pick: (t: RxTarget) => boolean): RxTarget {
  for (let j = 0; j < w.card.bm.regs.rdlen; j++) {
    const t = backendOf(w).armedRx(j);
    if (j !== i && t && pick(t)) return t;
  }
  throw new Error('no such armed descriptor');
}

/** Send one frame to `s` and collect what the checks report while it lands. */
function receiveOne(w: World, s: Session): { transfer: string[]; kernel: string[] } {
  sendSpaced(w, [toSession(s, 1000)], 1000);
  const seen = runWatched(w, 600_000, 5_000);
  return { transfer: seen.filter((v) => v.startsWith('1 dma transfer')), kernel: seen.filter((v) => v.startsWith('1 dma:')) };
}

const hex = (n: number) => `0x${n.toString(16)}`;

describe('item 1 per transfer: a DMA beat lands only in the frame pinned for the descriptor the card executes', () => {
  it('a normal bus-master run, every event checked, reports nothing', () => {
    const w = armedWorld();
    const [a, b] = w.view.driver!.sessions;
    sendSpaced(w, [0, 1, 0, 1, 1, 0].map((k) => toSession(k === 0 ? a! : b!, 1400)), 30_000);
    runCheckedEveryEvent(w, 500_000);
    expect(w.watch.transfers.beats).toBeGreaterThan(6 * 350);
    expect(w.watch.transfers.violations).toEqual([]);
  });

  it("catches a descriptor re-pointed at another session's pinned buffer", () => {
    const w = armedWorld();
    const { i, addr, t } = nextRx(w);
    const other = otherArmed(w, i, (x) => x.session !== undefined && x.session !== t.session);
    w.machine.memory.write32(addr + DESC_ADDR, other.bus);
    const r = receiveOne(w, t.session!);
    expect(r.transfer).toHaveLength(1);
    expect(r.transfer[0]).toMatch(new RegExp(`^1 dma transfer: cycle \\d+: ne2k wrote frame ${other.bus / 4096} \\(bus ${hex(other.bus)}\\) for receive descriptor ${i} \\(session #${t.session!.id}'s buffer ${t.index}\\): the card fetched buffer ${hex(other.bus)} from it, the driver armed ${hex(t.bus)}`));
    expect(r.kernel).toEqual([]); // the frame is pinned for the device to write: the kernel's observer cannot tell
  });

  it('catches a beat into a frame pinned for another descriptor', () => {
    const w = armedWorld();
    const { i, addr, t } = nextRx(w);
    const other = otherArmed(w, i, (x) => x.session === t.session);
    // The driver's record and the descriptor agree on the other buffer's address, but the pin behind it is descriptor i's own.
    w.machine.memory.write32(addr + DESC_ADDR, other.bus);
    rxRecord(w)[i] = { ...t, bus: other.bus };
    const r = receiveOne(w, t.session!);
    expect(r.transfer).toHaveLength(1);
    expect(r.transfer[0]).toContain(`for receive descriptor ${i} (session #${t.session!.id}'s buffer ${t.index}): its pin token ${t.token} pins frame ${t.bus / 4096}, not this one`);
    expect(r.kernel).toEqual([]);
  });

  it('catches a receive into a frame whose pin for that descriptor is to-device', () => {
    const w = armedWorld();
    const { i, addr, t } = nextRx(w);
    const other = otherArmed(w, i, (x) => x.session === t.session);
    // A second pin of the other buffer's page, for the device to read, armed in descriptor i (a driver that pinned it the wrong way).
    const s = other.session!;
    const page = w.driverDomain.slots[s.slots.rx[other.index]!]!.obj as Page;
    const pin = w.kernel.pin(cardPrivilege(w)!, page, 'to-device');
    if (!pin.ok) throw new Error(pin.error);
    expect(pin.value.bus).toBe(other.bus);
    w.machine.memory.write32(addr + DESC_ADDR, other.bus);
    rxRecord(w)[i] = { ...t, bus: other.bus, token: pin.value.token };
    const r = receiveOne(w, t.session!);
    expect(r.transfer).toHaveLength(1);
    expect(r.transfer[0]).toContain(`for receive descriptor ${i} (session #${s.id}'s buffer ${t.index}): its pin token ${pin.value.token} pins the frame to-device, the transfer is from-device`);
    expect(r.kernel).toEqual([]); // the frame also has its from-device pin (descriptor j's)
  });

  it("catches a transmit fragment re-pointed at another frame's checked header", () => {
    const first = fromStack(0, 1400, 0x11);
    const second = fromStack(0, 300, 0x22);
    const w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2, stack: (i) => (i === 0 ? { send: [first, second] } : {}) });
    // Step until the card is reading the first frame while the second waits in the ring, its descriptors not yet read.
    const b = () => w.view.driver?.backend as BusMasterBackend | undefined;
    const find = (cookie: number) => Array.from({ length: w.card.bm.regs.tdlen }, (_, k) => k).find((k) => b()?.armedTx(k)?.header && b()!.armedTx(k)!.frame.cookie === cookie);
    const end = w.machine.now + 20_000_000;
    while (!(w.card.bm.txReading && find(1) !== undefined && find(2) !== undefined) && w.machine.now < end) w.machine.runFor(200);
    const h1 = b()!.armedTx(find(1)!)!;
    const k2 = find(2)!;
    const h2 = b()!.armedTx(k2)!;
    w.machine.memory.write32(w.card.bm.regs.tdba + k2 * DESC_BYTES + DESC_ADDR, h1.bus);
    const seen = runWatched(w, 600_000, 5_000);
    const transfer = seen.filter((v) => v.startsWith('1 dma transfer'));
    expect(transfer).toHaveLength(1);
    expect(transfer[0]).toMatch(new RegExp(`^1 dma transfer: cycle \\d+: ne2k read frame \\d+ \\(bus ${hex(h1.bus)}\\) for transmit descriptor ${k2} \\(session #\\d+'s checked header\\): the card fetched fragment ${hex(h1.bus)}\\+${h2.length} from it, the driver put ${hex(h2.bus)}\\+${h2.length}`));
    expect(seen.filter((v) => v.startsWith('1 dma:'))).toEqual([]); // the header page is pinned for the device to read
    // What it would have cost: the second frame left with the first one's header.
    expect(w.peer.heard.map((h) => h.frame.length)).toEqual([first.length, second.length]);
    expect(w.peer.heard[1]!.frame.subarray(0, 14)).toEqual(first.subarray(0, 14));
  });
});
