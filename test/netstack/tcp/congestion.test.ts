// Congestion control (guest/netstack/tcp/congestion.ts): the initial window table, slow
// start and congestion avoidance, a NewReno fast retransmit and recovery walked ACK by ACK
// with the sequence numbers wrapping mid-flight, the timeout response, and invariants over
// random event sequences.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialCongestion, initialWindow, isDuplicateAck, onDuplicateAck, onNewAck, onRetransmitTimeout, type CongestionState } from '../../../guest/netstack/tcp/congestion.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../../../guest/netstack/tcp/segment.js';
import { seqAdd } from '../../../guest/netstack/tcp/seq.js';

const SMSS = 1000;

describe('initial window (RFC 5681 §3.1)', () => {
  it('is 4, 3 or 2 segments by SMSS', () => {
    expect([536, 1095, 1096, 1460, 2190, 2191, 9000].map(initialWindow)).toEqual([2144, 4380, 3288, 4380, 6570, 4382, 18000]);
  });

  it("gives as many whole segments as RFC 3390's byte bound for SMSS up to 1460 and above 2190", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 1460 }), fc.integer({ min: 2191, max: 65535 })), (smss) => {
        expect(initialWindow(smss)).toBe(Math.floor(Math.min(4 * smss, Math.max(2 * smss, 4380)) / smss) * smss);
      }),
    );
  });

  it('starts with recover = ISS and ssthresh arbitrarily high', () => {
    expect(initialCongestion(1460, 77)).toMatchObject({ cwnd: 4380, ssthresh: Infinity, recover: 77, recovering: false, dupAcks: 0 });
    expect(initialCongestion(1460, 77, 65535).ssthresh).toBe(65535);
  });
});

describe('growth', () => {
  it('slow start adds min(N, SMSS) per ACK: cwnd doubles each round trip', () => {
    let s = initialCongestion(SMSS, 0xffff_ff00);
    let una = seqAdd(0xffff_ff00, 1);
    for (const acked of [1000, 1000, 500, 3000]) {
      const next = seqAdd(una, acked);
      s = onNewAck(s, una, next, seqAdd(next, 10_000)).state;
      una = next;
    }
    expect(s.cwnd).toBe(4000 + 1000 + 1000 + 500 + 1000);
  });

  it('congestion avoidance adds SMSS * SMSS / cwnd per ACK, at least one byte', () => {
    const s: CongestionState = { ...initialCongestion(SMSS, 0), cwnd: 10_000, ssthresh: 8000 };
    expect(onNewAck(s, 1, 1001, 20_000).state.cwnd).toBe(10_100);
    const huge: CongestionState = { ...s, cwnd: 2_000_000, ssthresh: 1000 };
    expect(onNewAck(huge, 1, 1001, 20_000).state.cwnd).toBe(2_000_001);
  });

  it('an ACK of nothing new changes nothing', () => {
    const s = initialCongestion(SMSS, 0);
    expect(onNewAck(s, 500, 500, 900).state).toBe(s);
    expect(onNewAck(s, 500, 400, 900).state).toBe(s);
  });
});

describe('duplicate ACKs (RFC 5681 §2)', () => {
  const dup = { flags: TCP_ACK, ack: 0xffff_fff0, window: 8192, payload: new Uint8Array(0) };
  it('are bare ACKs of SND.UNA with the last window while data is outstanding', () => {
    expect(isDuplicateAck(dup, 0xffff_fff0, 0x10, 8192)).toBe(true); // outstanding across the wrap
    expect(isDuplicateAck({ ...dup, flags: TCP_ACK | TCP_PSH }, 0xffff_fff0, 0x10, 8192)).toBe(true);
    expect(isDuplicateAck(dup, 0xffff_fff0, 0xffff_fff0, 8192)).toBe(false); // nothing outstanding
    expect(isDuplicateAck({ ...dup, payload: Uint8Array.of(1) }, 0xffff_fff0, 0x10, 8192)).toBe(false);
    expect(isDuplicateAck({ ...dup, flags: TCP_ACK | TCP_FIN }, 0xffff_fff0, 0x10, 8192)).toBe(false);
    expect(isDuplicateAck({ ...dup, flags: TCP_ACK | TCP_SYN }, 0xffff_fff0, 0x10, 8192)).toBe(false);
    expect(isDuplicateAck({ ...dup, flags: 0 }, 0xffff_fff0, 0x10, 8192)).toBe(false);
    expect(isDuplicateAck({ ...dup, ack: 0xffff_fff1 }, 0xffff_fff0, 0x10, 8192)).toBe(false);
    expect(isDuplicateAck(dup, 0xffff_fff0, 0x10, 4096)).toBe(false); // a window update
  });
});

