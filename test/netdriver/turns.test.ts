// The driver's round-robin cursor (guest/netdriver/turns.ts): one unit per session per turn,
// each pass starting after the session served last, a session that declines left out for the
// rest of the pass, and the cursor following sessions, not positions, when the driver's list
// loses or gains one (killed, opened) between or during passes.

import { describe, expect, it } from 'vitest';
import type { GuestCode } from '../../guest/kernel/api/context.js';
import type { Session } from '../../guest/netdriver/session.js';
import { Turns } from '../../guest/netdriver/turns.js';

/** Stand-ins for sessions: only the id and whether it is dead matter to the turns. */
const session = (id: number) => ({ id, dead: false }) as Session;

/**
 * One pass over `list` with `units` of the resource, each session holding `wants[id]` units
 * of demand; returns the ids in the order they were served (a declining one is not listed).
 * `during(s)` runs as s is asked (to kill or add sessions mid-pass).
 */
function pass(t: Turns, list: Session[], units: number, wants: Record<number, number>, during?: (s: Session) => void): number[] {
  const served: number[] = [];
  let left = units;
  const take = function* (s: Session): GuestCode<boolean> {
    during?.(s);
    if (s.dead || !(wants[s.id]! > 0)) return false;
    wants[s.id]!--;
    left--;
    served.push(s.id);
    return true;
  };
  const g = t.serve(list, () => left > 0, take);
  while (!g.next().done);
  return served;
}

describe('turns', () => {
  it('give one unit per session per turn, and start each pass after the session served last', () => {
    const t = new Turns();
    const list = [1, 2, 3].map(session);
    const wants = { 1: 9, 2: 9, 3: 9 };
    expect(pass(t, list, 5, wants)).toEqual([1, 2, 3, 1, 2]);
    expect(pass(t, list, 4, wants)).toEqual([3, 1, 2, 3]);
    expect(pass(t, list, 1, wants)).toEqual([1]);
  });

  it('leave a session that declines out of the rest of the pass, and end it when nobody wants more', () => {
    const t = new Turns();
    const list = [1, 2, 3].map(session);
    let asked = 0;
    const wants = { 1: 3, 2: 0, 3: 1 };
    expect(pass(t, list, 99, wants, (s) => void (s.id === 2 && asked++))).toEqual([1, 3, 1, 1]);
    expect(asked).toBe(1);
    expect(pass(t, list, 99, wants)).toEqual([]);
  });

  it('follow the sessions, not their places, when one is killed or opened between passes', () => {
    const t = new Turns();
    const [a, b, c] = [1, 2, 3].map(session);
    const list = [a!, b!, c!];
    expect(pass(t, list, 2, { 1: 9, 2: 9, 3: 9 })).toEqual([1, 2]);
    // The session served last goes: its successor is next, not the one after it.
    list.splice(1, 1);
    expect(pass(t, list, 1, { 1: 9, 3: 9 })).toEqual([3]);
    // A session opened after the last one served in the list gets the next turn, not the first.
    list.push(session(4));
    expect(pass(t, list, 3, { 1: 9, 3: 9, 4: 9 })).toEqual([4, 1, 3]);
  });

  it('carry on with the others when a session is killed mid-pass, and leave one opened mid-pass for the next', () => {
    const t = new Turns();
    const list = [1, 2, 3].map(session);
    const wants = { 1: 9, 2: 9, 3: 9, 4: 9 };
    const served = pass(t, list, 14, wants, (s) => {
      if (s.id === 3 && wants[3] === 7) {
        list[2]!.dead = true; // the driver's kill: marked dead, taken out of its list
        list.splice(2, 1);
        list.push(session(4));
      }
    });
    expect(served).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 1, 2, 1, 2, 1, 2]);
    expect(pass(t, list, 2, wants)).toEqual([4, 1]);
  });
});
