// The bus-master extension (HARDWARE.md §3.2, page 3): receive and transmit descriptor
// rings in host memory, moved by the card itself through the machine's DMA engine.
//
// Descriptors are read ownership first (readDescriptor): the status word, then the address
// and length only if OWN is set, so one the driver fills as the card reads it is never torn.
//
// Receive: when a frame passes the address filter the card reads the descriptor at RDH; if
// it owns it, the frame is written into the descriptor's buffer in bursts *as its bytes
// arrive from the wire* (one burst each time the FIFO holds a burst's worth, or at the end
// of the frame), then the status word is written with OWN clear and RDH advances. No owned
// descriptor: receive unavailable, the frame is missed (CNTR2). The FCS is stored with the
// frame, as in the DP8390 ring, and counted in the length.
//
// Transmit: a frame is the run of descriptors from start-of-frame to end-of-frame; the
// card reads the fragments by DMA in bursts through a small FIFO (TX_FIFO_BYTES) as the
// wire consumes them: the next burst is read only once the wire has drained room for it.
// The frame starts once its first burst is in the FIFO; a burst that lands after its bytes
// were due is a FIFO underrun (TSR.FU, the frame goes out with a bad FCS).
//
// A master abort or IOMMU fault on a data buffer ends that frame with the error bit in its
// descriptor and BMSR.BE; one on a descriptor is fatal: the engine stops (BMCR enable bits
// clear) until the driver re-enables it. Writing RDLEN / TDLEN resets RDH / TDH to 0.
//
// Ring registers the driver got wrong: bits 3:0 of RDBA / TDBA are hardwired to zero (the
// rings are 16-byte aligned, HARDWARE.md §3.2; writes ignore those bits and reads return
// 0, as Tulip-class cards ignore the low bits of their list base registers). An RDLEN or
// TDLEN that is not a power of two in 1–128 when the card must advance RDH / TDH (the driver
// rewrote it mid-frame) is treated like a fatal descriptor error: that engine stops with
// BMSR.BE, and the frame in progress is abandoned without a status write (its descriptors
// keep OWN).

import type { DmaResult } from '../../emulator/machine/dma.js';
import type { ScheduledEvent } from '../../emulator/machine/clock.js';
import { ETH_MAX_FRAME, ETH_MIN_FRAME, FCS_BYTES, MULTICAST_BIT, putFcs } from '../frame.js';
import { Reception, type ReceptionState } from '../wire/reception.js';
import type { Ne2kCard } from './card.js';
import * as R from './registers.js';

/** Bytes per DMA burst: 16 data phases of 4 bytes (HARDWARE.md §3.2). */
export const BURST_BYTES = 64;

/**
 * The transmit FIFO between the DMA reads and the wire: two bursts. That is the smallest
 * FIFO in which the next burst can be fetched while the previous one drains to the wire;
 * with one burst of room a read could start only when the FIFO ran empty, an underrun every
 * time. (The DP8390's own FIFO is 16 bytes, but it is fed from on-board buffer memory, not
 * across a shared PCI bus.) The card reads chunk k+1 only when the wire has drained enough
 * of the FIFO for it to fit, so what leaves is memory as it was shortly before it is sent.
 */
export const TX_FIFO_BYTES = 2 * BURST_BYTES;

/** Descriptor rings are 16-byte aligned (HARDWARE.md §3.2): bits 3:0 of RDBA / TDBA read as 0. */
const RING_BASE_MASK = ~(R.DESC_BYTES - 1);

export interface BmRegs {
  rdba: number;
  rdlen: number;
  tdba: number;
  tdlen: number;
  bmcr: number;
  bmsr: number;
  rdh: number;
  tdh: number;
}

interface RxProgress {
  reception: Reception;
  phase: 'desc' | 'stream';
  desc: number;
  buf: number;
  cap: number;
  /** Frame bytes handed to the DMA engine so far. */
  sent: number;
  tooLong: boolean;
  inflight: number;
  finished: boolean;
  failed: boolean;
  event: ScheduledEvent | undefined;
  /** Callbacks made once per frame (not per burst). */
  onChunk: () => void;
  onWritten: (res: DmaResult) => void;
}

export interface BusMasterState {
  regs: BmRegs;
  rx: { reception: ReceptionState; desc: number; buf: number; cap: number; sent: number; tooLong: boolean } | undefined;
}

