// The driver's counters (guest/netdriver/counters.ts): every reason is present from the
// start, events count in the session and globally, snapshots do not move.

import { describe, expect, it } from 'vitest';
import { count, countDrop, countPins, countReject, newCounters, newGlobalCounters, snapshot, total } from '../../guest/netdriver/counters.js';
import { DROP_REASONS } from '../../guest/net/demux.js';
import { REJECT_REASONS } from '../../guest/session/reasons.js';

describe('counters', () => {
  it('start at zero for every reason and count per session and globally', () => {
    const g = newGlobalCounters();
    const s = newCounters();
    expect(Object.keys(g.dropped)).toEqual([...DROP_REASONS]);
    expect(Object.keys(s.rejected)).toEqual([...REJECT_REASONS]);
    count(g, s, 'delivered');
    count(g, undefined, 'copied');
    countDrop(g, undefined, 'unknown-destination');
    countDrop(g, s, 'no-buffer');
    countReject(g, s, 'duplicate');
    countPins(g, s, 3);
    countPins(g, s, -2);
    expect([g.delivered, s.delivered, g.copied, s.copied]).toEqual([1, 1, 1, 0]);
    expect([total(g.dropped), total(s.dropped), s.dropped['no-buffer']]).toEqual([2, 1, 1]);
    expect([g.rejected.duplicate, s.rejected.duplicate]).toEqual([1, 1]);
    expect([s.pinnedNow, s.pinnedPeak, g.pinnedNow]).toEqual([1, 3, 1]);
    const snap = snapshot(s);
    countDrop(g, s, 'no-buffer');
    expect(snap.dropped['no-buffer']).toBe(1);
    expect(JSON.parse(JSON.stringify(g))).toEqual(g); // plain data, as the CLI prints it
  });
});