describe('fast retransmit and NewReno recovery (RFC 5681 §3.2, RFC 6582 §3.2)', () => {
  it('walks ten segments with three lost, the sequence numbers wrapping mid-flight', () => {
    const iss = 0xffff_ffff - 4499; // the byte at offset 4499 is sequence number 0
    const base = seqAdd(iss, 1);
    const at = (k: number) => seqAdd(base, k);
    const sndMax = at(10_000); // segments 0..9 of 1000 bytes sent; 2, 5 and 8 are lost
    let s: CongestionState = { ...initialCongestion(SMSS, iss), cwnd: 10_000, ssthresh: 8000 };

    let r = onNewAck(s, base, at(2000), sndMax); // segments 0 and 1
    expect(r).toMatchObject({ retransmit: false, state: { cwnd: 10_100 } });
    s = r.state;
    for (const n of [1, 2]) {
      r = onDuplicateAck(s, at(2000), sndMax); // segments 3, 4
      expect(r).toMatchObject({ retransmit: false, state: { dupAcks: n, cwnd: 10_100, recovering: false } });
      s = r.state;
    }
    r = onDuplicateAck(s, at(2000), sndMax); // segment 6: the third duplicate
    // FlightSize 8000: ssthresh = 4000, cwnd = 4000 + 3 * 1000, recover = the highest byte sent.
    expect(r).toMatchObject({ retransmit: true, state: { ssthresh: 4000, cwnd: 7000, recovering: true, recover: at(9999) } });
    s = r.state;
    s = onDuplicateAck(s, at(2000), sndMax).state; // segment 7: inflate
    r = onDuplicateAck(s, at(2000), sndMax); // segment 9
    expect(r).toMatchObject({ retransmit: false, state: { cwnd: 9000 } });
    s = r.state;

    r = onNewAck(s, at(2000), at(5000), sndMax); // the retransmitted 2 fills up to the hole at 5: a partial ACK
    expect(r).toMatchObject({ retransmit: true, resetTimer: true, state: { cwnd: 9000 - 3000 + 1000, recovering: true, dupAcks: 0 } });
    s = r.state;
    r = onNewAck(s, at(5000), at(8000), sndMax); // the second partial ACK: no timer reset this time
    expect(r).toMatchObject({ retransmit: true, resetTimer: false, state: { cwnd: 5000, recovering: true } });
    s = r.state;
    r = onNewAck(s, at(8000), at(10_000), sndMax); // past recover: a full ACK, nothing outstanding
    expect(r).toMatchObject({ retransmit: false, resetTimer: false, state: { cwnd: 2000, ssthresh: 4000, recovering: false } });
  });

  it('leaves recovery with min(ssthresh, FlightSize + SMSS), then grows by slow start', () => {
    const s: CongestionState = { ...initialCongestion(SMSS, 0), cwnd: 9000, ssthresh: 4000, recovering: true, recover: 9999 };
    const out = onNewAck(s, 5000, 10_000, 12_000).state; // 2000 still in flight
    expect(out).toMatchObject({ cwnd: 3000, recovering: false });
    expect(onNewAck(out, 10_000, 11_000, 12_000).state.cwnd).toBe(4000);
    expect(onNewAck(s, 5000, 10_000, 20_000).state.cwnd).toBe(4000); // capped at ssthresh
  });

  it('a partial ACK of less than SMSS deflates without adding SMSS back', () => {
    const s: CongestionState = { ...initialCongestion(SMSS, 0), cwnd: 9000, ssthresh: 4000, recovering: true, recover: 9999 };
    expect(onNewAck(s, 2000, 2500, 10_000).state.cwnd).toBe(8500);
  });

  it('no new recovery from duplicates that do not cover recover (RFC 6582 §3.2 step 2)', () => {
    // After a timeout at highest sent 20_000, recover = 19_999: duplicates of 15_000 start nothing.
    let s = onRetransmitTimeout(initialCongestion(SMSS, 0), 10_000, 20_000);
    for (let i = 0; i < 5; i++) {
      const r = onDuplicateAck(s, 15_000, 20_000);
      expect(r.retransmit).toBe(false);
      s = r.state;
    }
    expect(s).toMatchObject({ recovering: false, cwnd: SMSS });
    // Once the cumulative ACK passes recover, the third duplicate does start one.
    s = onNewAck(s, 15_000, 20_000, 25_000).state;
    s = onDuplicateAck(onDuplicateAck(s, 20_000, 25_000).state, 20_000, 25_000).state;
    expect(onDuplicateAck(s, 20_000, 25_000)).toMatchObject({ retransmit: true, state: { recovering: true } });
  });
});