/** A transmit descriptor as the card fetched it: its ring index, the fragment's bus address and length. */
export interface TxFragment {
  readonly index: number;
  readonly addr: number;
  readonly length: number;
}

/** The receive descriptor a frame is streaming into: its bus address and the buffer address and capacity the card fetched from it. */
export interface RxFetched {
  readonly desc: number;
  readonly buf: number;
  readonly cap: number;
}

/** A bus-master transmission: its descriptors, then the frame streamed through the FIFO. */
interface TxProgress {
  fragments: TxFragment[];
  /** Frame bytes the fragments hold. */
  total: number;
  /** The frame as it goes on the wire (padded, FCS at frameLen), filled as chunks land. */
  bytes: Uint8Array;
  frameLen: number;
  /** The next byte to read: fragment index and offset in it. */
  frag: number;
  fragOff: number;
  /** Frame bytes read into the FIFO so far. */
  read: number;
  /** A chunk read is in flight (of chunkLen bytes). */
  reading: boolean;
  chunkLen: number;
  /** The event that issues the next read when the FIFO has room. */
  wake: ScheduledEvent | undefined;
  /** The frame's timing on the wire, once its preamble has started. */
  wireRx: Reception | undefined;
  onWire: boolean;
  underrun: boolean;
  failed: boolean;
  /** Callbacks made once per frame (not per chunk). */
  landed: (res: DmaResult) => void;
  woken: () => void;
}

/** A descriptor as the card read it: a bus error, not the card's, or its address and control words. */
type Descriptor = { ok: false; res: DmaResult } | { ok: true; owned: false } | { ok: true; owned: true; addr: number; ctrl: number };

const EMPTY = new Uint8Array(0);

function validLength(n: number): boolean {
  return n >= 1 && n <= R.MAX_DESCRIPTORS && (n & (n - 1)) === 0;
}

