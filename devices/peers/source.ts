// A frame source for tests and benchmarks: sends given frames, or a stream of frames back
// to back at line rate (the next frame is queued as each one starts, so the transmitter
// never idles), and records every good frame it hears.

import { checkFrame, FCS_BYTES, putFcs } from '../frame.js';
import type { Reception } from '../wire/reception.js';
import type { Wire, WireEndpoint, WirePort } from '../wire/wire.js';

export interface HeardFrame {
  /** Frame without FCS. */
  readonly frame: Uint8Array;
  /** Cycle at which its last byte arrived. */
  readonly cycle: number;
}

export class FrameSource implements WireEndpoint {
  readonly port: WirePort;
  readonly heard: HeardFrame[] = [];
  badFcs = 0;
  /** Frames handed to the wire by sendAtLineRate. */
  streamed = 0;

  constructor(
    wire: Wire,
    readonly name = 'source',
  ) {
    this.port = wire.attach(this);
  }

  send(frame: Uint8Array): void {
    this.port.send(frame);
  }

  /** Send `count` frames (make(i) builds frame i) back to back, with only the inter-frame gap between them. */
  sendAtLineRate(count: number, make: (i: number) => Uint8Array): void {
    let i = 0;
    const next = () => {
      if (i >= count) return;
      const frame = make(i++);
      this.streamed++;
      this.port.transmit(withFcsCopy(frame), frame.length + FCS_BYTES, { started: next, fcsGood: true });
    };
    next();
    next(); // one on the wire, one queued behind it
  }

  frame(bytes: Uint8Array, rx: Reception): void {
    if (!rx.fcsOk()) {
      this.badFcs++;
      return;
    }
    this.heard.push({ frame: bytes.slice(0, bytes.length - FCS_BYTES), cycle: rx.end });
  }
}

function withFcsCopy(frame: Uint8Array): Uint8Array {
  checkFrame(frame, 'source');
  const b = new Uint8Array(frame.length + FCS_BYTES);
  b.set(frame);
  putFcs(b, frame.length);
  return b;
}
