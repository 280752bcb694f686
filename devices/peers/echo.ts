// The built-in echo peer: reflects every good frame it hears back onto the wire with the
// source and destination addresses swapped. Frames with a bad FCS are dropped, as any
// receiving NIC would.

import { FCS_BYTES, swapAddresses } from '../frame.js';
import type { Reception } from '../wire/reception.js';
import type { Wire, WireEndpoint, WirePort } from '../wire/wire.js';

export class EchoPeer implements WireEndpoint {
  readonly port: WirePort;
  echoed = 0;
  dropped = 0;

  constructor(
    wire: Wire,
    readonly name = 'echo',
  ) {
    this.port = wire.attach(this);
  }

  frame(bytes: Uint8Array, rx: Reception): void {
    if (!rx.fcsOk()) {
      this.dropped++;
      return;
    }
    this.echoed++;
    this.port.send(swapAddresses(bytes.subarray(0, bytes.length - FCS_BYTES)));
  }
}
