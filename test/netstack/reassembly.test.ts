// IPv4 reassembly (guest/netstack/reassembly.ts): in order, out of order, duplicates,
// overlaps, timeout, the memory and datagram bounds and the 64 KiB limit. Fragments go
// through ipv4Input first, as in the stack.

import { describe, expect, it } from 'vitest';
import { newDropCounters, totalDrops, type DropCounters } from '../../guest/netstack/drops.js';
import { ipv4Input, type Ipv4Datagram } from '../../guest/netstack/ipv4-input.js';
import { defaultReassemblyConfig, Reassembler, REASSEMBLY_TIMEOUT_SECONDS, type ReassemblyConfig, type ReassemblyResult } from '../../guest/netstack/reassembly.js';
import { datagramFrame, LOCAL, pattern, type DatagramSpec } from './frames.js';

const HZ = 1_000_000;
const TIMEOUT = REASSEMBLY_TIMEOUT_SECONDS * HZ;

const dgram = (s: DatagramSpec): Ipv4Datagram => {
  const r = ipv4Input(datagramFrame(s), Infinity, LOCAL);
  if (typeof r === 'string') throw new Error(`dropped: ${r}`);
  return r;
};

/** `payload` cut into fragments of `size` bytes (a multiple of 8), each as ipv4Input gives it. */
function fragments(payload: Uint8Array, size: number, spec: Partial<DatagramSpec> = {}): Ipv4Datagram[] {
  const out: Ipv4Datagram[] = [];
  for (let o = 0; o < payload.length; o += size) {
    out.push(dgram({ ...spec, payload: payload.subarray(o, o + size), offset: o, more: o + size < payload.length }));
  }
  return out;
}

function setup(config: Partial<ReassemblyConfig> = {}): { r: Reassembler; drops: DropCounters } {
  const drops = newDropCounters();
  return { r: new Reassembler({ ...defaultReassemblyConfig(HZ), ...config }, drops), drops };
}

const whole = (res: ReassemblyResult): Ipv4Datagram => {
  if (!('datagram' in res)) throw new Error(`not whole: ${JSON.stringify(res)}`);
  return res.datagram;
};

