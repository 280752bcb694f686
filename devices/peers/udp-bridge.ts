// A bridge from the wire to an external UDP frame socket, with QEMU's socket netdev
// semantics: one Ethernet frame (no FCS) per datagram, each way. Good frames heard on the
// wire go out as datagrams; each datagram received becomes a frame sent on the wire at the
// current emulated cycle. A datagram shorter than the Ethernet minimum but holding a whole
// header is zero-padded to 60 bytes, as a real NIC pads on transmit (Linux's TAP hands over
// its 42-byte ARP frames unpadded, and QEMU pads them the same way); one that is still not a
// legal frame (no whole header, or too long) is counted and dropped.
//
// While a bridge is attached the emulated clock must follow the wall clock (a real peer
// answers in real time): runPaced() runs the machine in slices never ahead of the wall
// clock. This is the one place in devices/ that reads the host's time (through an
// injectable clock, so tests can drive it).

import dgram from 'node:dgram';
import { ETH_MIN_FRAME, ETHERTYPE_OFFSET, FCS_BYTES, FrameError, checkFrame } from '../frame.js';
import type { Reception } from '../wire/reception.js';
import type { Wire, WireEndpoint, WirePort } from '../wire/wire.js';

export interface UdpBridgeOptions {
  /** Local address and port to bind (default 127.0.0.1, any free port). */
  bindAddress?: string;
  bindPort?: number;
  /** Where frames from the wire are sent. */
  remoteAddress?: string;
  remotePort: number;
  /** The wall clock runPaced follows, in milliseconds (default performance.now; tests pass a fake). */
  wallClockMs?: () => number;
}

const hostClockMs = () => performance.now(); // wall-clock ok: pacing to real time is the bridge's job

export class UdpBridge implements WireEndpoint {
  readonly name: string;
  readonly port: WirePort;
  private readonly socket = dgram.createSocket('udp4');
  sentDatagrams = 0;
  receivedDatagrams = 0;
  /** Datagrams that were not legal frames. */
  rejected = 0;
  /** Short datagrams zero-padded up to the Ethernet minimum. */
  padded = 0;
  lastError: string | undefined;
  /** Where runPaced's pace is anchored: the wall time and the cycle of its first call. */
  private pace: { wallMs: number; cycle: number } | undefined;

  constructor(
    wire: Wire,
    readonly opts: UdpBridgeOptions,
    name = 'udp-bridge',
  ) {
    if (!Number.isInteger(opts.remotePort) || opts.remotePort <= 0 || opts.remotePort > 65535) throw new RangeError(`${name}: bad remote port ${opts.remotePort}`);
    this.name = name;
    this.port = wire.attach(this);
    this.socket.on('message', (msg) => this.datagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length)));
    this.socket.on('error', (e) => void (this.lastError = String(e)));
  }

  /** Bind the socket; resolves to the local port. */
  open(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(this.opts.bindPort ?? 0, this.opts.bindAddress ?? '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve(this.socket.address().port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  /** A frame heard on the wire: forward it if its FCS is good. */
  frame(bytes: Uint8Array, rx: Reception): void {
    if (!rx.fcsOk()) return;
    this.sentDatagrams++;
    this.socket.send(bytes.subarray(0, bytes.length - FCS_BYTES), this.opts.remotePort, this.opts.remoteAddress ?? '127.0.0.1');
  }

  private datagram(d: Uint8Array): void {
    this.receivedDatagrams++;
    try {
      this.port.send(checkFrame(this.pad(d), this.name));
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.rejected++;
      this.lastError = e.message;
    }
  }

  /** A copy of the datagram, zero-padded to the Ethernet minimum if it is shorter but holds a whole header. */
  private pad(d: Uint8Array): Uint8Array {
    if (d.length >= ETH_MIN_FRAME || d.length < ETHERTYPE_OFFSET + 2) return Uint8Array.from(d);
    this.padded++;
    const f = new Uint8Array(ETH_MIN_FRAME);
    f.set(d);
    return f;
  }

  /**
   * Run the emulation up to `untilCycle`, never ahead of the wall clock: `run(c)` runs the
   * machine to cycle c (an idle machine may stop short); after every slice node's event loop
   * delivers datagrams. The pace is anchored at the first call (its wall time and cycle) and
   * kept across calls, so a caller that runs in short strides with work in between (the CLI
   * checks the invariants every 20,000 cycles, 150 µs) keeps to real time: a pace restarted
   * at every call lost the wall time of every check and every timer wait (at least 1 ms a
   * stride: emulated time ran at about a tenth of real time). A machine that has fallen
   * behind runs as fast as it can until it has caught up.
   */
  async runPaced(run: (cycle: number) => void, now: () => number, untilCycle: number, cpuHz: number, sliceMs = 1): Promise<void> {
    const wallMs = this.opts.wallClockMs ?? hostClockMs;
    const pace = (this.pace ??= { wallMs: wallMs(), cycle: now() });
    let reached = now();
    while (reached < untilCycle) {
      const elapsed = wallMs() - pace.wallMs;
      const target = Math.min(untilCycle, pace.cycle + Math.floor((elapsed * cpuHz) / 1000));
      if (target > reached) {
        run(target);
        reached = target;
      }
      // A timer wait while ahead of the wall clock, else one turn of the event loop: datagrams
      // (and Ctrl-C) get in while a run catches up too.
      await new Promise((r) => (reached < untilCycle ? setTimeout(r, sliceMs) : setImmediate(r)));
    }
  }
}
