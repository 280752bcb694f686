// Classic mode: the card's own buffer ring and transmit buffer, every byte moved by the CPU
// through the data port (remote DMA), as Linux's lib8390.c and ne.c do it. "Armed" receive
// buffers are the driver's promise of where the next frames go: the copy loop takes them in
// order, exactly as the card takes descriptors in bus-master mode, so the receive
// strategies behave the same in both modes.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import type { Backend, RxDone, RxTarget, TxDone, TxFrame } from './backend.js';
import type { CardPorts } from './ports.js';
import * as R from './registers.js';
import { ETH_MAX_FRAME } from '../net/ethernet.js';

const CR_RUN = R.CR_STA | R.CR_RD_ABORT;

/**
 * Most frames one service pass takes from the card's ring. Every received byte crosses the
 * data port, each dword a system call of ~160 cycles: a full-size frame costs the driver
 * ~65,000 cycles, while the wire brings one every 16,364 cycles at 100 Mbit/s. A copy loop
 * that emptied the ring would run for as long as the peer kept sending (the ring refills
 * behind it, and a frame with no armed buffer is still read to be dropped), and the pass
 * would not reach the transmitter: a frame that had left the wire waited ~923,000 cycles for
 * its PTX to be read. Linux's ei_receive (lib8390.c) also stops after a few frames (at most
 * 9), and ei_interrupt then pushes the next transmit through before it receives more. Two
 * frames a pass keep the transmitter's wait within the liveness bound (the derivation of
 * SERVICE_LATENCY_CYCLES in emulator/cli/scenario/progress.ts) and cost little: the rest of
 * a pass is a few thousand cycles, against the ~130,000 of two full-size copies.
 */
export const RX_FRAMES_PER_PASS = 2;

export class ClassicBackend implements Backend {
  readonly pinsPayload: boolean = false;
  private readonly armed: RxTarget[] = [];
  private txBusy: TxFrame | undefined;
  private txResult: boolean | undefined;
  /** The last received() stopped at RX_FRAMES_PER_PASS with frames still in the ring. */
  private rxLeft = false;

  constructor(
    protected readonly ctx: DomainContext,
    protected readonly io: CardPorts,
    private readonly mac: Uint8Array,
    protected readonly slots: number,
  ) {}

  *init(): GuestCode {
    const io = this.io;
    // NS8390_init order (lib8390.c): stop, word mode, clear counts, monitor + loopback while the ring is set.
    yield* io.out(R.CR, R.CR_STP | R.CR_RD_ABORT | R.CR_PAGE0);
    yield* io.out(R.DCR, R.DCR_WTS_LS_FT1);
    yield* io.out(R.RBCR0, 0);
    yield* io.out(R.RBCR1, 0);
    yield* io.out(R.RCR, 0x20);
    yield* io.out(R.TCR, 0x02);
    yield* io.out(R.TPSR, R.TX_START_PAGE);
    yield* io.out(R.PSTART, R.RX_START_PAGE);
    yield* io.out(R.BNRY, R.RX_STOP_PAGE - 1);
    yield* io.out(R.PSTOP, R.RX_STOP_PAGE);
    yield* io.out(R.ISR, 0xff);
    yield* io.out(R.IMR, 0);
    yield* io.out(R.CR, R.CR_STP | R.CR_RD_ABORT | R.CR_PAGE1);
    for (let i = 0; i < 6; i++) yield* io.out(R.PAR0 + i, this.mac[i]!);
    yield* io.out(R.CURR, R.RX_START_PAGE);
    yield* io.out(R.CR, R.CR_STP | R.CR_RD_ABORT | R.CR_PAGE0);
    yield* this.extraInit();
    yield* io.out(R.ISR, 0xff);
    yield* io.out(R.IMR, R.ISR_PRX | R.ISR_PTX | R.ISR_RXE | R.ISR_TXE | R.ISR_OVW | R.ISR_CNT);
    yield* io.out(R.CR, CR_RUN);
    yield* io.out(R.TCR, 0);
    yield* io.out(R.RCR, R.RCR_AB);
  }

  /** Mode-specific setup while the card is stopped (the bus-master backend adds its rings). */
  protected *extraInit(): GuestCode {}

  freeRxSlots(): number {
    return this.slots - this.armed.length;
  }

  *arm(t: RxTarget): GuestCode {
    this.armed.push(t);
  }

  *acknowledge(): GuestCode<boolean> {
    const isr = yield* this.io.in(R.ISR);
    const bits = isr & R.ISR_ALL & ~R.ISR_RDC;
    if (bits) yield* this.io.out(R.ISR, bits);
    if (bits & (R.ISR_PTX | R.ISR_TXE) && this.txBusy) this.txResult = (bits & R.ISR_PTX) !== 0;
    return bits !== 0;
  }

  /** Remote read of `n` bytes at card address `addr`, word mode: set up, then read dwords. */
  private *remoteRead(addr: number, n: number): GuestCode {
    const io = this.io;
    const count = (n + 3) & ~3;
    yield* io.out(R.RBCR0, count & 0xff);
    yield* io.out(R.RBCR1, count >> 8);
    yield* io.out(R.RSAR0, addr & 0xff);
    yield* io.out(R.RSAR1, addr >> 8);
    yield* io.out(R.CR, R.CR_STA | R.CR_RD_READ);
  }

