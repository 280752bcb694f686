// The memory a session's rings live in, as the ring code sees it: 32-bit loads and stores at
// virtual addresses, each a preemption point (generators, as in the domain context). In the
// running system this is the domain context (the driver's or the stack's own mapping of the
// shared control page, where a revoked page throws a fault); in unit tests it is a ByteMemory
// over a plain Uint8Array, which never yields.

import type { GuestCode } from '../kernel/api/context.js';

export interface SharedMemory {
  load32(va: number): GuestCode<number>;
  store32(va: number, v: number): GuestCode;
}

/** A fault from ByteMemory: the address is outside the bytes it was given. */
export class ByteMemoryFault extends Error {
  override name = 'ByteMemoryFault';
}

/** SharedMemory over `bytes`, which appear at virtual address `base` (little-endian, like x86). */
export class ByteMemory implements SharedMemory {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private offset(va: number): number {
    const off = va - this.base;
    if (!Number.isInteger(va) || off < 0 || off + 4 > this.bytes.length) throw new ByteMemoryFault(`address 0x${va.toString(16)} is outside this memory`);
    return off;
  }

  *load32(va: number): GuestCode<number> {
    return this.view.getUint32(this.offset(va), true);
  }

  *store32(va: number, v: number): GuestCode {
    this.view.setUint32(this.offset(va), v >>> 0, true);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ByteMemoryFault, ByteMemory });
