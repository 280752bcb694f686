// Attack 3 of issue 9, mutable shared modules, as a hostile stack body. Every domain imports
// the same module instances, so an export one domain could change would change it for all:
// the ring layout (the driver would write its deliveries where the neighbour never looks),
// the driver's defaults, a class prototype the driver's rings or the neighbour's session use,
// the prototype of the generators a driver function makes. The attack lets the neighbour
// exchange echoes for a while, then tries each change; `out` records what happened.

import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { DEFAULTS } from '../../../guest/netdriver/config.js';
import { transmit } from '../../../guest/netdriver/transmit.js';
import type { ClientSession } from '../../../guest/session/client.js';
import { RX_DELIVER } from '../../../guest/session/layout.js';
import { OPEN_STATUS } from '../../../guest/session/protocol.js';
import { RingReader } from '../../../guest/session/ring.js';

export interface MutableModuleOutcome {
  /** For each change tried: 'changed' or the error's name. */
  attempts: Record<string, string>;
  /** The cycle of the first attempt. */
  at: number;
}

/** How long the hostile waits before it tries (the neighbour is exchanging echoes by then). */
export const QUIET_CYCLES = 2 * 133_000;

type Writable = Record<string, unknown>;

export function mutableModuleAttack(out: MutableModuleOutcome, onAttempt?: () => void): (ctx: DomainContext, s: ClientSession) => GuestCode {
  return function* (ctx, s) {
    yield* ctx.invoke(s.notification, 'wait', { timeout: QUIET_CYCLES });
    out.at = ctx.now();
    onAttempt?.();
    const tries: [string, () => void][] = [
      ["the ring layout's delivery offset", () => ((RX_DELIVER as unknown as Writable).entriesOffset = 0x40)],
      ["the driver's default pin limit", () => ((DEFAULTS as unknown as Writable).pinLimit = 0)],
      ["the open statuses", () => (OPEN_STATUS as unknown as string[]).push('owned')],
      ['the ring reader prototype', () => ((RingReader.prototype as unknown as Writable).take = () => undefined)],
      ["the session class's prototype", () => ((Object.getPrototypeOf(s) as Writable).post = () => undefined)],
      ["the driver's transmit generators", () => Object.defineProperty(transmit.prototype as object, 'next', { value: () => ({ done: true, value: undefined }) })],
    ];
    for (const [what, change] of tries) {
      try {
        change();
        out.attempts[what] = 'changed';
      } catch (e) {
        out.attempts[what] = e instanceof Error ? e.name : typeof e;
      }
    }
  };
}
