// The bus-master extension (HARDWARE.md §3.2, page 3): receive and transmit descriptor
// rings in host memory, moved by the card itself through the machine's DMA engine.
//
// Receive: when a frame passes the address filter the card reads the descriptor at RDH; if
// it owns it, the frame is written into the descriptor's buffer in bursts *as its bytes
// arrive from the wire* (one burst each time the FIFO holds a burst's worth, or at the end
// of the frame), then the status word is written with OWN clear and RDH advances. No owned
// descriptor: receive unavailable, the frame is missed (CNTR2). The FCS is stored with the
// frame, as in the DP8390 ring, and counted in the length.
//
// Transmit: a frame is the run of descriptors from start-of-frame to end-of-frame; the
// card reads the fragments by DMA in bursts while the wire sends, starting the frame once
// its first burst is in the FIFO; a burst that lands after its bytes were due is a FIFO
// underrun (TSR.FU, the frame goes out with a bad FCS).
//
// A master abort or IOMMU fault on a data buffer ends that frame with the error bit in its
// descriptor and BMSR.BE; one on a descriptor is fatal: the engine stops (BMCR enable bits
// clear) until the driver re-enables it. Writing RDLEN / TDLEN resets RDH / TDH to 0.

import type { DmaResult } from '../../emulator/machine/dma.js';
import type { ScheduledEvent } from '../../emulator/machine/clock.js';
import { ETH_MAX_FRAME, ETH_MIN_FRAME, FCS_BYTES, fcsOk, isMulticast, putFcs } from '../frame.js';
import { Reception, type ReceptionState } from '../wire/reception.js';
import type { Ne2kCard } from './card.js';
import * as R from './registers.js';

/** Bytes per DMA burst: 16 data phases of 4 bytes (HARDWARE.md §3.2). */
export const BURST_BYTES = 64;

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
}

export interface BusMasterState {
  regs: BmRegs;
  rx: { reception: ReceptionState; desc: number; buf: number; cap: number; sent: number; tooLong: boolean } | undefined;
}

