// A stack that transmits one given frame when its first frame arrives: the explorer's
// transmit scenarios start a transmission at a cycle they choose by sending the trigger from
// the peer. It notes the cycle of its kick in its probe (`kicks`), keeps every completion, and
// otherwise only waits. Domain code: its DomainContext and session are all it uses.

import type { StackOptions } from './raw-stack.js';

/** The body (for StackOptions.body) that submits `frame` at offset 0 of its transmit area once a frame is delivered. */
export function sendOnTrigger(frame: Uint8Array): NonNullable<StackOptions['body']> {
  return function* (ctx, s, probe) {
    while ((yield* s.deliveries()).length === 0) if ((yield* s.wait()) === 0) return;
    yield* s.submit(frame, 0, 1);
    probe.kicks.push(ctx.now());
    yield* s.kick();
    for (;;) {
      probe.completions.push(...(yield* s.completions()));
      if ((yield* s.wait()) === 0) return;
    }
  };
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ sendOnTrigger });
