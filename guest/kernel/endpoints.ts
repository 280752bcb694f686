// Endpoints (DESIGN.md §4 "Endpoint"): rendezvous points for synchronous call/reply and send.
// A sender or receiver that finds no partner waits in the endpoint's queue; kernel-made
// messages (fault reports to keepers) wait in the same send queue with no sender.

import type { Message } from './api/context.js';
import type { CapSlot } from './caps.js';
import type { Domain } from './domains.js';
import type { ObjectHeader } from './objects.js';

export interface QueuedSend {
  /** The waiting sender, or undefined for a kernel message. */
  readonly from: Domain | undefined;
  readonly call: boolean;
  readonly msg: Message;
  readonly caps: CapSlot[];
  readonly badge: number;
}

export interface Endpoint extends ObjectHeader {
  readonly kind: 'endpoint';
  readonly frame: number;
  readonly senders: QueuedSend[];
  readonly receivers: Domain[];
}
