// The Ethernet segment: joins the card and peers. Every attached endpoint has its own
// transmitter (full duplex: sending never waits for another endpoint), which serializes
// its frames with preamble, SFD and inter-frame gap at the wire's bit rate, exactly and
// without drift (see timing.ts). Every other endpoint hears each frame: a streaming
// receiver (the card) is told at the preamble and reads the bytes as they arrive; a
// whole-frame receiver (peers, the pcap writer) gets the frame when its last byte arrived.
// Faults (faults.ts) are decided once per frame handed to the wire.

import type { EventSource } from '../../emulator/machine/clock.js';
import { checkFrame, FCS_BYTES, FrameError, putFcs } from '../frame.js';
import { Faults, type FaultDecision, type FaultRates, type RandomStreams } from './faults.js';
import { Reception } from './reception.js';
import { IFG_BYTES, PREAMBLE_BYTES, WireTiming } from './timing.js';

export const MBIT_10 = 10_000_000;
export const MBIT_100 = 100_000_000;

/**
 * How long a reordered frame waits for the sender's next frame before it goes anyway: 1 ms,
 * long enough for any sender that streams to queue its next frame (a chosen figure, not a
 * hardware one), converted to cycles at the wire's configured CPU clock.
 */
const REORDER_HOLD_MICROS = 1000;

export interface WireEndpoint {
  readonly name: string;
  /** A streaming receiver: called at the start of the preamble of every frame it hears. */
  frameStart?(rx: Reception): void;
  /** A whole-frame receiver: called when the last byte arrived; `bytes` is frame + FCS as received. */
  frame?(bytes: Uint8Array, rx: Reception): void;
}

export interface WireOptions {
  cpuHz: number;
  /** Bits per second: 10 or 100 Mbit/s (default 100). */
  bitRate?: number;
  events: EventSource;
  random?: RandomStreams;
  faults?: FaultRates;
}

/** Hooks of one transmission, for a sender that streams its frame (the card). */
export interface TransmitHooks {
  /** The preamble starts: `rx` tells when each byte must be present in the buffer. */
  started?(rx: Reception): void;
  /** The last FCS byte has left the wire. */
  done?(rx: Reception): void;
  /** The sender computed the FCS over the final bytes: receivers need not check it again. */
  fcsGood?: boolean;
}

interface Pending {
  bytes: Uint8Array;
  length: number;
  hooks: TransmitHooks | undefined;
  fault: FaultDecision;
  fcsGood: boolean;
}

/** An endpoint's attachment: its transmitter. */
export class WirePort {
  /** Frames and bytes this port has put on the wire. */
  framesSent = 0;
  private origin = 0;
  private pos = 0;
  private active = false;
  private readonly queue: Pending[] = [];
  private held: Pending | undefined;

  constructor(
    readonly wire: Wire,
    readonly endpoint: WireEndpoint,
  ) {}

  /** Send a complete frame (60–1514 bytes, no FCS); the wire appends the FCS. `done` is called when it has left the wire. */
  send(frame: Uint8Array, done?: () => void): void {
    checkFrame(frame, `${this.endpoint.name}: send`);
    const bytes = new Uint8Array(frame.length + FCS_BYTES);
    bytes.set(frame);
    putFcs(bytes, frame.length);
    this.transmit(bytes, bytes.length, { fcsGood: true, done });
  }

  /**
   * Send `length` wire bytes (frame + FCS) from `bytes`, which the sender may still be filling:
   * byte j must be present by rx.arrival(j) (the card streams its transmit FIFO this way).
   */
  transmit(bytes: Uint8Array, length: number, hooks?: TransmitHooks): void {
    if (!(bytes instanceof Uint8Array)) throw new FrameError(`${this.endpoint.name}: transmit needs a Uint8Array`);
    const frameLen = length - FCS_BYTES;
    if (!Number.isInteger(length) || frameLen < 60 || frameLen > 1514 || length > bytes.length) {
      throw new FrameError(`${this.endpoint.name}: transmit of ${length} wire bytes: a frame is 64–1518 bytes including the FCS`);
    }
    const p: Pending = { bytes, length, hooks, fault: this.wire.faults.decide(length), fcsGood: hooks?.fcsGood === true };
    if (p.fault.reorder && !this.held) {
      this.held = p;
      this.wire.events.after(this.wire.reorderHoldCycles, () => this.release(p));
      return;
    }
    this.enqueue(p);
    if (this.held) this.release(this.held);
  }

