// DESIGN.md §6 item 1 per transfer: every DMA beat of the card lands in (a transmit reads
// from) the frame pinned *for the transfer the card is executing*. The kernel's bus observer
// (guest/kernel/dmawatch.ts) checks that each beat reaches *some* frame pinned in the beat's
// direction; whose transfer a beat belongs to only three records say together, and this
// watcher reads all three at every beat of the card:
//   card    the descriptor it is executing and the buffer address it fetched from it
//           (devices/ne2k/busmaster.ts rxExecuting, txReading), or for any other beat the
//           descriptor rings it was programmed with (fetching descriptors, writing status);
//   driver  what it armed that descriptor with: the buffer's bus address and the pin token
//           behind it (guest/netdriver/busmaster.ts armedRx, armedTx; Driver.ownPins for the
//           driver's own ring page, header page and receive pool);
//   kernel  that token's pin record: live, pinning the very frame the beat reached, in the
//           transfer's direction (a receive and a status write need a from-device pin, a
//           transmit reads a to-device one), the frame not reallocated since the pin.
// So a beat into another session's pinned frame, into a frame pinned for another descriptor,
// against the pin's direction, or outside every transfer the card is executing is a
// violation. Classic mode has no host DMA (remote DMA moves bytes inside the card), so there
// the card makes no beat and any beat would be outside every transfer.
//
// Violations are recorded (the first bad beat of each transfer), not thrown, and read by
// violations() in checks.ts. The watcher only reads: it never changes what the run does.

import type { DmaBeat } from '../../machine/dma.js';
import { FRAME_SIZE } from '../../machine/memory.js';
import type { RxFetched, TxFragment } from '../../../devices/ne2k/busmaster.js';
import { DESC_BYTES } from '../../../devices/ne2k/registers.js';
import type { DmaRecords, RxTarget } from '../../../guest/netdriver/backend.js';
import { BusMasterBackend } from '../../../guest/netdriver/busmaster.js';
import type { PinToken } from '../../../guest/kernel/pin.js';
import { cardPrivilege } from './records.js';
import type { Net } from './net.js';

type Direction = 'from-device' | 'to-device';
type Kind = 'rx' | 'tx' | 'ring' | 'outside';

/** A violation: the kind and identity of the transfer (its later beats are not reported again), what it was for, why it is wrong. */
interface Bad {
  readonly kind: Kind;
  readonly transfer: unknown;
  readonly what: string;
  readonly why: string;
}

export class TransferWatch {
  /** Violations seen so far, oldest first. */
  readonly violations: string[] = [];
  /** Card beats checked. */
  beats = 0;
  /** Per kind of transfer, the one whose violation was recorded last: its later beats are not recorded again. */
  private readonly reported = new Map<Kind, unknown>();

  /**
   * The driver last looked at and its backend: a driver's backend is made with it and never
   * replaced (Driver.backend is readonly), and the instanceof test at every beat was a tenth
   * of the watch's time.
   */
  private backend: DriverBackend | undefined;

  /** The kernel's live pins of the card's device privilege, by token (found once the kernel made it). */
  private pins: ReadonlyMap<number, PinToken> | undefined;

  constructor(private readonly w: Net) {
    w.machine.dma.observers.add((b) => this.beat(b));
  }

  private beat(b: DmaBeat): void {
    if (b.master !== this.w.card.name || b.phys < 0) return; // another master, or nothing reached memory
    this.beats++;
    const frame = Math.floor(b.phys / FRAME_SIZE);
    const bad = this.check(b, frame);
    if (!bad || this.reported.get(bad.kind) === bad.transfer) return;
    this.reported.set(bad.kind, bad.transfer);
    this.violations.push(`1 dma transfer: cycle ${b.cycle}: ${b.master} ${b.write ? 'wrote' : 'read'} frame ${frame} (bus 0x${b.bus.toString(16)}) for ${bad.what}: ${bad.why}`);
  }

  /** Which transfer the beat belongs to and why it is wrong, or undefined when it is right. */
  private check(b: DmaBeat, frame: number): Bad | undefined {
    const bm = this.w.card.bm;
    const rx = b.write ? bm.rxExecuting : undefined;
    if (rx && within(b.bus, rx.buf, rx.cap)) return this.receiveBeat(rx, frame);
    const tx = b.write ? undefined : bm.txReading;
    if (tx && within(b.bus, tx.addr, tx.length)) return this.transmitBeat(tx, frame);
    const r = bm.regs;
    if (within(b.bus, r.rdba, r.rdlen * DESC_BYTES) || within(b.bus, r.tdba, r.tdlen * DESC_BYTES)) return this.descriptorBeat(b, frame);
    return { kind: 'outside', transfer: frame, what: 'no transfer', why: 'the beat is outside every transfer the card is executing and its descriptor rings' };
  }

