// Two stacks (guest/netstack/stack.ts) joined back to back by a simulated link, for the
// stack's own tests without a machine: frames take their time at the link's bit rate plus a
// propagation delay, each direction is serial, and the link may lose, duplicate, reorder and
// corrupt frames from a seeded stream. Deterministic: a run is a function of its options.

import { earliest, nextDue } from '../../../guest/netstack/due.js';
import type { App } from '../../../guest/netstack/sockets.js';
import { NetStack, type StackConfig } from '../../../guest/netstack/stack.js';
import { parseIpv4, parseMac } from '../../../guest/net/bytes.js';
import { seeded } from '../seeded.js';

export const HZ = 133_000_000;
export const A_IP = parseIpv4('10.0.0.2')!;
export const B_IP = parseIpv4('10.0.0.1')!;
export const A_MAC = parseMac('02:52:4c:00:00:01')!;
export const B_MAC = parseMac('02:00:00:00:00:99')!;
/** Ethernet preamble, FCS and inter-frame gap, in bytes of wire time. */
const OVERHEAD_BYTES = 8 + 4 + 12;

export interface LinkFaults {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
}

export interface LinkOptions {
  bitsPerSecond?: number;
  delayCycles?: number;
  faults?: LinkFaults;
  seed?: number;
  /** TCP options of b's stack (tcp/table.ts TcpOptions), over the defaults. */
  tcpB?: StackConfig['tcp'];
  /** See every frame as it is sent (a → b is 'ab'). */
  tap?: (dir: 'ab' | 'ba', frame: Uint8Array) => Uint8Array | undefined;
}

interface InFlight {
  at: number;
  seq: number;
  to: NetStack;
  frame: Uint8Array;
}

export class Link {
  readonly a: NetStack;
  readonly b: NetStack;
  now = 0;
  private readonly queue: InFlight[] = [];
  private seq = 0;
  private readonly busyUntil = new Map<NetStack, number>();
  private readonly held = new Map<NetStack, InFlight | undefined>();
  private readonly random: () => number;
  readonly apps = new Map<NetStack, App[]>();
  counts = { frames: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0 };

  constructor(private readonly o: LinkOptions = {}) {
    this.a = new NetStack({ mac: A_MAC, ip: A_IP, cpuHz: HZ, secret: 1 });
    this.b = new NetStack({ mac: B_MAC, ip: B_IP, cpuHz: HZ, secret: 2, tcp: o.tcpB });
    this.random = seeded(o.seed ?? 7);
    this.apps.set(this.a, []);
    this.apps.set(this.b, []);
  }

  add(stack: NetStack, app: App): void {
    this.apps.get(stack)!.push(app);
  }

  private other(s: NetStack): NetStack {
    return s === this.a ? this.b : this.a;
  }

  private send(from: NetStack, frame: Uint8Array): void {
    const f = this.o.faults ?? {};
    const bits = (frame.length + OVERHEAD_BYTES) * 8;
    const slot = Math.ceil((bits * HZ) / (this.o.bitsPerSecond ?? 100e6));
    const start = Math.max(this.now, this.busyUntil.get(from) ?? 0);
    this.busyUntil.set(from, start + slot);
    this.counts.frames++;
    const tapped = this.o.tap?.(from === this.a ? 'ab' : 'ba', frame) ?? frame;
    if (this.random() < (f.loss ?? 0)) return void this.counts.lost++;
    let bytes = tapped.slice();
    if (this.random() < (f.corrupt ?? 0)) {
      this.counts.corrupted++;
      const i = Math.floor(this.random() * bytes.length);
      bytes[i] ^= 1 << Math.floor(this.random() * 8);
    }
    const item: InFlight = { at: start + slot + (this.o.delayCycles ?? 1330), seq: this.seq++, to: this.other(from), frame: bytes };
    if (this.random() < (f.reorder ?? 0) && !this.held.get(from)) {
      this.counts.reordered++;
      this.held.set(from, item); // goes after the sender's next frame
      return;
    }
    this.push(item);
    const h = this.held.get(from);
    if (h) {
      this.held.set(from, undefined);
      this.push({ ...h, at: item.at + 1, seq: this.seq++ });
    }
    if (this.random() < (f.duplicate ?? 0)) {
      this.counts.duplicated++;
      this.push({ ...item, at: item.at + slot, seq: this.seq++, frame: bytes.slice() });
    }
  }

  private push(i: InFlight): void {
    this.queue.push(i);
    this.queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
  }

  /** Poll both sides' applications and send what the stacks have. */
  private step(s: NetStack): void {
    s.tick(this.now);
    for (const app of this.apps.get(s)!) app.advance();
    for (const f of s.takeFrames()) this.send(s, f);
  }

  /** Run until `end` cycles or until `done()` holds. */
  run(end: number, done: () => boolean = () => false): void {
    this.step(this.a);
    this.step(this.b);
    while (this.now < end && !done()) {
      const timers = [this.a, this.b].map((s) => nextDue(s, this.apps.get(s)!));
      const next = earliest([this.queue[0]?.at, ...timers]);
      if (next === undefined) break;
      this.now = Math.max(this.now, Math.min(end, next));
      if (this.now >= end) break;
      while (this.queue.length > 0 && this.queue[0]!.at <= this.now) {
        const i = this.queue.shift()!;
        i.to.input(i.frame, this.now);
        this.step(i.to);
      }
      for (const [s, t] of [[this.a, timers[0]], [this.b, timers[1]]] as const) if (t !== undefined && t <= this.now) this.step(s);
      // Held (reordered) frames whose sender went quiet go out after a while.
      for (const [from, h] of this.held) {
        if (h && this.now - h.at > 10_000) {
          this.held.set(from, undefined);
          this.push({ ...h, at: this.now + 1, seq: this.seq++ });
        }
      }
    }
  }
}