  private release(p: Pending): void {
    if (this.held !== p) return;
    this.held = undefined;
    this.enqueue(p);
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (p.fault.duplicate) this.queue.push({ ...p, hooks: undefined, fault: { ...p.fault, duplicate: false } });
    if (!this.active) this.startNext();
  }

  /** Frames waiting behind the one on the wire. */
  get queued(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.active;
  }

  private startNext(): void {
    const p = this.queue.shift();
    if (!p) return;
    const wire = this.wire;
    const now = wire.events.clock.now;
    // Back to back frames keep the transmitter's origin, so their timing never drifts;
    // after an idle gap the transmitter restarts its count at the current cycle.
    if (now >= this.origin + wire.timing.cycles(this.pos)) {
      this.origin = now;
      this.pos = 0;
    }
    const rx = new Reception(p.bytes, p.length, wire.timing, this.origin, this.pos, p.fault.flipAt, p.fault.flipMask, p.fcsGood);
    this.pos += PREAMBLE_BYTES + p.length + IFG_BYTES;
    this.active = true;
    wire.events.at(rx.start, () => {
      p.hooks?.started?.(rx);
      if (!p.fault.lose) wire.deliverStart(this, rx);
    });
    wire.events.at(rx.end, () => {
      this.framesSent++;
      if (!p.fault.lose) wire.deliverFrame(this, rx);
      p.hooks?.done?.(rx);
      this.active = false;
      this.startNext();
    });
  }
}

export class Wire {
  readonly timing: WireTiming;
  readonly events: EventSource;
  readonly faults: Faults;
  /** REORDER_HOLD_MICROS in cycles at this wire's CPU clock. */
  readonly reorderHoldCycles: number;
  private readonly ports: WirePort[] = [];

  constructor(opts: WireOptions) {
    const bitRate = opts.bitRate ?? MBIT_100;
    this.timing = new WireTiming(opts.cpuHz, bitRate);
    this.events = opts.events;
    this.faults = new Faults(opts.faults ?? {}, opts.random, 'wire');
    this.reorderHoldCycles = Math.floor((opts.cpuHz * REORDER_HOLD_MICROS) / 1_000_000);
  }

  get bitRate(): number {
    return this.timing.bitRate;
  }

  attach(endpoint: WireEndpoint): WirePort {
    if (this.ports.some((p) => p.endpoint.name === endpoint.name)) throw new Error(`wire: an endpoint named '${endpoint.name}' is already attached`);
    const port = new WirePort(this, endpoint);
    this.ports.push(port);
    return port;
  }

  detach(port: WirePort): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
  }

  /** Cycles one frame of `frameBytes` (without FCS) occupies the wire, preamble and gap included, from an idle start. */
  frameSlot(frameBytes: number): number {
    return this.timing.cycles(PREAMBLE_BYTES + frameBytes + FCS_BYTES + IFG_BYTES);
  }

  deliverStart(from: WirePort, rx: Reception): void {
    for (const p of this.ports) if (p !== from) p.endpoint.frameStart?.(rx);
  }

  deliverFrame(from: WirePort, rx: Reception): void {
    let bytes: Uint8Array | undefined;
    for (const p of this.ports) {
      if (p === from || !p.endpoint.frame) continue;
      bytes ??= rx.read(0, rx.length);
      p.endpoint.frame(bytes, rx);
    }
  }
}
