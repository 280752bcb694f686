// TCP between two stacks (guest/netstack/stack.ts) over the back-to-back link: a bulk
// transfer fills a 100 Mbit/s link, and under loss, duplication, reordering and corruption
// it still arrives byte-exact, the corrupted frames caught by the checksums.

import { describe, expect, it } from 'vitest';
import { BulkReceiver, BulkSender } from '../../../guest/apps/bulk.js';
import { totalDrops } from '../../../guest/netstack/drops.js';
import { A_IP, HZ, Link } from './link.js';

function bulk(link: Link, bytes: number, seconds: number) {
  const rx = new BulkReceiver(link.a, 5001);
  link.add(link.a, rx);
  const tx = new BulkSender(link.b, A_IP, 5001, bytes);
  link.add(link.b, tx);
  link.run(seconds * HZ, () => rx.stats.completed === 1 && tx.stats.ended !== undefined);
  const secs = (rx.stats.lastByteCycle! - rx.stats.firstByteCycle!) / HZ;
  return { rx, tx, mbits: (rx.stats.bytes * 8) / secs / 1e6 };
}

describe('bulk TCP between two stacks', () => {
  it('1 MB arrives byte-exact on a clean link at the physical limit of 100 Mbit/s (~94.9 with 1460-byte segments)', () => {
    const link = new Link();
    const { rx, tx, mbits } = bulk(link, 1 << 20, 10);
    expect(rx.stats).toMatchObject({ bytes: 1 << 20, mismatched: 0, completed: 1 });
    expect(tx.stats.ended).toBe('closed');
    expect(mbits).toBeGreaterThan(94);
    expect(mbits).toBeLessThan(95); // the link's own limit: no faster than physics
    expect(link.b.counters.tcp.retransmissions).toBe(0);
    expect(totalDrops(link.a.counters.drops) + totalDrops(link.b.counters.drops)).toBe(0);
  });

  it('4 MB arrives byte-exact under 5 % loss, 2 % duplication, 2 % reordering and 0.5 % corruption', () => {
    const link = new Link({ faults: { loss: 0.05, duplicate: 0.02, reorder: 0.02, corrupt: 0.005 }, seed: 11 });
    const { rx } = bulk(link, 4 << 20, 600);
    expect(rx.stats).toMatchObject({ bytes: 4 << 20, mismatched: 0, completed: 1 });
    expect(link.counts.lost).toBeGreaterThan(0);
    expect(link.counts.duplicated).toBeGreaterThan(0);
    expect(link.counts.reordered).toBeGreaterThan(0);
    expect(link.counts.corrupted).toBeGreaterThan(0);
    const c = link.b.counters.tcp;
    expect(c.retransmissions).toBeGreaterThan(0);
    expect(c.fastRetransmits).toBeGreaterThan(0);
    // The link flips bits with no FCS to catch them: the IPv4 and TCP checksums do.
    expect(link.a.counters.drops['bad-checksum'] + link.b.counters.drops['bad-checksum']).toBeGreaterThan(0);
  });
});
