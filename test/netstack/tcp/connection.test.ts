// The TCP connection (guest/netstack/tcp/connection.ts): two connections wired back to back
// through an in-test wire that builds each output segment to bytes and parses it back
// (segment.ts, checksums included), dropping, duplicating or delaying segments as a plan
// decided by a seeded generator says. Handshake with MSS, 200 KB byte-exact across the 2^32
// wrap, loss recovered by timeout and by fast retransmit, orderly close to TIME-WAIT and
// CLOSED, RST handling.

import { describe, expect, it } from 'vitest';
import { Connection, resetFor, type ConnectionParams, type OutSegment } from '../../../guest/netstack/tcp/connection.js';
import { rfc6298Params } from '../../../guest/netstack/tcp/rto.js';
import { buildSegment, parseSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from '../../../guest/netstack/tcp/segment.js';
import { seqAdd, seqDiff } from '../../../guest/netstack/tcp/seq.js';
import { joined, seeded } from '../seeded.js';

const IP_A = 0x0a00_0001;
const IP_B = 0x0a00_0002;
const PORT_A = 40_000;
const PORT_B = 80;
/** A clock of 1e6 cycles per "second": RTO 1 s = 1e6 cycles; each wire round is 1000 cycles. */
const CPS = 1_000_000;
const ROUND = 1_000;
const TIME_WAIT = 4 * CPS;

type Fate = 'pass' | 'drop' | 'dup' | 'delay';

function params(over: Partial<ConnectionParams> & Pick<ConnectionParams, 'localPort' | 'iss'>): ConnectionParams {
  return { mss: 1460, sendBuffer: 64 * 1024, receiveBuffer: 65_535, rto: rfc6298Params(CPS), timeWait: TIME_WAIT, ...over };
}

interface Sent {
  readonly seg: TcpSegment;
  readonly from: 'a' | 'b';
}

/** Two connections and the wire between them; `fate(direction, index)` decides each segment's lot. */
class Wire {
  now = 0;
  readonly log: Sent[] = [];
  private inFlight: { to: 'a' | 'b'; seg: TcpSegment; at: number }[] = [];
  private counts = { a: 0, b: 0 };

  constructor(readonly a: Connection, readonly b: Connection, private readonly fate: (from: 'a' | 'b', index: number, seg: TcpSegment) => Fate = () => 'pass') {}

  /** Build, parse and schedule what each side has to send. */
  private collect(): void {
    for (const from of ['a', 'b'] as const) {
      const conn = from === 'a' ? this.a : this.b;
      const [src, dst] = from === 'a' ? [IP_A, IP_B] : [IP_B, IP_A];
      for (const out of conn.takeSegments()) {
        const parsed = parseSegment(buildSegment(out.fields, out.payload, src, dst), src, dst);
        if (typeof parsed === 'string') throw new Error(parsed);
        this.log.push({ seg: parsed, from });
        const to = from === 'a' ? 'b' : 'a';
        const lot = this.fate(from, this.counts[from]++, parsed);
        if (lot === 'drop') continue;
        this.inFlight.push({ to, seg: parsed, at: this.now + ROUND * (lot === 'delay' ? 3 : 1) });
        if (lot === 'dup') this.inFlight.push({ to, seg: parsed, at: this.now + ROUND * 2 });
      }
    }
  }

  /** One round: deliver what is due, then let both clocks tick. */
  step(): void {
    this.collect();
    this.now += ROUND;
    const due = this.inFlight.filter((f) => f.at <= this.now);
    this.inFlight = this.inFlight.filter((f) => f.at > this.now);
    for (const f of due) (f.to === 'a' ? this.a : this.b).segment(f.seg, this.now);
    this.a.tick(this.now);
    this.b.tick(this.now);
    this.collect();
  }

  /** Step until `done`, failing after `limit` rounds. */
  run(done: () => boolean, limit = 100_000, each?: () => void): void {
    for (let i = 0; !done(); i++) {
      if (i >= limit) throw new Error(`not done after ${limit} rounds: a ${this.a.state}, b ${this.b.state}`);
      each?.();
      this.step();
    }
  }
}

function pair(opts: { issA?: number; issB?: number; mssA?: number; mssB?: number; fate?: ConstructorParameters<typeof Wire>[2]; b?: Partial<ConnectionParams> } = {}): Wire {
  const a = new Connection(params({ localPort: PORT_A, remotePort: PORT_B, iss: opts.issA ?? 0xffff_ff00, mss: opts.mssA ?? 1460 }));
  const b = new Connection(params({ localPort: PORT_B, iss: opts.issB ?? 0xffff_fff0, mss: opts.mssB ?? 1460, ...opts.b }));
  const w = new Wire(a, b, opts.fate);
  b.open('passive', w.now);
  a.open('active', w.now);
  return w;
}

const established = (w: Wire) => () => w.a.state === 'ESTABLISHED' && w.b.state === 'ESTABLISHED';
const pattern = (n: number, seed: number) => {
  const r = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};

/** Send `data` from a to b, reading at b as it arrives; returns what b received. */
function transfer(w: Wire, data: Uint8Array, limit = 200_000): Uint8Array {
  const got: Uint8Array[] = [];
  let offered = 0;
  let received = 0;
  w.run(
    () => received === data.length && w.a.unacknowledged === 0,
    limit,
    () => {
      if (offered < data.length) offered += w.a.send(data.subarray(offered), w.now);
      const chunk = w.b.read(Infinity, w.now);
      got.push(chunk);
      received += chunk.length;
    },
  );
  return joined(got);
}

const dataSegments = (w: Wire, from: 'a' | 'b') => w.log.filter((s) => s.from === from && s.seg.payload.length > 0);

describe('three-way handshake', () => {
  it('active and passive reach ESTABLISHED, SYNs carry the MSS, each side sends at most the smaller MSS', () => {
    const w = pair({ mssA: 1460, mssB: 1200 });
    w.run(established(w), 100);
    const [syn, synAck, ack] = w.log;
    expect(syn).toMatchObject({ from: 'a', seg: { flags: TCP_SYN, seq: 0xffff_ff00, mss: 1460 } });
    expect(synAck).toMatchObject({ from: 'b', seg: { flags: TCP_SYN | TCP_ACK, seq: 0xffff_fff0, ack: 0xffff_ff01, mss: 1200 } });
    expect(ack).toMatchObject({ from: 'a', seg: { flags: TCP_ACK, seq: 0xffff_ff01, ack: 0xffff_fff1, mss: undefined } });
    expect(w.b.send(new Uint8Array(5000), w.now)).toBe(5000);
    expect(w.a.send(new Uint8Array(5000), w.now)).toBe(5000);
    w.run(() => w.a.unacknowledged === 0 && w.b.unacknowledged === 0, 1000, () => {
      w.a.read(Infinity, w.now);
      w.b.read(Infinity, w.now);
    });
    expect(Math.max(...dataSegments(w, 'a').map((s) => s.seg.payload.length))).toBe(1200);
    expect(Math.max(...dataSegments(w, 'b').map((s) => s.seg.payload.length))).toBe(1200);
  });

  it('a lost SYN is sent again when the timer expires', () => {
    const w = pair({ fate: (from, i) => (from === 'a' && i === 0 ? 'drop' : 'pass') });
    w.run(established(w), 5000);
    expect(w.a.stats.timeouts).toBe(1);
    expect(w.log.filter((s) => s.seg.flags === TCP_SYN)).toHaveLength(2);
  });

  it('a segment for a CLOSED connection gets a RST; a SYN-ACK acking the wrong number too', () => {
    const closed = new Connection(params({ localPort: PORT_B, iss: 0 }));
    const seg = (flags: number, seq: number, ack: number, payload = new Uint8Array(0)): TcpSegment => ({
      srcPort: PORT_A, dstPort: PORT_B, seq, ack, flags, window: 1000, urgent: 0, mss: undefined, headerBytes: 20, payload,
    });
    closed.segment(seg(TCP_ACK, 100, 5555, new Uint8Array(10)), 0);
    expect(closed.takeSegments()).toEqual([{ fields: { srcPort: PORT_B, dstPort: PORT_A, seq: 5555, ack: 0, flags: TCP_RST, window: 0 }, payload: new Uint8Array(0) }]);
    closed.segment(seg(TCP_SYN, 0xffff_ffff, 0, new Uint8Array(3)), 0);
    expect(closed.takeSegments()[0]!.fields).toMatchObject({ seq: 0, ack: 3, flags: TCP_RST | TCP_ACK }); // SYN + 3 bytes from 2^32 - 1;
    expect(resetFor(seg(TCP_RST, 1, 2))).toBeUndefined();

    const a = new Connection(params({ localPort: PORT_A, remotePort: PORT_B, iss: 1000 }));
    a.open('active', 0);
    a.takeSegments();
    a.segment(seg(TCP_SYN | TCP_ACK, 7, 1005), 0); // acks beyond our SYN
    expect(a.takeSegments().map((s: OutSegment) => s.fields)).toMatchObject([{ seq: 1005, flags: TCP_RST }]);
    expect(a.state).toBe('SYN-SENT');
  });
});

describe('data transfer', () => {
  it('200 KB arrives byte-exact across the 2^32 wrap of both sides, with no retransmission on a clean wire', () => {
    const w = pair({ issA: 0xffff_f000, issB: 0xffff_fffe });
    w.run(established(w), 100);
    const data = pattern(200 * 1024, 7);
    const got = transfer(w, data);
    expect(got.length).toBe(data.length);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(w.a.stats).toMatchObject({ timeouts: 0, fastRetransmits: 0, retransmittedSegments: 0 });
    // The sequence numbers wrapped: a segment starts before 2^32 and a later one after 0.
    const seqs = dataSegments(w, 'a').map((s) => s.seg.seq);
    expect(seqs[0]).toBe(0xffff_f001);
    expect(seqs.some((s) => s < 0x1000_0000)).toBe(true);
    // The sliding window: many segments in flight at once, never past the window b advertised.
    let ack = 0;
    let right = 0;
    let flight = 0;
    for (const { from, seg } of w.log) {
      if (from === 'b') {
        ack = seg.ack;
        right = seqAdd(seg.ack, seg.window);
      } else if (seg.payload.length > 0) {
        const end = seqAdd(seg.seq, seg.payload.length);
        expect(seqDiff(end, right)).toBeLessThanOrEqual(0);
        flight = Math.max(flight, seqDiff(end, ack));
      }
    }
    expect(flight).toBeGreaterThan(10 * 1460);
  });

  it('with every 7th segment dropped each way, retransmission recovers the exact stream', () => {
    const w = pair({ issA: 0xffff_f000, issB: 0xffff_fffe, fate: (_from, i) => (i % 7 === 6 ? 'drop' : 'pass') });
    w.run(established(w), 10_000);
    const data = pattern(200 * 1024, 11);
    const got = transfer(w, data, 2_000_000);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    const s = w.a.stats;
    expect(s.timeouts).toBeGreaterThan(0);
    expect(s.retransmittedSegments).toBeGreaterThan(0);
    // Every byte was sent at least once more than the clean transfer needs.
    expect(dataSegments(w, 'a').reduce((n, x) => n + x.seg.payload.length, 0)).toBeGreaterThan(data.length);
  });

  it('one lost segment in a full window is repaired by fast retransmit, before any timeout', () => {
    let dataSeen = 0;
    const w = pair({ fate: (from, _i, seg) => (from === 'a' && seg.payload.length > 0 && dataSeen++ === 20 ? 'drop' : 'pass') });
    w.run(established(w), 100);
    const data = pattern(100 * 1024, 3);
    const got = transfer(w, data);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(w.a.stats.fastRetransmits).toBeGreaterThan(0);
    expect(w.a.stats.timeouts).toBe(0);
  });

  it('survives a seeded mix of drops, duplicates and reordering', () => {
    const r = seeded(0x5eed);
    const plan: Fate[] = Array.from({ length: 4096 }, () => {
      const x = r();
      return x < 0.05 ? 'drop' : x < 0.1 ? 'dup' : x < 0.2 ? 'delay' : 'pass';
    });
    const w = pair({ issA: 0xffff_ffff, issB: 0x7fff_ffff, fate: (from, i) => plan[(i * 2 + (from === 'a' ? 0 : 1)) % plan.length]! });
    w.run(established(w), 10_000);
    const data = pattern(200 * 1024, 5);
    const got = transfer(w, data, 2_000_000);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  });

  it('the send buffer applies back-pressure: send accepts only what fits', () => {
    const w = pair();
    w.run(established(w), 100);
    expect(w.a.send(new Uint8Array(100 * 1024), w.now)).toBe(64 * 1024);
    expect(w.a.send(new Uint8Array(10), w.now)).toBe(0);
    w.run(() => w.a.unacknowledged < 64 * 1024, 100, () => w.b.read(Infinity, w.now));
    const free = 64 * 1024 - w.a.unacknowledged;
    expect(w.a.send(new Uint8Array(100 * 1024), w.now)).toBe(free);
    expect(w.a.unacknowledged).toBe(64 * 1024);
  });
});

describe('orderly close', () => {
  it('FIN both ways: the closer ends in TIME-WAIT for 2 MSL then CLOSED, the other in CLOSED', () => {
    const w = pair({ issA: 0xffff_fffa });
    w.run(established(w), 100);
    const data = pattern(3000, 1);
    expect(transfer(w, data)).toEqual(data);
    w.a.close(w.now);
    expect(w.a.state).toBe('FIN-WAIT-1');
    w.run(() => w.b.state === 'CLOSE-WAIT', 100);
    w.run(() => w.a.state !== 'FIN-WAIT-1', 100);
    expect(w.a.state).toBe('FIN-WAIT-2');
    expect(w.a.send(new Uint8Array(1), w.now)).toBe(0);
    expect(w.b.send(Uint8Array.of(1, 2, 3), w.now)).toBe(3); // the other direction stays open
    w.run(() => w.b.unacknowledged === 0, 100);
    expect(Array.from(w.a.read(Infinity, w.now))).toEqual([1, 2, 3]);
    w.b.close(w.now);
    expect(w.b.state).toBe('LAST-ACK');
    w.run(() => w.b.state === 'CLOSED', 100);
    expect(w.b.aborted).toBeUndefined();
    expect(w.a.state).toBe('TIME-WAIT');
    const fins = w.log.filter((s) => s.seg.flags & TCP_FIN);
    expect(fins.map((s) => s.from)).toEqual(['a', 'b']);
    const entered = w.now;
    w.run(() => w.a.state === 'CLOSED', TIME_WAIT / ROUND + 10);
    expect(w.now - entered).toBeGreaterThanOrEqual(TIME_WAIT - 2 * ROUND);
    expect(w.a.aborted).toBeUndefined();
  });

  it('a lost FIN from each side, and the lost last ACK, are retransmitted until both sides close', () => {
    const seen = new Set<string>();
    const once = (key: string) => !seen.has(key) && seen.add(key) !== undefined;
    const sides: { w?: Wire } = {};
    const w = pair({
      fate: (from, _i, seg) => {
        if (seg.flags & TCP_FIN && once(`fin ${from}`)) return 'drop';
        if (from === 'a' && sides.w?.b.state === 'LAST-ACK' && once('last ack')) return 'drop';
        return 'pass';
      },
    });
    sides.w = w;
    w.run(established(w), 100);
    w.a.close(w.now);
    w.run(() => w.b.state === 'CLOSE-WAIT', 100_000);
    w.b.close(w.now);
    w.run(() => w.b.state === 'CLOSED' && w.a.state === 'CLOSED', 100_000);
    expect(w.a.aborted).toBeUndefined();
    expect(w.b.aborted).toBeUndefined();
    expect(seen).toEqual(new Set(['fin a', 'fin b', 'last ack']));
    expect(w.log.filter((s) => s.from === 'a' && s.seg.flags & TCP_FIN)).toHaveLength(2);
    expect(w.log.filter((s) => s.from === 'b' && s.seg.flags & TCP_FIN)).toHaveLength(3); // once lost, once answered by a lost ACK
    expect(w.b.stats.timeouts).toBe(2);
  });

  it('simultaneous close passes through CLOSING to TIME-WAIT on both sides', () => {
    const w = pair();
    w.run(established(w), 100);
    w.a.close(w.now);
    w.b.close(w.now);
    w.run(() => w.a.state === 'TIME-WAIT' && w.b.state === 'TIME-WAIT', 100);
  });
});

describe('RST', () => {
  it('a RST from the peer aborts an established connection; one outside the window is ignored', () => {
    const w = pair();
    w.run(established(w), 100);
    const lastFromB = w.log.filter((s) => s.from === 'b').at(-1)!.seg;
    const rst = (seq: number): TcpSegment => ({ ...lastFromB, seq, flags: TCP_RST, payload: new Uint8Array(0) });
    w.a.segment(rst(seqAdd(lastFromB.seq, 70_000)), w.now); // past RCV.NXT + 65535
    w.a.segment(rst(seqAdd(lastFromB.seq, -1)), w.now); // before RCV.NXT
    expect(w.a.state).toBe('ESTABLISHED');
    expect(w.a.takeSegments().every((s) => (s.fields.flags & TCP_RST) === 0)).toBe(true);
    w.a.send(new Uint8Array(1000), w.now);
    w.b.reset();
    expect(w.b).toMatchObject({ state: 'CLOSED', aborted: 'reset' });
    w.run(() => w.a.state === 'CLOSED', 10);
    expect(w.a.aborted).toBe('reset');
    expect(w.a.unacknowledged).toBe(0);
    // b, now CLOSED, answers a's data (if it got there before the abort reached a) with a RST; nothing is retransmitted after.
    const after = w.log.length;
    for (let i = 0; i < 5000; i++) w.step();
    expect(w.log.slice(after).filter((s) => s.from === 'a')).toEqual([]);
  });

  it('an in-window RST that is not exactly RCV.NXT also aborts', () => {
    const w = pair();
    w.run(established(w), 100);
    const lastFromB = w.log.filter((s) => s.from === 'b').at(-1)!.seg;
    w.a.segment({ ...lastFromB, seq: seqAdd(lastFromB.seq, 1000), flags: TCP_RST }, w.now);
    expect(w.a).toMatchObject({ state: 'CLOSED', aborted: 'reset' });
  });

  it('gives up with a timeout when the peer never answers', () => {
    const w = pair({ fate: (from) => (from === 'b' ? 'drop' : 'pass') });
    w.run(() => w.a.state === 'CLOSED', 10_000_000);
    expect(w.a.aborted).toBe('timeout');
  });
});

describe('delayed ACKs (RFC 1122 §4.2.3.2, RFC 5681 §4.2)', () => {
  const DELAY = 40 * ROUND;
  const acksFromB = (w: Wire, from: number) => w.log.slice(from).filter((x) => x.from === 'b' && x.seg.payload.length === 0 && x.seg.flags & TCP_ACK);

  it('a lone segment is acknowledged only when the delay runs out', () => {
    const w = pair({ b: { delayedAck: DELAY } });
    w.run(established(w), 100);
    const from = w.log.length;
    w.a.send(new Uint8Array(100), w.now);
    const sentAt = w.now;
    w.run(() => acksFromB(w, from).length > 0, 1000);
    expect(w.now - sentAt).toBeGreaterThanOrEqual(DELAY);
    expect(w.now - sentAt).toBeLessThanOrEqual(DELAY + 3 * ROUND);
  });

  it('every second full segment is acknowledged at once', () => {
    const w = pair({ b: { delayedAck: DELAY } });
    w.run(established(w), 100);
    const from = w.log.length;
    w.a.send(new Uint8Array(2 * 1460), w.now);
    const sentAt = w.now;
    w.run(() => acksFromB(w, from).length > 0, 1000);
    expect(w.now - sentAt).toBeLessThan(DELAY);
    expect(acksFromB(w, from)[0]!.seg.ack).toBe(seqAdd(w.log.find((x) => x.from === 'a' && x.seg.payload.length > 0)!.seg.seq, 2 * 1460));
  });

  it('out-of-order data is acknowledged at once (a duplicate ACK for fast retransmit)', () => {
    let dataSeen = 0;
    const w = pair({ b: { delayedAck: DELAY }, fate: (from, _i, seg) => (from === 'a' && seg.payload.length > 0 && dataSeen++ === 0 ? 'drop' : 'pass') });
    w.run(established(w), 100);
    const from = w.log.length;
    w.a.send(new Uint8Array(1460 * 3), w.now);
    const sentAt = w.now;
    w.run(() => acksFromB(w, from).length > 0, 1000);
    expect(w.now - sentAt).toBeLessThan(DELAY);
  });

  it('a transfer with delayed ACKs still arrives byte-exact under loss', () => {
    const r = seeded(5);
    const w = pair({ b: { delayedAck: DELAY }, fate: () => (r() < 0.05 ? 'drop' : 'pass') });
    w.run(established(w), 100_000);
    const data = pattern(100_000, 9);
    expect(transfer(w, data, 2_000_000)).toEqual(data);
  });
});

describe('zero-window probing (RFC 9293 §3.8.6.1)', () => {
  it('a sender facing a closed window probes it, the connection lives, and the data arrives once the reader reads', () => {
    const w = pair({ b: { receiveBuffer: 4096 } });
    w.run(established(w), 100);
    const data = pattern(20_000, 3);
    let offered = 0;
    // b does not read: its 4 KiB fill, its window closes.
    w.run(() => w.a.sendRoom === 64 * 1024 - (20_000 - 4096) || w.now > 50 * CPS, 100_000, () => {
      if (offered < data.length) offered += w.a.send(data.subarray(offered), w.now);
    });
    const from = w.log.length;
    for (let i = 0; i < 30 * CPS / ROUND; i++) w.step(); // 30 "seconds" with the window shut
    const probes = w.log.slice(from).filter((x) => x.from === 'a' && x.seg.payload.length === 1);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    // Backed off: the gaps between probes grow.
    const at = w.log.slice(from).map((x, i) => ({ x, i })).filter(({ x }) => x.from === 'a' && x.seg.payload.length === 1);
    expect(at.length).toBeGreaterThan(2);
    expect(w.a.state).toBe('ESTABLISHED');
    expect(w.a.aborted).toBeUndefined();
    // Now b reads everything: the window opens and the rest flows.
    const got: Uint8Array[] = [];
    let n = 0;
    w.run(() => n === data.length, 200_000, () => {
      const d = w.b.read(Infinity, w.now);
      got.push(d);
      n += d.length;
    });
    expect(joined(got)).toEqual(data);
  });

  it('the reader announces a window that opens at once, without waiting for a timer or a segment', () => {
    const w = pair({ b: { receiveBuffer: 4096 } });
    w.run(established(w), 100);
    w.a.send(pattern(10_000, 5), w.now);
    for (let i = 0; i < 100; i++) w.step(); // b does not read: its window shuts
    expect(w.b.takeSegments()).toEqual([]);
    expect(w.b.read(Infinity, w.now).length).toBe(4096);
    const update = w.b.takeSegments(); // no step in between: the update is out with the read
    expect(update).toHaveLength(1);
    expect(update[0]!.fields.window).toBe(4096);
  });

  it('probing goes on past the retransmission give-up count: a shut window is not a dead peer', () => {
    const w = pair({ b: { receiveBuffer: 2048 } });
    w.run(established(w), 100);
    w.a.send(pattern(10_000, 4), w.now);
    for (let i = 0; i < 3000 * CPS / ROUND / 10; i++) w.step(); // 300 "seconds": past 12 backed-off timeouts' worth at the 60 s cap
    expect(w.a.state).toBe('ESTABLISHED');
    expect(w.a.stats.timeouts).toBe(0);
  });
});
