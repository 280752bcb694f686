// Test rig for the card: a machine, a wire, the card on it and a frame source, plus the
// port I/O shapes the driver sequences use (timed through the CPU, or untimed).

import { Machine } from '../../emulator/machine/machine.js';
import { attachCard, createWire } from '../../devices/attach.js';
import { buildFrame, parseMac } from '../../devices/frame.js';
import type { Ne2kCard } from '../../devices/ne2k/card.js';
import { FrameSource } from '../../devices/peers/source.js';
import type { FaultRates } from '../../devices/wire/faults.js';
import type { Wire } from '../../devices/wire/wire.js';

export const CARD_MAC = parseMac('02:52:4c:00:00:01');
export const PEER_MAC = parseMac('02:00:00:00:00:99');
export const IO = 0x300;

export interface Rig {
  machine: Machine;
  wire: Wire;
  card: Ne2kCard;
  source: FrameSource;
}

export function rig(opts: { bitRate?: number; faults?: FaultRates; seed?: number; traceKeep?: number; iommu?: boolean } = {}): Rig {
  const machine = new Machine({ seed: opts.seed ?? 1, traceKeep: opts.traceKeep ?? 0, iommu: opts.iommu ?? false });
  const wire = createWire(machine, { bitRate: opts.bitRate, faults: opts.faults });
  const card = attachCard(machine, wire, { mac: CARD_MAC });
  const source = new FrameSource(wire);
  return { machine, wire, card, source };
}

/** Byte-wide and word-wide port access, as a driver does it. */
export interface PortIo {
  inb(port: number): number;
  outb(port: number, v: number): void;
  inw(port: number): number;
  outw(port: number, v: number): void;
}

/** Port I/O through the CPU: each access is charged and catches the devices up first. */
export function cpuIo(m: Machine): PortIo {
  return {
    inb: (p) => m.cpu.in(p, 1),
    outb: (p, v) => m.cpu.out(p, v, 1),
    inw: (p) => m.cpu.in(p, 2),
    outw: (p, v) => m.cpu.out(p, v, 2),
  };
}

/** A frame from the peer to `dst` with a recognisable payload. */
export function testFrame(dst: Uint8Array, length: number, tag = 0): Uint8Array {
  const payload = new Uint8Array(length - 14);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + tag) & 0xff;
  return buildFrame(dst, PEER_MAC, 0x88b5, payload); // 0x88b5: IEEE 802 local experimental EtherType
}