  /** A receive data beat: the buffer the driver armed the descriptor with, pinned from-device. */
  private receiveBeat(rx: RxFetched, frame: number): Bad | undefined {
    const d = this.w.view.driver ?? this.w.view.dma;
    const i = (rx.desc - this.w.card.bm.regs.rdba) / DESC_BYTES;
    const t = d && this.busMaster(d)?.armedRx(i);
    const why = !t ? 'the driver armed no buffer in it'
      : t.bus !== rx.buf ? `the card fetched buffer 0x${rx.buf.toString(16)} from it, the driver armed 0x${t.bus.toString(16)}`
      : this.pinned(t.session ? t.token : d!.ownPins.pool[t.index]?.token, frame, 'from-device');
    return why === undefined ? undefined : { kind: 'rx', transfer: rx, what: `receive descriptor ${i}${t ? ` (${whose(t)})` : ''}`, why };
  }

  /** A transmit data beat: the fragment the driver put in the descriptor (its checked header, or the stack's payload), pinned to-device. */
  private transmitBeat(tx: TxFragment, frame: number): Bad | undefined {
    const d = this.w.view.driver ?? this.w.view.dma;
    const a = d && this.busMaster(d)?.armedTx(tx.index);
    const why = !a ? 'no frame of the driver is in it'
      : a.bus !== tx.addr || a.length !== tx.length ? `the card fetched fragment 0x${tx.addr.toString(16)}+${tx.length} from it, the driver put 0x${a.bus.toString(16)}+${a.length}`
      : this.pinned(a.header ? d!.ownPins.header?.token : a.frame.token, frame, 'to-device');
    return why === undefined ? undefined : { kind: 'tx', transfer: tx, what: `transmit descriptor ${tx.index}${a ? ` (${a.frame.session ? `session #${a.frame.session.id}'s` : 'the in-kernel stack\'s'} ${a.header ? 'checked header' : 'payload'})` : ''}`, why };
  }

  /** Fetching a descriptor or writing its status: the driver's ring page, pinned for the card to write. */
  private descriptorBeat(b: DmaBeat, frame: number): Bad | undefined {
    const d = this.w.view.driver ?? this.w.view.dma;
    const why = d && this.busMaster(d) ? this.pinned(d.ownPins.ring?.token, frame, 'from-device') : 'the driver programmed no descriptor ring';
    return why === undefined ? undefined : { kind: 'ring', transfer: b.bus - (b.bus % DESC_BYTES), what: 'a descriptor', why };
  }

  /** The bus-master backend of driver `d` (the shared driver, or the in-kernel network's records). */
  private busMaster(d: DmaRecords): BusMasterBackend | undefined {
    if (this.backend?.driver !== d) this.backend = { driver: d, bm: busMaster(d) };
    return this.backend.bm;
  }

  /** Why the pin `token` does not cover a beat into `frame` in direction `dir`, or undefined when it does. */
  private pinned(token: number | undefined, frame: number, dir: Direction): string | undefined {
    this.pins ??= cardPrivilege(this.w)?.tokens;
    const pin = token === undefined ? undefined : this.pins?.get(token);
    if (!pin) return token === undefined ? 'the driver holds no pin for it' : `its pin token ${token} is not live`;
    if (pin.frame !== frame) return `its pin token ${token} pins frame ${pin.frame}, not this one`;
    if (pin.writable !== (dir === 'from-device')) return `its pin token ${token} pins the frame ${pin.writable ? 'from-device' : 'to-device'}, the transfer is ${dir}`;
    if (pin.epoch !== this.w.kernel.state.frames.epoch[frame]) return `frame reallocated since its pin token ${token}`;
    return undefined;
  }
}

/** The driver's bus-master backend (in classic mode there is none: no descriptor is ever armed). */
function busMaster(d: DmaRecords): BusMasterBackend | undefined {
  return d.backend instanceof BusMasterBackend ? d.backend : undefined;
}

/** A driver and its bus-master backend, found once. */
interface DriverBackend {
  readonly driver: DmaRecords;
  readonly bm: BusMasterBackend | undefined;
}

function whose(t: RxTarget): string {
  return t.session ? `session #${t.session.id}'s buffer ${t.index}` : `pool buffer ${t.index}`;
}

function within(bus: number, base: number, length: number): boolean {
  return bus >= base && bus < base + length;
}
