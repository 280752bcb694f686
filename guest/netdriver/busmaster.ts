// Bus-master mode (HARDWARE.md §3.2): the card moves frames between the wire and host memory
// by itself through two descriptor rings in the driver's ring page. Receive descriptors
// point at pinned buffers (the driver's pool, or stack pages in flip); a transmitted frame
// is two fragments, the header from the driver's header page (its checked copy) and the
// payload from the stack's pinned page, so the stack cannot change the header on the wire.

import type { DomainContext, GuestCode } from '../kernel/api/context.js';
import { PAGE_BYTES } from '../session/layout.js';
import type { RxDone, RxTarget, TxDone, TxFrame } from './backend.js';
import { ClassicBackend } from './classic.js';
import { HEADER_SLOT_BYTES, HEADER_VA, RING_VA, RX_DESC_OFFSET, TX_DESC_OFFSET } from './config.js';
import type { CardPorts } from './ports.js';
import * as R from './registers.js';

const CR_RUN = R.CR_STA | R.CR_RD_ABORT;

interface InFlight {
  readonly frame: TxFrame;
  readonly first: number;
  readonly descs: number;
}

export class BusMasterBackend extends ClassicBackend {
  override readonly pinsPayload = true;
  private readonly rx: (RxTarget | undefined)[];
  private rxHead = 0;
  private rxTail = 0;
  private rxArmed = 0;
  private txTail = 0;
  private txUsed = 0;
  private readonly inflight: InFlight[] = [];

  constructor(
    ctx: DomainContext,
    io: CardPorts,
    mac: Uint8Array,
    rxSlots: number,
    private readonly txDescs: number,
    /** Test switch (config.ts UnsafeSwitches.recordArmedAfterOwn). */
    private readonly recordAfterOwn = false,
  ) {
    super(ctx, io, mac, rxSlots);
    this.rx = new Array<RxTarget | undefined>(rxSlots).fill(undefined);
  }

  /** Bus addresses of the driver's ring page and header page (pinned at start). */
  private ringBus = 0;
  private headerBus = 0;

  setBus(ringBus: number, headerBus: number): void {
    this.ringBus = ringBus;
    this.headerBus = headerBus;
  }

  private rxDesc(i: number): number {
    return RING_VA + RX_DESC_OFFSET + i * R.DESC_BYTES;
  }
  private txDesc(i: number): number {
    return RING_VA + TX_DESC_OFFSET + i * R.DESC_BYTES;
  }

  protected override *extraInit(): GuestCode {
    const io = this.io;
    for (let i = 0; i < this.slots; i++) yield* this.ctx.store32(this.rxDesc(i) + R.DESC_STATUS, 0);
    for (let i = 0; i < this.txDescs; i++) yield* this.ctx.store32(this.txDesc(i) + R.DESC_STATUS, 0);
    yield* io.out(R.CR, R.CR_STP | R.CR_RD_ABORT | R.CR_PAGE3);
    const rdba = this.ringBus + RX_DESC_OFFSET;
    const tdba = this.ringBus + TX_DESC_OFFSET;
    for (let i = 0; i < 4; i++) yield* io.out(R.RDBA0 + i, (rdba >>> (8 * i)) & 0xff);
    yield* io.out(R.RDLEN, this.slots);
    for (let i = 0; i < 4; i++) yield* io.out(R.TDBA0 + i, (tdba >>> (8 * i)) & 0xff);
    yield* io.out(R.TDLEN, this.txDescs);
    yield* io.out(R.BMSR, R.BMSR_ALL);
    yield* io.out(R.BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE);
    yield* io.out(R.CR, R.CR_STP | R.CR_RD_ABORT | R.CR_PAGE0);
  }

  override freeRxSlots(): number {
    return this.slots - this.rxArmed;
  }

