// The four rings of a session, seen from one side. The driver consumes TX_SUBMIT and RX_FILL
// and produces TX_DONE and RX_DELIVER; the stack the opposite. `base` is where that side
// maps the control page.

import { RX_DELIVER, RX_FILL, TX_DONE, TX_SUBMIT } from './layout.js';
import type { SharedMemory } from './memory.js';
import { RingReader, RingWriter } from './ring.js';

export interface DriverRings {
  readonly txSubmit: RingReader;
  readonly txDone: RingWriter;
  readonly fill: RingReader;
  readonly deliver: RingWriter;
}

export interface StackRings {
  readonly txSubmit: RingWriter;
  readonly txDone: RingReader;
  readonly fill: RingWriter;
  readonly deliver: RingReader;
}

export function driverRings(mem: SharedMemory, base: number, size: number): DriverRings {
  return {
    txSubmit: new RingReader(mem, base, TX_SUBMIT, size),
    txDone: new RingWriter(mem, base, TX_DONE, size),
    fill: new RingReader(mem, base, RX_FILL, size),
    deliver: new RingWriter(mem, base, RX_DELIVER, size),
  };
}

export function stackRings(mem: SharedMemory, base: number, size: number): StackRings {
  return {
    txSubmit: new RingWriter(mem, base, TX_SUBMIT, size),
    txDone: new RingReader(mem, base, TX_DONE, size),
    fill: new RingWriter(mem, base, RX_FILL, size),
    deliver: new RingReader(mem, base, RX_DELIVER, size),
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ driverRings, stackRings });