describe('retransmission timeout (RFC 5681 §3.1)', () => {
  it('sets cwnd to one segment and ssthresh to half the flight, held on a repeated expiry', () => {
    const s: CongestionState = { ...initialCongestion(SMSS, 0xffff_0000), cwnd: 20_000, ssthresh: 30_000 };
    const once = onRetransmitTimeout(s, 0xffff_f000, 0x0000_3000); // 16 KiB in flight across the wrap
    expect(once).toMatchObject({ cwnd: SMSS, ssthresh: 8192, recover: 0x2fff, recovering: false, timedOut: true });
    expect(onRetransmitTimeout(once, 0xffff_f000, 0x0000_3000).ssthresh).toBe(8192);
    expect(onRetransmitTimeout({ ...s, cwnd: 3000 }, 0, 1000).ssthresh).toBe(2 * SMSS); // never below 2 SMSS
    const acked = onNewAck(once, 0xffff_f000, 0xffff_f400, 0x0000_3000).state; // new data acked: slow start again
    expect(acked).toMatchObject({ cwnd: 2000, timedOut: false });
    expect(onRetransmitTimeout(acked, 0xffff_f400, 0x0000_3000).ssthresh).toBe(Math.max(2 * SMSS, Math.floor(0x3c00 / 2)));
  });

  it('ends fast recovery', () => {
    const s: CongestionState = { ...initialCongestion(SMSS, 0), cwnd: 9000, ssthresh: 4000, recovering: true, recover: 9999, dupAcks: 5 };
    expect(onRetransmitTimeout(s, 2000, 10_000)).toMatchObject({ recovering: false, dupAcks: 0, cwnd: SMSS });
  });
});

describe('invariants over random events', () => {
  type Event = { kind: 'ack'; bytes: number } | { kind: 'dup' } | { kind: 'timeout' } | { kind: 'send'; bytes: number };
  const event: fc.Arbitrary<Event> = fc.oneof(
    fc.record({ kind: fc.constant('ack' as const), bytes: fc.integer({ min: 1, max: 3000 }) }),
    fc.record({ kind: fc.constant('dup' as const) }),
    fc.record({ kind: fc.constant('timeout' as const) }),
    fc.record({ kind: fc.constant('send' as const), bytes: fc.integer({ min: 1, max: 5000 }) }),
  );

  it('cwnd never falls below SMSS, ssthresh below 2 SMSS, and recovery exits only on a timeout or an ACK past recover', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 100, max: 9000 }), fc.array(event, { maxLength: 60 }), (iss, smss, events) => {
        let s = initialCongestion(smss, iss);
        let una = seqAdd(iss, 1);
        let outstanding = 0;
        for (const e of events) {
          const max = seqAdd(una, outstanding);
          const was = s;
          if (e.kind === 'send') outstanding += e.bytes;
          else if (e.kind === 'timeout') s = onRetransmitTimeout(s, una, max);
          else if (outstanding === 0) continue;
          else if (e.kind === 'dup') s = onDuplicateAck(s, una, max).state;
          else {
            const n = Math.min(e.bytes, outstanding);
            s = onNewAck(s, una, seqAdd(una, n), max).state;
            una = seqAdd(una, n);
            outstanding -= n;
          }
          expect(s.cwnd).toBeGreaterThanOrEqual(smss);
          expect(s.ssthresh).toBeGreaterThanOrEqual(2 * smss);
          if (was.recovering && !s.recovering && e.kind !== 'timeout') expect(e.kind).toBe('ack');
        }
      }),
    );
  });
});
