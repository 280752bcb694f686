// Notifications (DESIGN.md §4 "notification"): a word of bits for doorbells. `signal` ORs
// bits in; `wait` takes and clears them, blocking while they are zero. Interrupts reach the
// holder of an IRQ capability through one of these (interrupts.ts).

import type { Domain } from './domains.js';
import type { ObjectHeader } from './objects.js';

export interface Notification extends ObjectHeader {
  readonly kind: 'notification';
  readonly frame: number;
  bits: number;
  waiter: Domain | undefined;
}
