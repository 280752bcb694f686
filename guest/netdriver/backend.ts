// What the driver needs from the card, in either mode: receive slots it arms with buffers
// and that come back filled, and a transmitter it hands checked frames to.

import type { GuestCode } from '../kernel/api/context.js';
import type { OwnPins } from './own-pages.js';
import type { Session } from './session.js';

/** A buffer the card (or, in classic mode, the driver's copy loop) fills with one frame. */
export interface RxTarget {
  /** The driver's (writable) address of the buffer. */
  readonly va: number;
  /** Bus address (bus-master mode), else 0. */
  readonly bus: number;
  /** The session whose buffer it is, or undefined for the driver's own pool. */
  readonly session: Session | undefined;
  /** Buffer number in the session, or index in the pool. */
  readonly index: number;
  /** Pin token to release when the card is done (a session buffer in bus-master mode). */
  readonly token: number | undefined;
}

export interface RxDone {
  /** Where the frame went; undefined when no buffer was armed (classic mode: left in the card). */
  readonly target: RxTarget | undefined;
  /** Frame length without the FCS. */
  readonly length: number;
  /** Whether the card reported the frame good, and whether it could be stored. */
  readonly ok: boolean;
  /** The buffer's storage faulted while the driver copied into it (classic mode): revoked. */
  readonly revoked: boolean;
}

export interface TxFrame {
  /** The session that submitted it; undefined for the in-kernel topology's own frames (guest/inkernel). */
  readonly session: Session | undefined;
  readonly cookie: number;
  /** The driver's checked copy of the first bytes of the frame. */
  readonly header: Uint8Array;
  readonly length: number;
  /** Where the rest of the frame is: the driver's address of it and, pinned, its bus address. */
  readonly payloadVa: number;
  readonly payloadBus: number;
  readonly token: number | undefined;
  /** Planted bug skipHeaderCopy: the card reads the header from here (the stack's pinned page), not from the driver's copy. */
  readonly headerBus?: number;
}

export interface TxDone {
  readonly frame: TxFrame;
  readonly ok: boolean;
}

/** What an observer's per-transfer DMA check reads of whoever drives the card (emulator/cli/scenario/transfers.ts): what it armed, and its own pins. */
export interface DmaRecords {
  readonly backend: Backend;
  readonly ownPins: OwnPins;
}

export interface Backend {
  /** Program the card and start it. */
  init(): GuestCode;
  /** Receive slots not armed. */
  freeRxSlots(): number;
  arm(t: RxTarget): GuestCode;
  /** Read and clear the card's interrupt status; true if anything was pending. */
  acknowledge(): GuestCode<boolean>;
  /** Frames received since the last call, in order (classic mode: at most RX_FRAMES_PER_PASS of them). */
  received(): GuestCode<RxDone[]>;
  /** Whether the last received() left frames in the card: the driver must call again without waiting for an interrupt. */
  receivePending(): boolean;
  /** Whether another frame can be handed to the transmitter now. */
  canTransmit(): boolean;
  /** Whether payloads must be pinned (bus-master) or are copied through the data port. */
  readonly pinsPayload: boolean;
  transmit(f: TxFrame): GuestCode;
  /** Frames that left (or failed), in order. */
  transmitted(): GuestCode<TxDone[]>;
  /** Missed frames the card counted since the last call. */
  missed(): GuestCode<number>;
  /**
   * Take back armed buffers `dead` says are unusable (their session died) where the card
   * cannot be using them, putting `spare()` buffers in their place; returns the taken ones.
   */
  reclaim(dead: (t: RxTarget) => boolean, spare: () => RxTarget | undefined): GuestCode<RxTarget[]>;
}
