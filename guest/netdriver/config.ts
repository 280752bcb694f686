// How the driver is set up: the run's choices (card mode, receive strategy, addresses,
// limits) and the fixed layout of its capability slots and virtual address space.

export type CardMode = 'classic' | 'busmaster';
export type Strategy = 'copy' | 'flip' | 'hybrid';

export interface DriverConfig {
  /** The card's I/O base and MAC address (the composition root knows the board). */
  readonly ioBase: number;
  readonly mac: Uint8Array;
  readonly mode: CardMode;
  readonly strategy: Strategy;
  /** hybrid: a misplaced frame shorter than this many bytes is copied, a longer one exchanged. */
  readonly hybridThreshold?: number;
  /** The IPv4 address each client (by the badge of its endpoint capability) gets. */
  readonly addresses: readonly { readonly badge: number; readonly ip: number }[];
  /** Most sessions at once (default 16). */
  readonly maxSessions?: number;
  /** Most pages a session may ask for: transmit pages and receive buffers (defaults 2 and 8). */
  readonly maxTxPages?: number;
  readonly maxRxBuffers?: number;
  /** Pages of one session the driver keeps pinned at once (default 8). */
  readonly pinLimit?: number;
  /** Card receive slots: descriptors in bus-master mode, buffers in classic mode (default 16). */
  readonly rxSlots?: number;
  /** Transmit descriptors, bus-master mode (default 16: up to 8 frames of two fragments). */
  readonly txDescriptors?: number;
  /** Most passes of one service of the card and the rings before the driver looks at its endpoint again (default 64). */
  readonly servicePasses?: number;
  /** Defences switched off, for tests that show a check catching what they prevent. Never set in a real composition. */
  readonly unsafe?: UnsafeSwitches;
}

/** Test switches; each one off (the default) keeps the driver's normal behaviour. */
export interface UnsafeSwitches {
  /**
   * Offer the transmitter to sessions in list order, each sending all it can before the next
   * is looked at, instead of round robin (turns.ts), so that a flooding first session starves
   * the others (issue 9, attack 6): the liveness monitor's tests need that starvation to exist
   * (test/security/check-liveness.test.ts, transmit-starvation.test.ts).
   */
  readonly transmitInListOrder?: boolean;
  /**
   * After an exchange, map the page back into the stack before zeroing the old bytes another
   * session left in it (the order before issue 9, attack 9a: test/security/exchange-zeroing.test.ts).
   */
  readonly mapBeforeZero?: boolean;
  /**
   * Take each stack's delegated region with a plain copy instead of claiming it, leaving the
   * stack in control of it (the defence a red-team test switches off to show it sees attack 9b:
   * test/security/region-control.test.ts).
   */
  readonly leaveRegionsUnclaimed?: boolean;
  /**
   * The failure path before issue 9 (attack 5): allocate a session straight from the client's
   * opaque bank instead of from a session bank of the driver's, so that a failed OPEN, or a
   * session killed while its client lives, leaves its allocations behind, the driver's mirror
   * region among them, and its mirror index goes back on the free list still delegated. The
   * defence a red-team test switches off to show the attack (test/security/failed-open.test.ts).
   */
  readonly abandonFailedSetups?: boolean;
  // Planted bugs (emulator/cli/explore/bugs.ts): each breaks one rule of DESIGN.md §5 so that
  // the explorer's sweeps can show their checks catch it.
  /** Check a transmit header in the stack's page and let the card read it from there (a time-of-check to time-of-use window). */
  readonly skipHeaderCopy?: boolean;
  /** Map receive buffers read-write into their stack. */
  readonly writableRxBuffers?: boolean;
  /** Arm a receive descriptor with the bus address of the buffer last armed for another session. */
  readonly wrongBufferDma?: boolean;
  /** Exchange a misplaced frame's page before unpinning it (which the kernel refuses unless it has its own planted bug). */
  readonly exchangeBeforeUnpin?: boolean;
  /** Record a transmit frame as in flight only after its descriptors' OWN stores (the order before review 3), so the DMA check can see the card read a descriptor the record does not have yet. */
  readonly recordArmedAfterOwn?: boolean;
}

// hybridThreshold: the copy/flip crossover in driver cycles per frame as `reloaded bench
// netdriver` measures it (451 bytes, between the 384- and 512-byte sizes; an emulated figure,
// the same every run); test/bench/crossover.test.ts fails if a measurement and this drift apart.
export const DEFAULTS = Object.freeze({ hybridThreshold: 451, maxSessions: 16, maxTxPages: 2, maxRxBuffers: 8, pinLimit: 8, rxSlots: 16, txDescriptors: 16, servicePasses: 64 });

/** Capability slots the composition root fills before the driver starts. */
export const SLOT_DEVPRIV = 0;
export const SLOT_BANK = 1;
export const SLOT_SPACE = 2;
/** The driver's endpoint, unbadged, with receive and send rights (stacks hold badged copies). */
export const SLOT_ENDPOINT = 3;
/** Slots the driver uses for itself. */
export const SLOT_IRQ = 4;
export const SLOT_FORWARD_EP = 5;
export const SLOT_FORWARDER = 6;
export const SLOT_RECV_A = 7;
export const SLOT_RECV_B = 8;
export const SLOT_REPLY = 9;
export const SLOT_RING_PAGE = 10;
export const SLOT_HEADER_PAGE = 11;
export const SLOT_POOL = 12; // .. SLOT_POOL + rxSlots - 1

/** Badge of the forwarder's endpoint capability: interrupt messages come with it. */
export const FORWARDER_BADGE = 0xffff_fff0;
/** Notification bit the card's IRQ sets. */
export const IRQ_BIT = 1;

/** The driver's own pages: descriptor rings, transmit headers, the receive pool. */
export const PRIVATE_VA = 0x0040_0000;
export const RING_VA = PRIVATE_VA;
export const RX_DESC_OFFSET = 0;
export const TX_DESC_OFFSET = 0x800;
export const HEADER_VA = PRIVATE_VA + 0x1000;
export const HEADER_SLOT_BYTES = 128;
export const POOL_VA = PRIVATE_VA + 0x2000;
/** Session k's region is mirrored in the driver's space at MIRROR_BASE + k * 4 MiB (paid by the session's bank). */
export const MIRROR_BASE = 0x0200_0000;
