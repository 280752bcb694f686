// Building a scenario's world: the product's composition (scenario/net.ts) with the planted
// bug's switches, a frame source on the wire as the peer, and an event source for the
// scenario's scheduled traffic. Every scenario builds through here, so a bug reaches every
// layer it names and nothing else.

import { FrameSource } from '../../../devices/peers/source.js';
import { PAGE_BYTES } from '../../../guest/session/layout.js';
import { ipv4Frame } from '../../../guest/net/build.js';
import { RamPool } from '../../machine/memory.js';
import { CARD_MAC, composeNet, ipOf, PEER_IP, PEER_MAC, type NetOptions } from '../scenario/net.js';
import { bugSwitches } from './bugs.js';
import type { Delivery, ExploreWorld, ScenarioConfig } from './scenario.js';

export type WorldOptions = Omit<NetOptions, 'onWire' | 'seed' | 'unsafe' | 'ram'>;

/** RAM of an explored machine: room for the kernel's low megabyte, the driver's bank and three clients' (net.ts framesReserved). */
export const EXPLORE_MEMORY_BYTES = 4 << 20;

/** RAM buffers of finished worlds, reused by the next (memory.ts RamPool: only the frames written are reset). */
const ram = new RamPool();

export function buildWorld(c: ScenarioConfig, o: WorldOptions): ExploreWorld {
  const bug = bugSwitches(c.bug);
  let peer: FrameSource | undefined;
  const net = composeNet({
    memoryBytes: EXPLORE_MEMORY_BYTES,
    ...o,
    ram,
    seed: c.seed,
    kernel: { ...o.kernel, unsafe: { ...o.kernel?.unsafe, ...bug.kernel } },
    unsafe: bug.net,
    onWire: (wire) => (peer = new FrameSource(wire, 'peer')),
  });
  const deliveries: Delivery[] = [];
  net.view.onDeliver = (e) => deliveries.push({ client: e.session.badge - 1, buffer: e.buffer, length: e.length, how: e.how, cycle: net.machine.now });
  return Object.assign(net, { peer: peer!, traffic: net.machine.eventSource('explore-traffic'), deliveries, setupProblems: [] });
}

/** A world that will not run again gives its RAM back for the next one (any later access to its memory throws). */
export function retireWorld(w: ExploreWorld): void {
  ram.give(w.machine.memory);
}

/** A frame from the peer to client `k`: an IPv4 datagram of `length` bytes on the wire (14 of Ethernet header), filled with `tag`. */
export function frameTo(k: number, length: number, tag: number): Uint8Array {
  return ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(k), payload: new Uint8Array(length - 34).fill(tag) });
}

/** A frame from client `k` to the peer, `length` bytes on the wire, filled with `tag`. */
export function frameFrom(k: number, length: number, tag: number): Uint8Array {
  return ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(k), dst: PEER_IP, payload: new Uint8Array(length - 34).fill(tag) });
}

/** Send `frame` from the peer at `cycle`. */
export function sendAt(w: ExploreWorld, cycle: number, frame: Uint8Array): void {
  w.traffic.at(cycle, () => w.peer.send(frame));
}

/**
 * Write `bytes` at `va` of client `k`'s space, as stores of its stack would: only where its
 * space maps the page writable (a revoked or read-only page would fault), all within one page.
 */
export function storeAs(w: ExploreWorld, k: number, va: number, bytes: Uint8Array): void {
  const page = va - (va % PAGE_BYTES);
  if (va + bytes.length > page + PAGE_BYTES) throw new RangeError(`storeAs: ${bytes.length} bytes at 0x${va.toString(16)} cross a page`);
  const m = w.kernel.mappings(w.clients[k]!.space).find((x) => x.va === page);
  if (!m?.writable) return;
  w.machine.memory.set(bytes, m.frame * PAGE_BYTES + (va - page));
}
