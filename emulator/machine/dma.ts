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

interface Transfer {
  readonly master: string;
  readonly write: boolean;
  readonly bus: number;
  readonly data: Uint8Array;
  offset: number;
  readonly done: ((r: DmaResult) => void) | undefined;
  cancelled: boolean;
}

export class DmaEngine {
  readonly observers = new Set<DmaObserver>();
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
    return this.enqueue({ master, write: true, bus, data, offset: 0, done, cancelled: false });
  }

  /** Read `length` bytes from bus address `bus`; memory is sampled as each beat lands. */
  read(master: string, bus: number, length: number, done: (r: DmaResult) => void): { cancel(): void } {
    return this.enqueue({ master, write: false, bus, data: new Uint8Array(length), offset: 0, done, cancelled: false });
  }

  get idle(): boolean {
    return !this.busy && this.waiting.length === 0;
  }

  private enqueue(t: Transfer): { cancel(): void } {
    if (!Number.isSafeInteger(t.bus) || t.bus < 0) throw new RangeError(`${t.master}: bad DMA bus address ${t.bus}`);
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
    const start = this.clock.now;
    const addr = t.bus + t.offset;
    const beats = this.burstBeats(addr, t.data.length - t.offset);
    const pageLeft = FRAME_SIZE - (addr % FRAME_SIZE);
    const firstPhase = start + (tm.arbitrationClocks + tm.addressClocks) * tm.cpuCyclesPerPciClock;
    let beatAddr = addr;
    for (let j = 0; j < beats; j++) {
      const aligned = beatAddr - (beatAddr % BEAT_BYTES);
      const end = Math.min(aligned + BEAT_BYTES, t.bus + t.data.length, addr + pageLeft);
      const from = beatAddr;
      const last = j === beats - 1;
      this.events.post(firstPhase + (j + 1) * tm.cpuCyclesPerPciClock, () => this.beat(t!, from, end - from, last));
      beatAddr = end;
    }
  }

  private beat(t: Transfer, bus: number, length: number, lastOfBurst: boolean): void {
    if (t.cancelled || t.offset < 0) {
      if (lastOfBurst) this.afterBurst(t);
      return;
    }
    const phys = this.iommu.translate(bus, t.write);
    let error: DmaError | undefined;
    if (phys === IOMMU_FAULT) error = 'iommu-fault';
    else if (!this.memory.contains(phys, length)) error = 'master-abort';
    const cycle = this.clock.now;
    if (error === undefined) {
      const mem = this.memory.bytes;
      if (t.write) mem.set(t.data.subarray(t.offset, t.offset + length), phys);
      else t.data.set(mem.subarray(phys, phys + length), t.offset);
      t.offset += length;
      this.beats++;
      this.bytes += length;
      this.trace.record(cycle, this.beatKind, phys, t.write ? length | 0x100 : length);
    } else {
      this.trace.record(cycle, this.errorKind, bus, error === 'iommu-fault' ? 1 : 0);
    }
    if (this.observers.size > 0) {
      const ev: DmaBeat = { cycle, master: t.master, write: t.write, bus, phys: error ? -1 : phys, length, error };
      for (const o of this.observers) o(ev);
    }
    if (error !== undefined) {
      const transferred = t.offset;
      t.offset = -1; // dead: the burst's remaining beats are skipped
      t.done?.(this.result(t, error, transferred));
    }
    if (lastOfBurst) this.afterBurst(t);
  }

  private afterBurst(t: Transfer): void {
    if (!t.cancelled && t.offset >= 0) {
      if (t.offset < t.data.length) this.waiting.push(t);
      else t.done?.(this.result(t, undefined));
    }
    this.startBurst();
  }

  private result(t: Transfer, error: DmaError | undefined, transferred = t.offset): DmaResult {
    return { ok: error === undefined, error, transferred, data: t.data, cycle: this.clock.now };
  }
}
