// The layout of a session (DESIGN.md §5): what a stack and the driver agree on.
//
// A session lives in one 4 MiB region of the stack's address space whose page table the
// driver builds (a delegated region), paid from the opaque bank the stack handed over:
//   page 0                      control page: the four rings and the session info (stack: read-write)
//   pages 1 .. txPages          transmit buffers the stack fills (stack: read-write)
//   then rxBuffers pages        receive buffers, one frame each (stack: READ-ONLY)
// Buffer numbers in ring entries are indexes into the session's own buffers, so a stack can
// name no page but its own: the bounds check is the ownership check.
//
// Control page (offsets in bytes, every field a little-endian 32-bit word). Each ring has a
// producer and a consumer index, free-running 32-bit counters; only the producer writes the
// first and only the consumer the second, and neither side ever reads back its own.

export const PAGE_BYTES = 4096;
export const REGION_BYTES = 4 * 1024 * 1024;

/** Entries are four words: 16 bytes. */
export const ENTRY_WORDS = 4;
export const ENTRY_BYTES = ENTRY_WORDS * 4;
/** Largest ring: four rings of 16-byte entries after the header must fit in the control page. */
export const MAX_RING_SIZE = 32;

export interface RingLayout {
  readonly prodOffset: number;
  readonly consOffset: number;
  readonly entriesOffset: number;
}

/** The four rings: who produces (P) and who consumes (C). */
export const TX_SUBMIT: RingLayout = Object.freeze({ prodOffset: 0x00, consOffset: 0x04, entriesOffset: 0x100 }); // P stack, C driver
export const TX_DONE: RingLayout = Object.freeze({ prodOffset: 0x08, consOffset: 0x0c, entriesOffset: 0x100 + 1 * MAX_RING_SIZE * ENTRY_BYTES }); // P driver, C stack
export const RX_FILL: RingLayout = Object.freeze({ prodOffset: 0x10, consOffset: 0x14, entriesOffset: 0x100 + 2 * MAX_RING_SIZE * ENTRY_BYTES }); // P stack, C driver
export const RX_DELIVER: RingLayout = Object.freeze({ prodOffset: 0x18, consOffset: 0x1c, entriesOffset: 0x100 + 3 * MAX_RING_SIZE * ENTRY_BYTES }); // P driver, C stack

/** Session info the driver writes at session setup (the stack reads it; the driver never reads it back). */
export const INFO_IP = 0x20;
export const INFO_MAC_LO = 0x24; // MAC bytes 0-3
export const INFO_MAC_HI = 0x28; // MAC bytes 4-5
export const INFO_RING_SIZE = 0x2c;
export const INFO_TX_PAGES = 0x30;
export const INFO_RX_BUFFERS = 0x34;

/*
 * Entries (words 0..3):
 *   TX_SUBMIT   offset in the transmit area, frame length, cookie, -
 *   TX_DONE     cookie, status (0 sent, else a TxStatus code), -, -
 *   RX_FILL     receive buffer number, -, -, -
 *   RX_DELIVER  receive buffer number, frame length, how it came (DeliverHow bits), -
 */
export const TX_SENT = 0;
/** TX_DONE status of a frame the card failed to send (bus error, underrun); rejections use txStatusOf. */
export const TX_FAILED = 0xffff;
export const DELIVER_COPIED = 1;
export const DELIVER_FLIPPED = 2;
export const DELIVER_EXCHANGED = 4;

/** The size of a session, chosen by the stack and checked by the driver. */
export interface Geometry {
  /** Entries per ring (power of two, 1 .. MAX_RING_SIZE). */
  readonly ringSize: number;
  /** Pages of transmit buffers. */
  readonly txPages: number;
  /** Receive buffers (one page each). */
  readonly rxBuffers: number;
}

/** Page index of the control page, first transmit page and first receive buffer in the region. */
export const CONTROL_PAGE = 0;
export const txPage = (i: number) => 1 + i;
export const rxPage = (g: Geometry, i: number) => 1 + g.txPages + i;
export const regionPages = (g: Geometry) => 1 + g.txPages + g.rxBuffers;

/** Why a geometry is unacceptable, or undefined. `maxPages` bounds what one session may ask for. */
export function checkGeometry(g: Geometry, maxPages: number): string | undefined {
  const int = (x: unknown) => typeof x === 'number' && Number.isInteger(x);
  if (!int(g.ringSize) || g.ringSize < 1 || g.ringSize > MAX_RING_SIZE || (g.ringSize & (g.ringSize - 1)) !== 0) return `ring size must be a power of two from 1 to ${MAX_RING_SIZE}`;
  if (!int(g.txPages) || g.txPages < 1) return 'at least one transmit page is needed';
  if (!int(g.rxBuffers) || g.rxBuffers < 1) return 'at least one receive buffer is needed';
  if (regionPages(g) > maxPages) return `a session may have at most ${maxPages} pages`;
  return undefined;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ txPage, rxPage, regionPages, checkGeometry });
