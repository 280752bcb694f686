// The PCI bus-master DMA engine. A device asks to write or read N bytes at a bus address;
// the engine moves them as timed bursts (HARDWARE.md §3.2): each burst is arbitration
// (2 PCI clocks) + address phase (1) + up to 16 data phases of 4 bytes, one PCI clock being
// 4 CPU cycles by default. Every data phase ("beat") is its own clock event, so a beat due
// at cycle t lands between the CPU accesses before and after t, and observers see each one.
//
// Bursts never cross a 4 KiB bus page (so an IOMMU translates each burst once and a master
// never streams across a page it was not given). When several transfers wait, the bus is
// re-arbitrated after every burst, round-robin in the order the transfers were requested.
// A beat whose address is not RAM ends the transfer in master abort; one the IOMMU refuses
// ends it in an IOMMU fault. Either way nothing more of that transfer is written.

import type { Clock, EventSource } from './clock.js';
import type { Iommu } from './iommu.js';
import { IOMMU_FAULT } from './iommu.js';
import { FRAME_SIZE, type PhysicalMemory } from './memory.js';
import type { Trace } from './trace.js';

export interface DmaTiming {
  /** CPU cycles per PCI clock (133 MHz CPU / 33.3 MHz PCI = 4). */
  cpuCyclesPerPciClock: number;
  /** PCI clocks of bus arbitration before a burst (HARDWARE.md §3.2). */
  arbitrationClocks: number;
  /** PCI clocks of the address phase. */
  addressClocks: number;
  /** Data phases per burst at most. */
  maxBurstBeats: number;
}

export const DEFAULT_DMA_TIMING: Readonly<DmaTiming> = Object.freeze({
  cpuCyclesPerPciClock: 4,
  arbitrationClocks: 2,
  addressClocks: 1,
  maxBurstBeats: 16,
});

const BEAT_BYTES = 4;

export type DmaError = 'master-abort' | 'iommu-fault';

export interface DmaBeat {
  readonly cycle: number;
  readonly master: string;
  readonly write: boolean;
  readonly bus: number;
  /** Physical address the beat reached, or -1 when it did not reach memory. */
  readonly phys: number;
  readonly length: number;
  readonly error: DmaError | undefined;
}

export interface DmaResult {
  readonly ok: boolean;
  readonly error: DmaError | undefined;
  /** Bytes actually transferred before completion or the error. */
  readonly transferred: number;
  /** For reads: the bytes read (zeros past `transferred`). */
  readonly data: Uint8Array;
  /** Cycle of the last beat. */
  readonly cycle: number;
}

export type DmaObserver = (beat: DmaBeat) => void;

/** Told of every byte range a beat moved, before observers: the CPU cache's bus snooping. */
export type DmaSnoop = (phys: number, length: number, write: boolean) => void;

interface Transfer {
  readonly master: string;
  readonly write: boolean;
  readonly bus: number;
  readonly data: Uint8Array;
  /** Bytes transferred so far; -1 once the transfer died of a bus error. */
  offset: number;
  readonly done: ((r: DmaResult) => void) | undefined;
  cancelled: boolean;
  /** Beats left in the current burst, and the end of the burst's page. */
  burstLeft: number;
  pageEnd: number;
  /** The transfer's beat handler, made once: beats chain one event to the next. */
  step: () => void;
}

export class DmaEngine {
  readonly observers = new Set<DmaObserver>();
  snoop: DmaSnoop | undefined;
  /** Beats performed since reset, and bytes moved. */
  beats = 0;
  bytes = 0;
  private readonly waiting: Transfer[] = [];
  private busy = false;
  private readonly beatKind: number;
  private readonly errorKind: number;

  constructor(
    private readonly events: EventSource,
    private readonly memory: PhysicalMemory,
    private readonly iommu: Iommu,
    private readonly trace: Trace,
    readonly timing: Readonly<DmaTiming> = DEFAULT_DMA_TIMING,
  ) {
    this.beatKind = trace.kind('dma.beat');
    this.errorKind = trace.kind('dma.error');
  }

  private get clock(): Clock {
    return this.events.clock;
  }

  /** Cycles a transfer of `length` bytes at `bus` takes on an idle bus. */
  duration(bus: number, length: number): number {
    const t = this.timing;
    let clocks = 0;
    let off = 0;
    while (off < length) {
      const beats = this.burstBeats(bus + off, length - off);
      clocks += t.arbitrationClocks + t.addressClocks + beats;
      off += this.burstBytes(bus + off, length - off, beats);
    }
    return clocks * t.cpuCyclesPerPciClock;
  }

  /** Write `data` to bus address `bus`. The bytes are read from `data` as each beat lands. */
  write(master: string, bus: number, data: Uint8Array, done?: (r: DmaResult) => void): { cancel(): void } {
    return this.enqueue(master, true, bus, data, done);
  }