interface TxFragment {
  index: number;
  addr: number;
  length: number;
}

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
  private tx: { fragments: TxFragment[]; total: number } | undefined;
  private txBusy = false;
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
      r.rdba = ((r.rdba & ~(0xff << sh)) | (v << sh)) >>> 0;
      return;
    }
    if (off >= R.P3_TDBA0 && off < R.P3_TDBA0 + 4) {
      const sh = 8 * (off - R.P3_TDBA0);
      r.tdba = ((r.tdba & ~(0xff << sh)) | (v << sh)) >>> 0;
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

  /** A bus error; on a descriptor it is fatal and stops the engine. */
  private busError(fatal: boolean, what: string, r: DmaResult): void {
    this.card.host.trace.record(this.card.now, this.kinds.err, fatal ? 1 : 0, r.transferred, what === 'rx' ? 0 : 1);
    if (fatal) this.regs.bmcr &= ~(R.BMCR_RXEN | R.BMCR_TXEN);
    this.raise(R.BMSR_BE);
  }

  // ---------------------------------------------------------------- receive

  /** A frame passed the address filter while receive-into-host-rings is on. */
  receive(rx: Reception): void {
    const r = this.regs;
    if (!validLength(r.rdlen)) return this.unavailable(rx);
    const desc = (r.rdba + r.rdh * R.DESC_BYTES) >>> 0;
    const p: RxProgress = { reception: rx, phase: 'desc', desc, buf: 0, cap: 0, sent: 0, tooLong: false, inflight: 0, finished: false, failed: false, event: undefined };
    this.rx = p;
    this.card.host.dma.read(this.master, desc, R.DESC_BYTES, (res) => {
      if (this.rx !== p) return;
      if (!res.ok) {
        this.rx = undefined;
        return this.busError(true, 'rx', res);
      }
      if (!(le32(res.data, R.DESC_STATUS) & R.STATUS_OWN)) {
        this.rx = undefined;
        return this.unavailable(rx);
      }
      p.buf = le32(res.data, R.DESC_ADDR);
      p.cap = le32(res.data, R.DESC_CTRL) & R.CTRL_LEN_MASK;
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

  private scheduleChunk(p: RxProgress): void {
    const end = Math.min(p.sent + BURST_BYTES, p.reception.length);
    const at = Math.max(this.card.now, p.reception.arrival(end - 1));
    p.event = this.card.host.events.at(at, () => this.chunk(p, end));
  }

  /** The FIFO holds bytes [p.sent, end): burst them into the buffer. */
  private chunk(p: RxProgress, end: number): void {
    p.event = undefined;
    const n = Math.min(end, p.cap) - p.sent;
    if (n > 0) {
      p.inflight++;
      this.card.host.dma.write(this.master, (p.buf + p.sent) >>> 0, p.reception.read(p.sent, p.sent + n), (res) => {
        p.inflight--;
        if (!res.ok) this.dataError(p, res);
        else this.maybeFinish(p);
      });
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
    const data = rx.read(0, rx.length);
    let rsr = isMulticast(data) ? R.RSR_PHY : 0;
    if (!fcsOk(data)) {
      this.card.count(1);
      this.card.setIsr(R.ISR_RXE);
      if (!(this.card.regs.rcr & R.RCR_SEP)) return; // dropped; the descriptor stays the card's
      rsr |= R.RSR_CRC;
    } else rsr |= R.RSR_PRX;
    const len = Math.min(rx.length, p.cap);
    this.complete(p.desc, len | (rsr << R.STATUS_RSR_SHIFT) | (p.tooLong ? R.STATUS_ERR : 0), R.BMSR_RD);
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
  private complete(desc: number, status: number, bits: number): void {
    const r = this.regs;
    r.rdh = (r.rdh + 1) % r.rdlen;
    this.card.host.dma.write(this.master, desc + R.DESC_STATUS, bytes32(status & ~R.STATUS_OWN), (res) => {
      if (!res.ok) this.busError(true, 'rx', res);
      else if (bits) this.raise(bits);
    });
  }

  abortReception(): void {
    if (this.rx?.event) this.rx.event.cancelled = true;
    this.rx = undefined;
  }

  reset(): void {
    this.abortReception();
    this.tx = undefined;
    this.txBusy = false;
    this.regs = { rdba: 0, rdlen: 0, tdba: 0, tdlen: 0, bmcr: 0, bmsr: 0, rdh: 0, tdh: 0 };
  }

  // ---------------------------------------------------------------- transmit

  private txPoll(): void {
    if (this.txBusy || !(this.regs.bmcr & R.BMCR_TXEN) || !validLength(this.regs.tdlen) || !this.card.started) return;
    this.txBusy = true;
    this.tx = { fragments: [], total: 0 };
    this.readTxDescriptor(this.regs.tdh);
  }

  private readTxDescriptor(index: number): void {
    const tx = this.tx!;
    const addr = (this.regs.tdba + index * R.DESC_BYTES) >>> 0;
    this.card.host.dma.read(this.master, addr, R.DESC_BYTES, (res) => {
      if (this.tx !== tx) return;
      if (!res.ok) {
        this.tx = undefined;
        this.txBusy = false;
        return this.busError(true, 'tx', res);
      }
      const ctrl = le32(res.data, R.DESC_CTRL);
      if (!(le32(res.data, R.DESC_STATUS) & R.STATUS_OWN)) {
        // Nothing (more) to send: an incomplete frame waits for its remaining descriptors.
        this.tx = undefined;
        this.txBusy = false;
        return;
      }
      tx.fragments.push({ index, addr: le32(res.data, R.DESC_ADDR), length: ctrl & R.CTRL_LEN_MASK });
      tx.total += ctrl & R.CTRL_LEN_MASK;
      if (ctrl & R.CTRL_EOF || tx.fragments.length >= this.regs.tdlen) this.sendFrame(tx.fragments, tx.total);
      else this.readTxDescriptor((index + 1) % this.regs.tdlen);
    });
  }

  private sendFrame(fragments: TxFragment[], total: number): void {
    if (total === 0 || total > ETH_MAX_FRAME) return this.txDone(fragments, R.TSR_ABT, true, false);
    const frameLen = Math.max(ETH_MIN_FRAME, total);
    const bytes = new Uint8Array(frameLen + FCS_BYTES);
    // The reads: each fragment cut into bursts that never cross a burst boundary of the frame.
    const chunks: { addr: number; dst: number; n: number }[] = [];
    let dst = 0;
    for (const f of fragments) {
      for (let o = 0; o < f.length; ) {
        const n = Math.min(f.length - o, BURST_BYTES - (dst % BURST_BYTES));
        chunks.push({ addr: (f.addr + o) >>> 0, dst, n });
        o += n;
        dst += n;
      }
    }
    let wireRx: Reception | undefined;
    let onWire = false;
    let underrun = false;
    let failed = false;
    const inhibitCrc = (this.card.regs.tcr & R.TCR_CRC) !== 0;
    const finishFcs = () => {
      if (inhibitCrc) return;
      putFcs(bytes, frameLen);
      if (underrun || failed) bytes[frameLen]! ^= 0xff; // a broken frame leaves with a bad FCS
    };
    const start = () => {
      onWire = true;
      this.card.sendBytes(bytes, frameLen, () => this.txDone(fragments, failed ? R.TSR_ABT : underrun ? R.TSR_PTX | R.TSR_FU : R.TSR_PTX, failed || underrun, failed), {
        started: (rx) => void (wireRx = rx),
      });
    };
    const readChunk = (k: number) => {
      const c = chunks[k]!;
      this.card.host.dma.read(this.master, c.addr, c.n, (res) => {
        if (!res.ok) {
          failed = true;
          this.busError(false, 'tx', res);
          if (!onWire) return this.txDone(fragments, R.TSR_ABT, true, true);
          return finishFcs();
        }
        // The byte at c.dst starts leaving at arrival(c.dst - 1): it must be in the FIFO by then.
        if (wireRx && this.card.now > wireRx.arrival(c.dst - 1)) underrun = true;
        bytes.set(res.data.subarray(0, c.n), c.dst);
        if (k + 1 < chunks.length) readChunk(k + 1);
        else finishFcs();
        if (!onWire) start();
      });
    };
    readChunk(0);
  }

  /** The frame has left the wire (or was aborted): return its descriptors with status. */
  private txDone(fragments: TxFragment[], tsr: number, error: boolean, busError: boolean): void {
    const r = this.regs;
    const last = fragments[fragments.length - 1]!;
    r.tdh = (last.index + 1) % r.tdlen;
    this.card.regs.tsr = tsr;
    const status = (tsr << R.STATUS_RSR_SHIFT) | (error ? R.STATUS_ERR : 0);
    let pending = fragments.length;
    for (const f of fragments) {
      this.card.host.dma.write(this.master, (r.tdba + f.index * R.DESC_BYTES + R.DESC_STATUS) >>> 0, bytes32((status | (f.length & R.STATUS_LEN_MASK)) & ~R.STATUS_OWN), (res) => {
        if (!res.ok) this.busError(true, 'tx', res);
        if (--pending > 0) return;
        this.tx = undefined;
        this.txBusy = false;
        if (!error) this.card.totals.transmitted++;
        this.card.host.trace.record(this.card.now, this.kinds.tx, fragments.length, tsr);
        this.raise(R.BMSR_TD | (busError ? R.BMSR_BE : 0));
        this.txPoll(); // the next frame, if the driver queued one
      });
    }
  }

  // ---------------------------------------------------------------- snapshot

  saveState(): BusMasterState {
    if (this.txBusy) throw new Error(`${this.card.name}: cannot save state while a bus-master transmission is in progress`);
    const p = this.rx;
    if (p && (p.phase !== 'stream' || p.inflight > 0)) throw new Error(`${this.card.name}: cannot save state while a DMA transfer is in flight (save between bursts)`);
    return {
      regs: { ...this.regs },
      rx: p && { reception: p.reception.saveState(), desc: p.desc, buf: p.buf, cap: p.cap, sent: p.sent, tooLong: p.tooLong },
    };
  }

  restoreState(s: BusMasterState): void {
    this.abortReception();
    this.tx = undefined;
    this.txBusy = false;
    this.regs = { ...s.regs };
    if (s.rx) {
      const p: RxProgress = { ...s.rx, reception: Reception.fromState(s.rx.reception), phase: 'stream', inflight: 0, finished: false, failed: false, event: undefined };
      this.rx = p;
      this.scheduleChunk(p);
    }
  }
}
