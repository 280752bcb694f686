// The messages between a stack and the driver (DESIGN.md §5, "Session setup"), and the
// notification bits the driver signals. Everything else between them goes through the rings.
//
// OPEN (call): words [ringSize, txPages, rxBuffers, regionVa]; caps [opaque sub-bank, the
//   delegated region of the stack's space at regionVa]. The driver allocates the session
//   from a session bank under that bank and builds the region, all or nothing (a failed
//   OPEN leaves nothing of itself in the driver); reply words [status, session id, IPv4
//   address], caps [the session's notification, wait-only].
// KICK (send): "I wrote to my rings" (the doorbell); no reply.
// The driver's interrupt forwarder sends IRQ messages on the same endpoint.

export const LABEL_OPEN = 1;
export const LABEL_KICK = 2;
export const LABEL_IRQ = 3;
export const LABEL_REPLY = 0x10;

/** Reply status of OPEN. */
export const OPEN_STATUS = Object.freeze(['ok', 'no-address', 'too-many', 'bad-geometry', 'no-slots', 'setup-failed'] as const);
export type OpenStatus = (typeof OPEN_STATUS)[number];

/** Bits the driver signals on a session's notification. */
export const NOTIFY_RX = 1;
export const NOTIFY_TX = 2;
