// The composition of net.ts (machine, wire, card, kernel, driver domain, N session stacks)
// with a frame source on the wire, from which the driver tests and the receive-strategy
// benchmark (emulator/bench/netdriver.ts) drive frames in and read the wire back.

import { FrameSource } from '../../../devices/peers/source.js';
import type { EventSource } from '../../machine/clock.js';
import type { Machine } from '../../machine/machine.js';
import { composeNet, type Net, type NetOptions } from './net.js';

export type WorldOptions = Omit<NetOptions, 'onWire'>;

export interface World extends Net {
  peer: FrameSource;
}

export function world(o: WorldOptions): World {
  let peer: FrameSource | undefined;
  const net = composeNet({ ...o, onWire: (wire) => (peer = new FrameSource(wire, 'peer')) });
  return { ...net, peer: peer! };
}

/** The event source each machine's peer frames are scheduled from (a machine names a source once). */
const peerEvents = new WeakMap<Machine, EventSource>();

/** Schedule `frames` from the peer, one every `gap` cycles from now (as often as a test likes). */
export function sendSpaced(w: World, frames: Uint8Array[], gap: number): number {
  let src = peerEvents.get(w.machine);
  if (!src) peerEvents.set(w.machine, (src = w.machine.eventSource('test-peer')));
  const t0 = w.machine.now + 1000;
  frames.forEach((f, k) => src.at(t0 + k * gap, () => w.peer.send(f)));
  return t0 + frames.length * gap;
}