describe('Reassembler', () => {
  it('passes an unfragmented datagram through unchanged', () => {
    const { r } = setup();
    const d = dgram({ payload: pattern(30) });
    expect(r.accept(d, 0)).toEqual({ datagram: d, fragments: 1 });
    expect(r.datagramsHeld).toBe(0);
  });

  it('reassembles in order, with the first fragment\'s header and the whole total length', () => {
    const { r, drops } = setup();
    const payload = pattern(3000, 5);
    const fs = fragments(payload, 1480, { protocol: 1, id: 77 });
    expect(fs.length).toBe(3);
    expect(r.accept(fs[0]!, 0)).toEqual({ held: true });
    expect(r.accept(fs[1]!, 1)).toEqual({ held: true });
    expect(r.bytesHeld).toBe(2960);
    const res = r.accept(fs[2]!, 2);
    expect(res).toMatchObject({ fragments: 3 });
    const d = whole(res);
    expect([...d.payload]).toEqual([...payload]);
    expect(d).toMatchObject({ totalLength: 3020, protocol: 1, id: 77, moreFragments: false, fragmentOffset: 0 });
    expect(r.bytesHeld).toBe(0);
    expect(r.datagramsHeld).toBe(0);
    expect(totalDrops(drops)).toBe(0);
  });

  it('reassembles out of order (last first, first last) and keeps datagrams with other ids apart', () => {
    const { r } = setup();
    const a = pattern(64, 1);
    const b = pattern(64, 100);
    const fa = fragments(a, 16, { id: 1 });
    const fb = fragments(b, 16, { id: 2 });
    const order = [3, 1, 2, 0];
    const results = order.flatMap((i) => [r.accept(fa[i]!, i), r.accept(fb[i]!, i)]);
    expect(results.slice(0, -2).every((x) => 'held' in x)).toBe(true);
    expect([...whole(results[6]!).payload]).toEqual([...a]);
    expect([...whole(results[7]!).payload]).toEqual([...b]);
  });

  it('the reassembled payload is a copy: reusing the frame buffers changes nothing', () => {
    const { r } = setup();
    const fs = fragments(pattern(32), 16);
    r.accept(fs[0]!, 0);
    fs[0]!.payload.fill(0xee);
    expect([...whole(r.accept(fs[1]!, 0)).payload]).toEqual([...pattern(32)]);
  });

  it('drops an exact duplicate alone and still completes', () => {
    const { r, drops } = setup();
    const fs = fragments(pattern(48), 16);
    r.accept(fs[0]!, 0);
    expect(r.accept(fs[0]!, 0)).toEqual({ dropped: 'duplicate-fragment' });
    r.accept(fs[2]!, 0);
    expect(r.accept(fs[2]!, 0)).toEqual({ dropped: 'duplicate-fragment' });
    expect([...whole(r.accept(fs[1]!, 0)).payload]).toEqual([...pattern(48)]);
    expect(drops['duplicate-fragment']).toBe(2);
    expect(totalDrops(drops)).toBe(2);
  });

  it('drops the whole datagram on an overlap, counting every fragment it held', () => {
    const { r, drops } = setup();
    const fs = fragments(pattern(48), 16);
    r.accept(fs[0]!, 0);
    r.accept(fs[2]!, 0);
    const overlap = dgram({ payload: pattern(16, 200), offset: 8, more: true }); // covers [8, 24)
    expect(r.accept(overlap, 0)).toEqual({ dropped: 'overlapping-fragments' });
    expect(drops['overlapping-fragments']).toBe(3);
    expect(r.datagramsHeld).toBe(0);
    expect(r.bytesHeld).toBe(0);
    // the rest alone does not complete it: it starts over
    expect(r.accept(fs[1]!, 0)).toEqual({ held: true });
  });

  it('a fragment at the same place with other bytes is an overlap, not a duplicate', () => {
    const { r, drops } = setup();
    r.accept(dgram({ payload: pattern(16), offset: 0, more: true }), 0);
    expect(r.accept(dgram({ payload: pattern(16, 1), offset: 0, more: true }), 0)).toEqual({ dropped: 'overlapping-fragments' });
    expect(drops['overlapping-fragments']).toBe(2);
  });

  it('refuses fragments that contradict the end the last fragment set', () => {
    const { r, drops } = setup();
    r.accept(dgram({ payload: pattern(8), offset: 16 }), 0); // last: ends at 24
    expect(r.accept(dgram({ payload: pattern(8), offset: 24, more: true }), 0)).toEqual({ dropped: 'bad-fragment' });
    r.accept(dgram({ payload: pattern(16), offset: 32, more: true }), 0);
    expect(r.accept(dgram({ payload: pattern(8), offset: 8 }), 0)).toEqual({ dropped: 'bad-fragment' }); // ends before a held one
    expect(drops['bad-fragment']).toBe(1 + 1 + 1 + 1);
  });

  it('abandons a reassembly once the timeout passed since its first fragment, however late fragments came', () => {
    const { r, drops } = setup();
    const fs = fragments(pattern(48), 16);
    r.accept(fs[0]!, 100);
    r.accept(fs[1]!, 100 + TIMEOUT - 1); // does not extend the deadline
    expect(r.expire(100 + TIMEOUT - 1)).toBe(0);
    expect(r.datagramsHeld).toBe(1);
    expect(r.accept(fs[2]!, 100 + TIMEOUT)).toEqual({ held: true }); // the old one expired first; this starts anew
    expect(drops['reassembly-timeout']).toBe(2);
    expect(r.expire(100 + 2 * TIMEOUT)).toBe(1);
    expect(drops['reassembly-timeout']).toBe(3);
    expect(r.datagramsHeld).toBe(0);
    expect(r.bytesHeld).toBe(0);
  });

  it('the timeout is the configured number of cycles', () => {
    const { r } = setup({ timeoutCycles: 10 });
    r.accept(fragments(pattern(32), 16)[0]!, 0);
    expect(r.expire(9)).toBe(0);
    expect(r.expire(10)).toBe(1);
  });

  it('bounds the bytes held: the oldest reassembly goes first; a datagram alone too big is refused', () => {
    const { r, drops } = setup({ maxBytes: 64 });
    const a = fragments(pattern(96), 32, { id: 1 });
    const b = fragments(pattern(96), 32, { id: 2 });
    r.accept(a[0]!, 0);
    r.accept(b[0]!, 1);
    expect(r.bytesHeld).toBe(64);
    expect(r.accept(b[1]!, 2)).toEqual({ held: true }); // evicts a
    expect(drops['reassembly-memory-full']).toBe(1);
    expect(r.bytesHeld).toBe(64);
    expect(r.accept(a[1]!, 3)).toEqual({ held: true }); // a starts over, evicting b (the oldest)
    expect(drops['reassembly-memory-full']).toBe(3);
    expect(r.accept(a[2]!, 4)).toEqual({ held: true });
    expect(r.accept(a[0]!, 5)).toEqual({ dropped: 'reassembly-memory-full' }); // a itself would pass 64
    expect(drops['reassembly-memory-full']).toBe(6);
    expect(r.bytesHeld).toBe(0);
  });

  it('bounds the datagrams held, evicting the oldest', () => {
    const { r, drops } = setup({ maxDatagrams: 2 });
    for (const id of [1, 2, 3]) r.accept(fragments(pattern(32), 16, { id })[0]!, id);
    expect(r.datagramsHeld).toBe(2);
    expect(drops['reassembly-memory-full']).toBe(1);
    expect('datagram' in r.accept(fragments(pattern(32), 16, { id: 1 })[1]!, 5)).toBe(false); // id 1 was the one evicted
    expect(drops['reassembly-memory-full']).toBe(2); // and now id 2, the oldest left, made room
    expect('datagram' in r.accept(fragments(pattern(32), 16, { id: 3 })[1]!, 6)).toBe(true);
  });

  it('reassembles the largest datagram (65535 bytes) and refuses one byte more', () => {
    const { r } = setup();
    const payload = pattern(65535 - 20, 3);
    const fs = fragments(payload, 1480);
    const results = fs.map((f, i) => r.accept(f, i));
    const d = whole(results[results.length - 1]!);
    expect(d.totalLength).toBe(65535);
    expect([...d.payload]).toEqual([...payload]);

    const s = setup();
    const withOptions = fragments(payload, 1480).map((f, i) => (i === 0 ? dgram({ payload: payload.subarray(0, 1480), more: true, options: Uint8Array.of(1, 1, 1, 1) }) : f));
    const last = withOptions.map((f, i) => s.r.accept(f, i)).pop()!;
    expect(last).toEqual({ dropped: 'bad-fragment' }); // 24-byte header + 65515 > 65535
    expect(s.drops['bad-fragment']).toBe(withOptions.length);
  });
});