  protected *endRemote(): GuestCode {
    yield* this.io.out(R.CR, CR_RUN);
    yield* this.io.out(R.ISR, R.ISR_RDC);
  }

  receivePending(): boolean {
    return this.rxLeft;
  }

  *received(): GuestCode<RxDone[]> {
    const io = this.io;
    const out: RxDone[] = [];
    this.rxLeft = false;
    for (;;) {
      yield* io.out(R.CR, CR_RUN | R.CR_PAGE1);
      const curr = yield* io.in(R.CURR);
      yield* io.out(R.CR, CR_RUN);
      const bnry = yield* io.in(R.BNRY);
      let page = bnry + 1;
      if (page >= R.RX_STOP_PAGE) page = R.RX_START_PAGE;
      if (page === curr) break;
      // Their PRX is already acknowledged: the next pass comes for them without an interrupt.
      if (out.length === RX_FRAMES_PER_PASS) {
        this.rxLeft = true;
        break;
      }
      yield* this.remoteRead(page * R.BUF_PAGE_BYTES, R.RING_HEADER_BYTES);
      const header = yield* io.in(R.DATA_PORT, 4);
      yield* this.endRemote();
      const status = header & 0xff;
      const next = (header >>> 8) & 0xff;
      const count = header >>> 16;
      const length = count - R.RING_HEADER_BYTES - R.FCS_BYTES;
      if (next < R.RX_START_PAGE || next >= R.RX_STOP_PAGE || length < 14 || length > ETH_MAX_FRAME) {
        // A corrupt ring (lib8390.c "bogus packet"): drop everything up to CURR.
        yield* io.out(R.BNRY, curr === R.RX_START_PAGE ? R.RX_STOP_PAGE - 1 : curr - 1);
        break;
      }
      const target = this.armed.shift();
      if (target) out.push(yield* this.copyIn(page * R.BUF_PAGE_BYTES + R.RING_HEADER_BYTES, length, target, (status & R.RSR_PRX) !== 0));
      else out.push({ target, length, ok: false, revoked: false }); // nowhere to put it: left in the card
      yield* io.out(R.BNRY, next === R.RX_START_PAGE ? R.RX_STOP_PAGE - 1 : next - 1);
    }
    return out;
  }

  /** Copy a frame from card memory into the target through the data port; a fault aborts the copy. */
  private *copyIn(addr: number, length: number, target: RxTarget, good: boolean): GuestCode<RxDone> {
    yield* this.remoteRead(addr, length);
    let revoked = false;
    for (let i = 0; i < length; i += 4) {
      const v = yield* this.io.in(R.DATA_PORT, 4);
      try {
        yield* this.ctx.store32(target.va + i, v);
      } catch (e) {
        if (!this.ctx.isFault(e)) throw e;
        revoked = true;
        // The rest of the frame is not needed: stop the remote read.
        break;
      }
    }
    yield* this.endRemote();
    return { target, length, ok: good && !revoked, revoked };
  }

  canTransmit(): boolean {
    return this.txBusy === undefined;
  }

  *transmit(f: TxFrame): GuestCode {
    const io = this.io;
    // The payload is read from the stack's page now; the header is the driver's checked copy.
    const rest = f.length - f.header.length;
    const bytes = new Uint8Array((f.length + 3) & ~3);
    bytes.set(f.header);
    if (rest > 0) bytes.set(yield* this.ctx.read(f.payloadVa, rest), f.header.length);
    const count = bytes.length;
    yield* io.out(R.RBCR0, count & 0xff);
    yield* io.out(R.RBCR1, count >> 8);
    yield* io.out(R.RSAR0, 0);
    yield* io.out(R.RSAR1, R.TX_START_PAGE);
    yield* io.out(R.CR, R.CR_STA | R.CR_RD_WRITE);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i += 4) yield* io.out(R.DATA_PORT, view.getUint32(i, true), 4);
    yield* this.endRemote();
    yield* io.out(R.TPSR, R.TX_START_PAGE);
    yield* io.out(R.TBCR0, f.length & 0xff);
    yield* io.out(R.TBCR1, f.length >> 8);
    this.txBusy = f;
    this.txResult = undefined;
    yield* io.out(R.CR, CR_RUN | R.CR_TXP);
  }

  *transmitted(): GuestCode<TxDone[]> {
    if (!this.txBusy || this.txResult === undefined) return [];
    const done = { frame: this.txBusy, ok: this.txResult };
    this.txBusy = undefined;
    this.txResult = undefined;
    return [done];
  }

  /** Classic mode: the card never sees armed buffers, so every one can be replaced. */
  *reclaim(dead: (t: RxTarget) => boolean, spare: () => RxTarget | undefined): GuestCode<RxTarget[]> {
    const taken: RxTarget[] = [];
    for (let k = 0; k < this.armed.length; k++) {
      if (!dead(this.armed[k]!)) continue;
      taken.push(this.armed[k]!);
      const s = spare();
      if (s) this.armed[k] = s;
      else this.armed.splice(k--, 1);
    }
    return taken;
  }

  *missed(): GuestCode<number> {
    return yield* this.io.in(R.CNTR2);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ ClassicBackend });