function le32(d: Uint8Array, o: number): number {
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

function bytes32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

export class BusMaster {
  regs: BmRegs = { rdba: 0, rdlen: 0, tdba: 0, tdlen: 0, bmcr: 0, bmsr: 0, rdh: 0, tdh: 0 };
  private rx: RxProgress | undefined;
  private tx: TxProgress | undefined;
  private readonly kinds;

  constructor(private readonly card: Ne2kCard) {
    const t = card.host.trace;
    this.kinds = { rx: t.kind('ne2k.bm.rx'), tx: t.kind('ne2k.bm.tx'), miss: t.kind('ne2k.bm.miss'), err: t.kind('ne2k.bm.error') };
  }

  private get master(): string {
    return this.card.name;
  }

  get rxEnabled(): boolean {
    return (this.regs.bmcr & R.BMCR_RXEN) !== 0;
  }

  get receiving(): boolean {
    return this.rx !== undefined;
  }

  // What the card is executing, read-only, for checks outside the machine (the composition's
  // per-transfer DMA check, DESIGN.md §6 item 1): the descriptor whose buffer its data beats go to.

  /** The receive descriptor whose buffer the frame's bytes are being written into, once fetched. */
  get rxExecuting(): RxFetched | undefined {
    const p = this.rx;
    return p && p.phase === 'stream' && !p.failed ? p : undefined;
  }

  /** The transmit descriptor whose fragment the card is reading now (a chunk read is in flight). */
  get txReading(): TxFragment | undefined {
    const t = this.tx;
    return t && t.reading ? t.fragments[t.frag] : undefined;
  }

  get interruptPending(): boolean {
    return (this.regs.bmcr & R.BMCR_IE) !== 0 && (this.regs.bmsr & (R.BMSR_RU | R.BMSR_TD | R.BMSR_RD | R.BMSR_BE)) !== 0;
  }

  // ---------------------------------------------------------------- registers

  regRead(off: number): number {
    const r = this.regs;
    if (off >= R.P3_RDBA0 && off < R.P3_RDBA0 + 4) return (r.rdba >>> (8 * (off - R.P3_RDBA0))) & 0xff;
    if (off >= R.P3_TDBA0 && off < R.P3_TDBA0 + 4) return (r.tdba >>> (8 * (off - R.P3_TDBA0))) & 0xff;
    switch (off) {
      case R.P3_RDLEN:
        return r.rdlen;
      case R.P3_TDLEN:
        return r.tdlen;
      case R.P3_BMCR:
        return r.bmcr;
      case R.P3_BMSR:
        return r.bmsr;
      case R.P3_RDH:
        return r.rdh;
      case R.P3_TDH:
        return r.tdh;
    }
    return 0;
  }

  regWrite(off: number, v: number): void {
    const r = this.regs;
    if (off >= R.P3_RDBA0 && off < R.P3_RDBA0 + 4) {
      const sh = 8 * (off - R.P3_RDBA0);
      r.rdba = (((r.rdba & ~(0xff << sh)) | (v << sh)) & RING_BASE_MASK) >>> 0;
      return;
    }
    if (off >= R.P3_TDBA0 && off < R.P3_TDBA0 + 4) {
      const sh = 8 * (off - R.P3_TDBA0);
      r.tdba = (((r.tdba & ~(0xff << sh)) | (v << sh)) & RING_BASE_MASK) >>> 0;
      return;
    }
    switch (off) {
      case R.P3_RDLEN:
        r.rdlen = v;
        r.rdh = 0;
        return;
      case R.P3_TDLEN:
        r.tdlen = v;
        r.tdh = 0;
        return;
      case R.P3_BMCR:
        r.bmcr = v & (R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE); // the poll-demand bits self-clear
        if (v & R.BMCR_TXPOLL) this.txPoll();
        this.card.updateIrq();
        return;
      case R.P3_BMSR:
        r.bmsr &= ~v;
        this.card.updateIrq();
        return;
    }
  }

  private raise(bits: number): void {
    this.regs.bmsr |= bits;
    this.card.updateIrq();
  }

  /** RDLEN / TDLEN was made invalid while the card was using the ring: that engine stops with BE. */
  private ringLengthError(what: 'rx' | 'tx'): void {
    this.card.host.trace.record(this.card.now, this.kinds.err, 1, 0, what === 'rx' ? 0 : 1);
    this.regs.bmcr &= ~(what === 'rx' ? R.BMCR_RXEN : R.BMCR_TXEN);
    this.raise(R.BMSR_BE);
  }

  /** A bus error; on a descriptor it is fatal and stops the engine. */
  private busError(fatal: boolean, what: string, r: DmaResult): void {
    this.card.host.trace.record(this.card.now, this.kinds.err, fatal ? 1 : 0, r.transferred, what === 'rx' ? 0 : 1);
    if (fatal) this.regs.bmcr &= ~(R.BMCR_RXEN | R.BMCR_TXEN);
    this.raise(R.BMSR_BE);
  }

  /**
   * Read the descriptor at bus address `desc` ownership first, as Tulip-class cards do: its
   * status word (one beat), then, only if the card owns it, the address and control words (two
   * beats). The driver writes OWN last and leaves the address and length of a descriptor the
   * card owns alone, so the second read gets what the driver put there. Read in one transfer,
   * word 0 first and the status after it (memory is sampled beat by beat), a descriptor the
   * driver fills while the card reads it came out torn: the address of the buffer it named
   * before, long unpinned, with the new length and OWN. `live` says whether the transfer the
   * read is for still matters (no second read otherwise).
   */
  private readDescriptor(desc: number, live: () => boolean, done: (d: Descriptor) => void): void {
    const dma = this.card.host.dma;
    dma.read(this.master, (desc + R.DESC_STATUS) >>> 0, 4, (status) => {
      if (!status.ok) return done({ ok: false, res: status });
      if (!(le32(status.data, 0) & R.STATUS_OWN)) return done({ ok: true, owned: false });
      if (!live()) return;
      dma.read(this.master, (desc + R.DESC_ADDR) >>> 0, R.DESC_STATUS - R.DESC_ADDR, (words) => {
        if (!words.ok) return done({ ok: false, res: words });
        done({ ok: true, owned: true, addr: le32(words.data, R.DESC_ADDR), ctrl: le32(words.data, R.DESC_CTRL) });
      });
    });
  }

  // ---------------------------------------------------------------- receive

  /** A frame passed the address filter while receive-into-host-rings is on. */
  receive(rx: Reception): void {
    const r = this.regs;
    if (!validLength(r.rdlen)) return this.unavailable(rx);
    const desc = (r.rdba + r.rdh * R.DESC_BYTES) >>> 0;
    const p = this.newRx(rx, desc);
    this.rx = p;
    this.readDescriptor(desc, () => this.rx === p, (d) => {
      if (this.rx !== p) return;
      if (!d.ok) {
        this.rx = undefined;
        return this.busError(true, 'rx', d.res);
      }
      if (!d.owned) {
        this.rx = undefined;
        return this.unavailable(rx);
      }
      p.buf = d.addr;
      p.cap = d.ctrl & R.CTRL_LEN_MASK;
      p.phase = 'stream';
      this.scheduleChunk(p);
    });
  }

  /** No descriptor owned by the card: the frame is missed. */
  private unavailable(rx: Reception): void {
    this.card.host.trace.record(this.card.now, this.kinds.miss, rx.length);
    this.regs.bmsr |= R.BMSR_RU;
    this.card.count(2);
    this.card.updateIrq();
  }

  private newRx(reception: Reception, desc: number): RxProgress {
    const p: RxProgress = {
      reception,
      phase: 'desc',
      desc,
      buf: 0,
      cap: 0,
      sent: 0,
      tooLong: false,
      inflight: 0,
      finished: false,
      failed: false,
      event: undefined,
      onChunk: () => this.chunk(p),
      onWritten: (res) => {
        p.inflight--;
        if (!res.ok) this.dataError(p, res);
        else this.maybeFinish(p);
      },
    };
    return p;
  }

  /** The end of the burst after p.sent: a FIFO's worth, or the end of the frame. */
  private chunkEnd(p: RxProgress): number {
    return Math.min(p.sent + BURST_BYTES, p.reception.length);
  }

  private scheduleChunk(p: RxProgress): void {
    const at = Math.max(this.card.now, p.reception.arrival(this.chunkEnd(p) - 1));
    p.event = this.card.host.events.at(at, p.onChunk);
  }

  /** The FIFO holds bytes [p.sent, end): burst them into the buffer. */
  private chunk(p: RxProgress): void {
    p.event = undefined;
    const end = this.chunkEnd(p);
    const n = Math.min(end, p.cap) - p.sent;
    if (n > 0) {
      p.inflight++;
      this.card.host.dma.write(this.master, (p.buf + p.sent) >>> 0, p.reception.view(p.sent, p.sent + n), p.onWritten);
    }
    if (end > p.cap) p.tooLong = true;
    p.sent = end;
    if (end < p.reception.length) this.scheduleChunk(p);
    else {
      p.finished = true;
      this.maybeFinish(p);
    }
  }

  private maybeFinish(p: RxProgress): void {
    if (!p.finished || p.inflight > 0 || p.failed || this.rx !== p) return;
    this.rx = undefined;
    const rx = p.reception;
    let rsr = rx.byte(0) & MULTICAST_BIT ? R.RSR_PHY : 0;
    if (!rx.fcsOk()) {
      this.card.count(1);
      this.card.setIsr(R.ISR_RXE);
      if (!(this.card.regs.rcr & R.RCR_SEP)) return; // dropped; the descriptor stays the card's
      rsr |= R.RSR_CRC;
    } else rsr |= R.RSR_PRX;
    const len = Math.min(rx.length, p.cap);
    if (!this.complete(p.desc, len | (rsr << R.STATUS_RSR_SHIFT) | (p.tooLong ? R.STATUS_ERR : 0), R.BMSR_RD)) return;
    this.card.totals.received++;
    this.card.host.trace.record(this.card.now, this.kinds.rx, rx.length, rsr, p.desc);
  }

  private dataError(p: RxProgress, res: DmaResult): void {
    if (p.failed) return;
    p.failed = true;
    if (p.event) p.event.cancelled = true;
    if (this.rx === p) this.rx = undefined;
    this.busError(false, 'rx', res);
    this.complete(p.desc, (p.sent & R.STATUS_LEN_MASK) | R.STATUS_ERR, 0);
  }

  /** Hand a receive descriptor back: status with OWN clear, advance RDH, then report `bits`. */
  private complete(desc: number, status: number, bits: number): boolean {
    const r = this.regs;
    if (!validLength(r.rdlen)) {
      this.ringLengthError('rx');
      return false;
    }
    r.rdh = (r.rdh + 1) % r.rdlen;
    this.card.host.dma.write(this.master, desc + R.DESC_STATUS, bytes32(status & ~R.STATUS_OWN), (res) => {
      if (!res.ok) this.busError(true, 'rx', res);
      else if (bits) this.raise(bits);
    });
    return true;
  }

  abortReception(): void {
    if (this.rx?.event) this.rx.event.cancelled = true;
    this.rx = undefined;
  }

  reset(): void {
    this.abortReception();
    this.abortTransmit();
    this.regs = { rdba: 0, rdlen: 0, tdba: 0, tdlen: 0, bmcr: 0, bmsr: 0, rdh: 0, tdh: 0 };
  }

  // ---------------------------------------------------------------- transmit

  private txPoll(): void {
    if (this.tx || !(this.regs.bmcr & R.BMCR_TXEN) || !validLength(this.regs.tdlen) || !this.card.started) return;
    const tx: TxProgress = {
      fragments: [],
      total: 0,
      bytes: EMPTY,
      frameLen: 0,
      frag: 0,
      fragOff: 0,
      read: 0,
      reading: false,
      chunkLen: 0,
      wake: undefined,
      wireRx: undefined,
      onWire: false,
      underrun: false,
      failed: false,
      landed: (res) => this.chunkLanded(tx, res),
      woken: () => {
        tx.wake = undefined;
        this.pump(tx);
      },
    };
    this.tx = tx;
    this.readTxDescriptor(tx, this.regs.tdh);
  }

  private readTxDescriptor(tx: TxProgress, index: number): void {
    const addr = (this.regs.tdba + index * R.DESC_BYTES) >>> 0;
    this.readDescriptor(addr, () => this.tx === tx, (d) => {
      if (this.tx !== tx) return;
      if (!d.ok) {
        this.tx = undefined;
        return this.busError(true, 'tx', d.res);
      }
      if (!d.owned) {
        // Nothing (more) to send: an incomplete frame waits for its remaining descriptors.
        this.tx = undefined;
        return;
      }
      if (!validLength(this.regs.tdlen)) {
        this.tx = undefined;
        return this.ringLengthError('tx');
      }
      const ctrl = d.ctrl;
      tx.fragments.push({ index, addr: d.addr, length: ctrl & R.CTRL_LEN_MASK });
      tx.total += ctrl & R.CTRL_LEN_MASK;
      if (ctrl & R.CTRL_EOF || tx.fragments.length >= this.regs.tdlen) this.sendFrame(tx);
      else this.readTxDescriptor(tx, (index + 1) % this.regs.tdlen);
    });
  }

  private sendFrame(tx: TxProgress): void {
    if (tx.total === 0 || tx.total > ETH_MAX_FRAME) return this.txDone(tx, R.TSR_ABT, true, false);
    tx.frameLen = Math.max(ETH_MIN_FRAME, tx.total);
    tx.bytes = new Uint8Array(tx.frameLen + FCS_BYTES);
    this.pump(tx);
  }

  /**
   * The next chunk of the frame: the rest of the current fragment, cut so that no chunk
   * crosses a burst boundary of the frame. Returns its length (0: every byte was read).
   */
  private nextChunk(tx: TxProgress): number {
    while (tx.frag < tx.fragments.length && tx.fragOff >= tx.fragments[tx.frag]!.length) {
      tx.frag++;
      tx.fragOff = 0;
    }
    if (tx.frag >= tx.fragments.length) return 0;
    return Math.min(tx.fragments[tx.frag]!.length - tx.fragOff, BURST_BYTES - (tx.read % BURST_BYTES));
  }

  /** Issue the next chunk's read once the FIFO has room for it (the wire drained enough). */
  private pump(tx: TxProgress): void {
    if (this.tx !== tx || tx.failed || tx.reading || tx.wake) return;
    const n = this.nextChunk(tx);
    if (n === 0) return;
    // Bytes that must have left the FIFO before this chunk fits in it.
    const drained = tx.read + n - TX_FIFO_BYTES;
    if (drained > 0) {
      if (!tx.wireRx) return; // the preamble has not started: `started` pumps again
      const at = tx.wireRx.arrival(drained - 1);
      if (at > this.card.now) {
        tx.wake = this.card.host.events.at(at, tx.woken);
        return;
      }
    }
    tx.reading = true;
    tx.chunkLen = n;
    this.card.host.dma.read(this.master, (tx.fragments[tx.frag]!.addr + tx.fragOff) >>> 0, n, tx.landed);
  }

  /** A chunk's read completed: its bytes, as memory held them at each beat, enter the FIFO. */
  private chunkLanded(tx: TxProgress, res: DmaResult): void {
    if (this.tx !== tx) return;
    tx.reading = false;
    if (!res.ok) {
      tx.failed = true;
      this.busError(false, 'tx', res);
      if (!tx.onWire) return this.txDone(tx, R.TSR_ABT, true, true);
      return this.finishFcs(tx);
    }
    const dst = tx.read;
    const n = tx.chunkLen;
    // Byte `dst` starts leaving once byte dst-1 has left: it must be in the FIFO by then.
    if (tx.wireRx && dst > 0 && this.card.now > tx.wireRx.arrival(dst - 1)) tx.underrun = true;
    tx.bytes.set(n === res.data.length ? res.data : res.data.subarray(0, n), dst);
    tx.read += n;
    tx.fragOff += n;
    if (tx.read === tx.total) this.finishFcs(tx);
    if (!tx.onWire) this.startWire(tx);
    this.pump(tx);
  }

  private finishFcs(tx: TxProgress): void {
    if (this.card.regs.tcr & R.TCR_CRC) return;
    putFcs(tx.bytes, tx.frameLen);
    if (tx.underrun || tx.failed) tx.bytes[tx.frameLen]! ^= 0xff; // a broken frame leaves with a bad FCS
  }

  /** The first chunk is in the FIFO: the frame goes on the wire. */
  private startWire(tx: TxProgress): void {
    tx.onWire = true;
    this.card.sendBytes(
      tx.bytes,
      tx.frameLen,
      () => {
        if (this.tx !== tx) return;
        const tsr = tx.failed ? R.TSR_ABT : tx.underrun ? R.TSR_PTX | R.TSR_FU : R.TSR_PTX;
        this.txDone(tx, tsr, tx.failed || tx.underrun, tx.failed);
      },
      {
        started: (rx) => {
          tx.wireRx = rx;
          this.pump(tx);
        },
      },
    );
  }

  /** The frame has left the wire (or was aborted): return its descriptors with status. */
  private txDone(tx: TxProgress, tsr: number, error: boolean, busError: boolean): void {
    const r = this.regs;
    if (!validLength(r.tdlen)) {
      this.tx = undefined;
      return this.ringLengthError('tx');
    }
    const fragments = tx.fragments;
    const last = fragments[fragments.length - 1]!;
    r.tdh = (last.index + 1) % r.tdlen;
    this.card.regs.tsr = tsr;
    const status = (tsr << R.STATUS_RSR_SHIFT) | (error ? R.STATUS_ERR : 0);
    let pending = fragments.length;
    for (const f of fragments) {
      this.card.host.dma.write(this.master, (r.tdba + f.index * R.DESC_BYTES + R.DESC_STATUS) >>> 0, bytes32((status | (f.length & R.STATUS_LEN_MASK)) & ~R.STATUS_OWN), (res) => {
        if (!res.ok) this.busError(true, 'tx', res);
        if (--pending > 0 || this.tx !== tx) return;
        this.tx = undefined;
        if (!error) this.card.totals.transmitted++;
        this.card.host.trace.record(this.card.now, this.kinds.tx, fragments.length, tsr);
        this.raise(R.BMSR_TD | (busError ? R.BMSR_BE : 0));
        this.txPoll(); // the next frame, if the driver queued one
      });
    }
  }

  private abortTransmit(): void {
    if (this.tx?.wake) this.tx.wake.cancelled = true;
    this.tx = undefined;
  }

  // ---------------------------------------------------------------- snapshot

  saveState(): BusMasterState {
    if (this.tx) throw new Error(`${this.card.name}: cannot save state while a bus-master transmission is in progress`);
    const p = this.rx;
    if (p && (p.phase !== 'stream' || p.inflight > 0)) throw new Error(`${this.card.name}: cannot save state while a DMA transfer is in flight (save between bursts)`);
    return {
      regs: { ...this.regs },
      rx: p && { reception: p.reception.saveState(), desc: p.desc, buf: p.buf, cap: p.cap, sent: p.sent, tooLong: p.tooLong },
    };
  }

  restoreState(s: BusMasterState): void {
    this.abortReception();
    this.abortTransmit();
    this.regs = { ...s.regs };
    if (s.rx) {
      const p = this.newRx(Reception.fromState(s.rx.reception), s.rx.desc);
      Object.assign(p, { phase: 'stream', buf: s.rx.buf, cap: s.rx.cap, sent: s.rx.sent, tooLong: s.rx.tooLong });
      this.rx = p;
      this.scheduleChunk(p);
    }
  }
}