  /** Read `length` bytes from bus address `bus`; memory is sampled as each beat lands. */
  read(master: string, bus: number, length: number, done: (r: DmaResult) => void): { cancel(): void } {
    return this.enqueue(master, false, bus, new Uint8Array(length), done);
  }

  get idle(): boolean {
    return !this.busy && this.waiting.length === 0;
  }

  private enqueue(master: string, write: boolean, bus: number, data: Uint8Array, done: ((r: DmaResult) => void) | undefined): { cancel(): void } {
    if (!Number.isSafeInteger(bus) || bus < 0) throw new RangeError(`${master}: bad DMA bus address ${bus}`);
    const t: Transfer = { master, write, bus, data, offset: 0, done, cancelled: false, burstLeft: 0, pageEnd: 0, step: () => this.beat(t) };
    if (t.data.length === 0) {
      this.events.after(0, () => t.done?.(this.result(t, undefined)));
    } else {
      this.waiting.push(t);
      if (!this.busy) this.startBurst();
    }
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Beats in the next burst: up to maxBurstBeats, never crossing a 4 KiB page. */
  private burstBeats(addr: number, remaining: number): number {
    const pageLeft = FRAME_SIZE - (addr % FRAME_SIZE);
    const bytes = Math.min(remaining, pageLeft);
    const lead = addr % BEAT_BYTES;
    const beats = Math.ceil((lead + bytes) / BEAT_BYTES);
    return Math.min(beats, this.timing.maxBurstBeats);
  }

  private burstBytes(addr: number, remaining: number, beats: number): number {
    const lead = addr % BEAT_BYTES;
    const pageLeft = FRAME_SIZE - (addr % FRAME_SIZE);
    return Math.min(remaining, pageLeft, beats * BEAT_BYTES - lead);
  }

  private startBurst(): void {
    let t = this.waiting.shift();
    while (t && t.cancelled) t = this.waiting.shift();
    if (!t) {
      this.busy = false;
      return;
    }
    this.busy = true;
    const tm = this.timing;
    const addr = t.bus + t.offset;
    t.burstLeft = this.burstBeats(addr, t.data.length - t.offset);
    t.pageEnd = addr - (addr % FRAME_SIZE) + FRAME_SIZE;
    const firstBeat = this.clock.now + (tm.arbitrationClocks + tm.addressClocks + 1) * tm.cpuCyclesPerPciClock;
    this.events.post(firstBeat, t.step);
  }

  /** One data phase of the current burst: up to 4 bytes, to the next 4-byte boundary. */
  private beat(t: Transfer): void {
    if (t.cancelled) {
      this.startBurst();
      return;
    }
    const bus = t.bus + t.offset;
    const end = Math.min(bus - (bus % BEAT_BYTES) + BEAT_BYTES, t.bus + t.data.length, t.pageEnd);
    const length = end - bus;
    const phys = this.iommu.translate(bus, t.write);
    let error: DmaError | undefined;
    if (phys === IOMMU_FAULT) error = 'iommu-fault';
    else if (!this.memory.contains(phys, length)) error = 'master-abort';
    const cycle = this.clock.now;
    if (error === undefined) {
      // Byte by byte (a beat is at most 4 bytes): a subarray for a typed-array copy would be
      // a new view object per beat, which costs ten times the loop.
      const mem = this.memory;
      const data = t.data;
      const off = t.offset;
      if (t.write) for (let i = 0; i < length; i++) mem.write8(phys + i, data[off + i]!);
      else for (let i = 0; i < length; i++) data[off + i] = mem.read8(phys + i);
      t.offset += length;
      this.beats++;
      this.bytes += length;
      this.snoop?.(phys, length, t.write);
      this.trace.record(cycle, this.beatKind, phys, t.write ? length | 0x100 : length);
    } else {
      this.trace.record(cycle, this.errorKind, bus, error === 'iommu-fault' ? 1 : 0);
    }
    if (this.observers.size > 0) {
      const ev: DmaBeat = { cycle, master: t.master, write: t.write, bus, phys: error ? -1 : phys, length, error };
      for (const o of this.observers) o(ev);
    }
    if (error !== undefined) {
      // A master abort or IOMMU fault ends the transaction at once and frees the bus.
      const transferred = t.offset;
      t.offset = -1;
      t.done?.(this.result(t, error, transferred));
      this.startBurst();
      return;
    }
    if (--t.burstLeft > 0) {
      this.events.post(cycle + this.timing.cpuCyclesPerPciClock, t.step);
      return;
    }
    if (t.offset < t.data.length) this.waiting.push(t);
    else t.done?.(this.result(t, undefined));
    this.startBurst();
  }

  private result(t: Transfer, error: DmaError | undefined, transferred = t.offset): DmaResult {
    return { ok: error === undefined, error, transferred, data: t.data, cycle: this.clock.now };
  }
}
