// A hostile stack that, once a frame reaches it, tries to receive on the driver's endpoint
// (its slot for calling the driver) over and over, to take the messages meant for the driver:
// the IRQ forwarder's interrupts, other stacks' OPENs and KICKs (issue 9, attack 1). With the
// send-only capability it was given the first receive is refused and it stops; it notes in
// its probe (`writeAttempts`) each refusal or stolen message.

import { STACK_SLOTS, type StackOptions } from './raw-stack.js';

/** Most receives it tries (each waits at most `timeout` cycles). */
const TRIES = 200;

export function stealDriverMessages(timeout: number): NonNullable<StackOptions['body']> {
  return function* (ctx, s, probe) {
    while ((yield* s.deliveries()).length === 0) if ((yield* s.wait()) === 0) return;
    for (let i = 0; i < TRIES; i++) {
      const r = yield* ctx.invoke(STACK_SLOTS.driver, 'recv', { timeout });
      if (!r.ok && r.error === 'timeout') continue;
      if (!r.ok) return void probe.writeAttempts.push(`recv refused: ${r.error}`);
      probe.writeAttempts.push(`stole label ${r.value.label} from badge ${r.value.badge}`);
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ stealDriverMessages });
