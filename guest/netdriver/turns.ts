// Round-robin service (DESIGN.md §6 item 8, issue 9 attack 6): how the driver shares what
// several sessions want at once, the card's transmitter and (flip, hybrid) its receive slots.
// Sessions take turns, one unit each per turn (one frame, one armed buffer), for as long as the
// resource lasts and someone wants it; the next pass starts with the session after the one
// served last. So N busy sessions get 1/N each, whatever one of them submits or posts.
//
// The cursor is the id of the session served last, not a position in the driver's list: the
// list shrinks when a session is killed and grows when one opens, and a position would then
// point at a different session (one turn skipped or given twice). Ids grow with every OPEN and
// the driver appends each new session, so the list is in id order and "the one after" is the
// first with a larger id, whoever was killed or added since.

import type { GuestCode } from '../kernel/api/context.js';
import type { Session } from './session.js';

export class Turns {
  /** Id of the session served last (0: nobody yet; session ids start at 1). */
  private last = 0;

  /**
   * Offer turns, starting with the session after the one served last: `take(s)` gives s one
   * unit and says whether s took it. A session that declines is not asked again in this pass
   * (what it lacks, entries, room, buffers, comes back only between passes); the pass ends when
   * nobody is left or `more()` says the resource is used up. The pass works on a copy of the
   * list: a session killed meanwhile declines (take must refuse a dead session), one opened
   * meanwhile waits for the next pass.
   */
  *serve(sessions: readonly Session[], more: () => boolean, take: (s: Session) => GuestCode<boolean>): GuestCode {
    // The copy is built and shrunk by plain loops: in the hardened realm spread, slice and
    // splice take V8's slow generic paths (realm.ts), and this runs at every pass.
    const n = sessions.length;
    const start = Math.max(0, sessions.findIndex((s) => s.id > this.last));
    const order: Session[] = [];
    for (let i = 0; i < n; i++) order.push(sessions[(start + i) % n]!);
    while (order.length > 0 && more()) {
      for (let k = 0; k < order.length && more(); ) {
        const s = order[k]!;
        if (yield* take(s)) {
          this.last = s.id;
          k++;
        } else removeAt(order, k);
      }
    }
  }
}

/** Remove `list[k]`, moving the later elements down one place. */
function removeAt<T>(list: T[], k: number): void {
  for (let i = k + 1; i < list.length; i++) list[i - 1] = list[i]!;
  list.pop();
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ Turns });
