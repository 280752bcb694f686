// The built-in peer host on the wire (10.0.0.1 by default): the same stack code as a client's
// (guest/netstack/stack.ts) and the same applications, but run outside the kernel, as a
// device: a frame heard on the wire goes into the stack at the cycle its last byte arrived,
// the applications are polled, and what the stack wants to send goes out on the peer's port
// as the port drains. The peer takes no CPU time (an infinitely fast host); the wire's bit
// rate and faults are its only limits. Like a host's interface queue its transmit queue is
// bounded (the stack's txQueue, PEER_TX_QUEUE frames): past it the stack drops and counts
// (tx-queue-full), so TCP sees congestion instead of an ever longer queue. Timers run as clock events at the stack's or an application's
// next deadline, so a run with the peer stays a pure function of its config.

import { FCS_BYTES } from '../../../devices/frame.js';
import type { Reception } from '../../../devices/wire/reception.js';
import type { Wire, WireEndpoint, WirePort } from '../../../devices/wire/wire.js';
import type { EventSource, ScheduledEvent } from '../../machine/clock.js';
import type { Machine } from '../../machine/machine.js';
import { nextDue } from '../../../guest/netstack/due.js';
import type { App } from '../../../guest/netstack/sockets.js';
import { NetStack, type StackConfig } from '../../../guest/netstack/stack.js';

/** Frames the peer lets wait for the wire: 64, about 8 ms at 100 Mbit/s (a host's txqueuelen is often 1000; shorter keeps pings and TCP's round trips honest). */
export const PEER_TX_QUEUE = 64;
/** Connections one client may hold in the peer's table (of 1,024): the exercisers use a few at a time, TIME-WAIT entries are recycled, and a client that holds connections open on purpose cannot take the others' share. */
export const PEER_CONNECTIONS_PER_CLIENT = 64;
/** Frames handed to the port at once: the one on the wire and the next. */
const PORT_DEPTH = 2;

export class PeerHost implements WireEndpoint {
  readonly name: string;
  readonly port: WirePort;
  readonly stack: NetStack;
  private apps: App[] = [];
  private readonly events: EventSource;
  private timer: ScheduledEvent | undefined;
  /** Frames heard with a bad FCS (dropped, as any receiving NIC would). */
  badFcs = 0;

  constructor(
    private readonly machine: Machine,
    wire: Wire,
    config: Omit<StackConfig, 'cpuHz'>,
    name = 'peer',
  ) {
    this.name = name;
    this.port = wire.attach(this);
    this.events = machine.eventSource(`${name}-timers`);
    this.stack = new NetStack({ txQueue: PEER_TX_QUEUE, ...config, tcp: { maxPerRemote: PEER_CONNECTIONS_PER_CLIENT, ...config.tcp }, cpuHz: machine.config.cpuHz });
  }

  /** Start the applications (made with the peer's stack) now. */
  run(apps: (stack: NetStack) => App[]): void {
    this.apps.push(...apps(this.stack));
    this.step();
  }

  frame(bytes: Uint8Array, rx: Reception): void {
    if (!rx.fcsOk()) {
      this.badFcs++;
      return;
    }
    this.stack.input(bytes.subarray(0, bytes.length - FCS_BYTES), this.machine.clock.now);
    this.step();
  }

  /** Timers, applications, then out with every frame the stack has; then the next timer. */
  private step(): void {
    const now = this.machine.clock.now;
    this.stack.tick(now);
    for (const a of this.apps) a.advance();
    this.flush();
    const due = nextDue(this.stack, this.apps);
    const at = due === undefined ? undefined : Math.max(Math.ceil(due), now + 1);
    if (this.timer && this.timer.at !== at) {
      this.machine.clock.cancel(this.timer);
      this.timer = undefined;
    }
    if (at !== undefined && !this.timer) {
      this.timer = this.events.at(at, () => {
        this.timer = undefined;
        this.step();
      });
    }
  }

  /** Hand the port what it can take; called again as each frame leaves the wire. */
  private flush(): void {
    const room = PORT_DEPTH - this.port.queued - (this.port.busy ? 1 : 0);
    for (const f of this.stack.takeFrames(Math.max(0, room))) this.port.send(f, () => this.flush());
  }
}
