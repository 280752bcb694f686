// The retransmission timer (guest/netstack/tcp/rto.ts): RFC 6298's formulas worked by hand,
// the 1 s floor and the 60 s ceiling in cycles, Karn's rule and exponential backoff.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialRto, rfc6298Params, rtoOnAck, rtoOnSend, rtoOnTimeout, rttSample, type RtoParams } from '../../../guest/netstack/tcp/rto.js';

const HZ = 133_000_000;
const MS = 1000; // a toy clock of 1000 cycles per millisecond keeps the worked values exact
const RFC = rfc6298Params(1000 * MS);
const NO_FLOOR: RtoParams = { ...RFC, min: 0 };

describe('RFC 6298 values', () => {
  it('expresses the RFC defaults in cycles', () => {
    expect(rfc6298Params(HZ)).toEqual({ initial: HZ, min: HZ, max: 60 * HZ, granularity: 1 });
    expect(rfc6298Params(HZ, 1_330_000).granularity).toBe(1_330_000);
    expect(initialRto(rfc6298Params(HZ)).rto).toBe(HZ); // §2.1: 1 s before any sample
  });

  it('works the first and second samples by hand (§2.2, §2.3)', () => {
    // First R = 100 ms: SRTT = 100, RTTVAR = 50, RTO = 100 + 4 * 50 = 300 ms.
    const a = rttSample(initialRto(NO_FLOOR), 100 * MS, NO_FLOOR);
    expect(a).toMatchObject({ srtt: 100 * MS, rttvar: 50 * MS, rto: 300 * MS });
    // R' = 200 ms: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5, SRTT = 7/8 * 100 + 1/8 * 200 = 112.5,
    // RTO = 112.5 + 4 * 62.5 = 362.5 ms. RTTVAR uses the SRTT from before this sample.
    const b = rttSample(a, 200 * MS, NO_FLOOR);
    expect(b).toMatchObject({ srtt: 112.5 * MS, rttvar: 62.5 * MS, rto: 362.5 * MS });
    // R' = 112.5 ms exactly: the variation decays by 3/4, SRTT stays: RTO = 112.5 + 4 * 46.875 = 300 ms.
    expect(rttSample(b, 112.5 * MS, NO_FLOOR)).toMatchObject({ srtt: 112.5 * MS, rttvar: 46.875 * MS, rto: 300 * MS });
  });

  it('rounds RTO up to the 1 s minimum (§2.4) and caps it at the maximum (§2.5)', () => {
    expect(rttSample(initialRto(RFC), 100 * MS, RFC).rto).toBe(1000 * MS);
    expect(rttSample(initialRto(RFC), 300 * MS, RFC).rto).toBe(1000 * MS); // 300 + 4 * 150 = 900 ms
    expect(rttSample(initialRto(RFC), 400 * MS, RFC).rto).toBe(1200 * MS); // 400 + 4 * 200
    expect(rttSample(initialRto(RFC), 30_000 * MS, RFC).rto).toBe(60_000 * MS); // 30 + 4 * 15 = 90 s, capped
  });

  it('uses the clock granularity when the variation is smaller (§2.2: RTO = SRTT + max(G, K * RTTVAR))', () => {
    const coarse: RtoParams = { ...NO_FLOOR, granularity: 500 * MS };
    expect(rttSample(initialRto(coarse), 100 * MS, coarse).rto).toBe(600 * MS);
    // A steady 100 ms: RTTVAR decays by 3/4 a sample (50 * (3/4)^39 ms after 40), so G = 2 ms decides.
    const fine: RtoParams = { ...NO_FLOOR, granularity: 2 * MS };
    const steady = Array.from({ length: 40 }, () => 100 * MS).reduce((s, r) => rttSample(s, r, fine), initialRto(fine));
    expect(steady).toMatchObject({ srtt: 100 * MS, rto: 102 * MS });
  });
});

describe('measuring', () => {
  it('times one segment at a time and samples on the ACK that covers it, across the wrap', () => {
    let s = rtoOnSend(initialRto(NO_FLOOR), 0x0000_0010, 1000, false); // the segment [0xfffffff0, 0x10)
    s = rtoOnSend(s, 0x0000_0020, 1500, false); // a second one while timing: not timed
    expect(s.timing).toEqual({ endSeq: 0x10, sentAt: 1000 });
    expect(rtoOnAck(s, 0xffff_fff8, 90_000, NO_FLOOR)).toBe(s); // a partial ACK: no sample
    s = rtoOnAck(s, 0x0000_0010, 101_000, NO_FLOOR);
    expect(s).toMatchObject({ srtt: 100 * MS, timing: undefined });
  });

  it("Karn's rule: a retransmission ends the measurement, so its ACK gives no sample", () => {
    let s = rtoOnSend(initialRto(NO_FLOOR), 100, 0, false);
    s = rtoOnSend(s, 100, 5000 * MS, true);
    expect(s.timing).toBeUndefined();
    expect(rtoOnAck(s, 100, 5001 * MS, NO_FLOOR).srtt).toBeUndefined();
    // Nor does a timeout's retransmission: the timer ends the measurement too.
    const t = rtoOnTimeout(rtoOnSend(initialRto(NO_FLOOR), 100, 0, false), NO_FLOOR);
    expect(rtoOnAck(t, 100, 3000 * MS, NO_FLOOR).srtt).toBeUndefined();
  });

  it('backs off exponentially up to the maximum (§5.5), until a new sample', () => {
    const p = rfc6298Params(HZ);
    const rtos: number[] = [];
    let s = initialRto(p);
    for (let i = 0; i < 8; i++) {
      s = rtoOnTimeout(s, p);
      rtos.push(s.rto / HZ);
    }
    expect(rtos).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
    expect(s.backoffs).toBe(8);
    s = rtoOnAck(rtoOnSend(s, 1, 0, false), 1, HZ / 10, p);
    expect(s).toMatchObject({ rto: HZ, backoffs: 0 });
  });

  it('RTO stays within [min, max] and at least SRTT + G for any samples', () => {
    const p: RtoParams = { initial: 1000, min: 200, max: 50_000, granularity: 10 };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 30 }), (samples) => {
        const s = samples.reduce((st, r) => rttSample(st, r, p), initialRto(p));
        expect(s.rto).toBeGreaterThanOrEqual(p.min);
        expect(s.rto).toBeLessThanOrEqual(p.max);
        expect(s.rto).toBeGreaterThanOrEqual(Math.min(p.max, s.srtt! + p.granularity));
        expect(s.srtt).toBeLessThanOrEqual(Math.max(...samples));
        expect(s.srtt).toBeGreaterThanOrEqual(Math.min(...samples));
      }),
    );
  });
});