  override *arm(t: RxTarget): GuestCode {
    const d = this.rxDesc(this.rxTail);
    this.rx[this.rxTail] = t;
    yield* this.ctx.store32(d + R.DESC_ADDR, t.bus);
    yield* this.ctx.store32(d + R.DESC_CTRL, PAGE_BYTES);
    yield* this.ctx.store32(d + R.DESC_SOFT, t.index);
    yield* this.ctx.store32(d + R.DESC_STATUS, R.STATUS_OWN); // last: the card may take it from now on
    this.rxTail = (this.rxTail + 1) % this.slots;
    this.rxArmed++;
  }

  override *acknowledge(): GuestCode<boolean> {
    const io = this.io;
    const isr = yield* io.in(R.ISR);
    const bits = isr & R.ISR_ALL & ~R.ISR_RDC;
    if (bits) yield* io.out(R.ISR, bits);
    yield* io.out(R.CR, CR_RUN | R.CR_PAGE3);
    const bmsr = (yield* io.in(R.BMSR)) & R.BMSR_ALL;
    if (bmsr) yield* io.out(R.BMSR, bmsr);
    yield* io.out(R.CR, CR_RUN);
    return (bits | bmsr) !== 0;
  }

  override *received(): GuestCode<RxDone[]> {
    const out: RxDone[] = [];
    while (this.rxArmed > 0) {
      const status = (yield* this.ctx.load32(this.rxDesc(this.rxHead) + R.DESC_STATUS)) >>> 0;
      if (status & R.STATUS_OWN) break;
      const target = this.rx[this.rxHead]!;
      this.rx[this.rxHead] = undefined;
      this.rxHead = (this.rxHead + 1) % this.slots;
      this.rxArmed--;
      const rsr = (status >>> R.STATUS_RSR_SHIFT) & 0xff;
      const length = Math.max(0, (status & R.STATUS_LEN_MASK) - R.FCS_BYTES);
      out.push({ target, length, ok: (status & R.STATUS_ERR) === 0 && (rsr & R.RSR_PRX) !== 0, revoked: false });
    }
    return out;
  }

  /**
   * The card fetches the descriptor at RDH when a frame starts and can move on by at most one
   * descriptor per frame (at least 84 byte times: 894 cycles at 100 Mbit/s). Descriptors two or
   * more past RDH are therefore not in use while this loop (a port read, then plain stores)
   * runs; each is re-pointed with one 32-bit store, so the card sees the old or the new buffer,
   * never a mix. The one at RDH and the next stay as they are and complete normally. Every
   * store is a preemption point, but with the driver above its stacks (as the composition
   * puts it) only an interrupt handler and the driver's own IRQ forwarder can run there: a few
   * hundred cycles, within that frame time.
   */
  override *reclaim(dead: (t: RxTarget) => boolean, spare: () => RxTarget | undefined): GuestCode<RxTarget[]> {
    yield* this.io.out(R.CR, CR_RUN | R.CR_PAGE3);
    const rdh = yield* this.io.in(R.RDH);
    yield* this.io.out(R.CR, CR_RUN);
    const taken: RxTarget[] = [];
    // Armed descriptors run from rxHead; those before RDH are done and await harvesting.
    const done = (rdh - this.rxHead + this.slots) % this.slots;
    const ownAtRdh = ((yield* this.ctx.load32(this.rxDesc(rdh) + R.DESC_STATUS)) & R.STATUS_OWN) !== 0;
    const ahead = ownAtRdh ? this.rxArmed - done : 0;
    for (let k = 2; k < ahead; k++) {
      const i = (rdh + k) % this.slots;
      const t = this.rx[i];
      if (!t || !dead(t)) continue;
      const s = spare();
      if (!s) break;
      yield* this.ctx.store32(this.rxDesc(i) + R.DESC_ADDR, s.bus);
      yield* this.ctx.store32(this.rxDesc(i) + R.DESC_SOFT, s.index);
      this.rx[i] = s;
      taken.push(t);
    }
    return taken;
  }

  override canTransmit(): boolean {
    return this.txDescs - this.txUsed >= 2;
  }

