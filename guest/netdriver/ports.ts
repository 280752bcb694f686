// Port I/O to the card through the driver's device privilege (each IN/OUT is a capability
// invocation: the kernel checks the port is in the card's range).

import type { DomainContext, GuestCode, Slot } from '../kernel/api/context.js';

export class CardPorts {
  constructor(
    private readonly ctx: DomainContext,
    private readonly devpriv: Slot,
    readonly base: number,
  ) {}

  *out(reg: number, value: number, width: 1 | 2 | 4 = 1): GuestCode {
    const r = yield* this.ctx.invoke(this.devpriv, 'out', { port: this.base + reg, value: value >>> 0, width });
    if (!r.ok) throw new Error(`driver: OUT to port 0x${(this.base + reg).toString(16)} refused: ${r.error}`);
  }

  *in(reg: number, width: 1 | 2 | 4 = 1): GuestCode<number> {
    const r = yield* this.ctx.invoke(this.devpriv, 'in', { port: this.base + reg, width });
    if (!r.ok) throw new Error(`driver: IN from port 0x${(this.base + reg).toString(16)} refused: ${r.error}`);
    return r.value;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ CardPorts });