  override *transmit(f: TxFrame): GuestCode {
    const first = this.txTail;
    if (f.headerBus === undefined) yield* this.ctx.write(HEADER_VA + first * HEADER_SLOT_BYTES, f.header);
    const rest = f.length - f.header.length;
    const hdrCtrl = f.header.length | R.CTRL_SOF | (rest > 0 ? 0 : R.CTRL_EOF);
    const descs = rest > 0 ? 2 : 1;
    // Recorded before the first OWN store: from that store on the card may fetch the frame, and
    // the per-transfer DMA check (DESIGN.md §6 item 1) must find what the driver put there.
    if (!this.recordAfterOwn) this.inflight.push({ frame: f, first, descs });
    if (rest > 0) {
      // The payload descriptor first: the card must not see a start of frame whose end is not ready.
      const p = this.txDesc((first + 1) % this.txDescs);
      yield* this.ctx.store32(p + R.DESC_ADDR, f.payloadBus);
      yield* this.ctx.store32(p + R.DESC_CTRL, (rest | R.CTRL_EOF) >>> 0);
      yield* this.ctx.store32(p + R.DESC_STATUS, R.STATUS_OWN);
    }
    const h = this.txDesc(first);
    yield* this.ctx.store32(h + R.DESC_ADDR, f.headerBus ?? this.headerBus + first * HEADER_SLOT_BYTES);
    yield* this.ctx.store32(h + R.DESC_CTRL, hdrCtrl >>> 0);
    yield* this.ctx.store32(h + R.DESC_STATUS, R.STATUS_OWN);
    this.txTail = (first + descs) % this.txDescs;
    this.txUsed += descs;
    if (this.recordAfterOwn) this.inflight.push({ frame: f, first, descs });
    yield* this.io.out(R.CR, CR_RUN | R.CR_PAGE3);
    yield* this.io.out(R.BMCR, R.BMCR_RXEN | R.BMCR_TXEN | R.BMCR_IE | R.BMCR_TXPOLL);
    yield* this.io.out(R.CR, CR_RUN);
  }

  override *transmitted(): GuestCode<TxDone[]> {
    const out: TxDone[] = [];
    while (this.inflight.length > 0) {
      const f = this.inflight[0]!;
      let ok = true;
      let done = true;
      for (let k = 0; k < f.descs; k++) {
        const status = (yield* this.ctx.load32(this.txDesc((f.first + k) % this.txDescs) + R.DESC_STATUS)) >>> 0;
        if (status & R.STATUS_OWN) done = false;
        if (status & R.STATUS_ERR) ok = false;
      }
      if (!done) break;
      this.inflight.shift();
      this.txUsed -= f.descs;
      out.push({ frame: f.frame, ok });
    }
    return out;
  }

  // ------------------------------------------------ the driver's record, read-only, for checks
  // outside the machine (the composition's per-transfer DMA check, DESIGN.md §6 item 1)

  /** The buffer the driver armed receive descriptor i with, until it harvests the descriptor. */
  armedRx(i: number): RxTarget | undefined {
    return this.rx[i];
  }

  /** What the driver put in transmit descriptor i, while its frame is in flight: the header fragment (its header page) or the payload (the stack's pinned page). */
  armedTx(i: number): TxArmed | undefined {
    for (const f of this.inflight) {
      const k = (i - f.first + this.txDescs) % this.txDescs;
      if (k >= f.descs) continue;
      const frame = f.frame;
      if (k === 0 && frame.headerBus !== undefined) return { frame, header: false, bus: frame.headerBus, length: frame.header.length };
      if (k === 0) return { frame, header: true, bus: this.headerBus + f.first * HEADER_SLOT_BYTES, length: frame.header.length };
      return { frame, header: false, bus: frame.payloadBus, length: frame.length - frame.header.length };
    }
    return undefined;
  }
}

/** A transmit descriptor as the driver filled it. */
export interface TxArmed {
  readonly frame: TxFrame;
  /** The header fragment, from the driver's header page (else the payload, pinned by frame.token). */
  readonly header: boolean;
  readonly bus: number;
  readonly length: number;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ BusMasterBackend });
