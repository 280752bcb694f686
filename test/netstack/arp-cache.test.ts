// The stack's ARP cache (guest/netstack/arp-cache.ts): answering requests for our address,
// learning, expiry, the per-address queue and its bound, request rate limiting, giving up.

import { describe, expect, it } from 'vitest';
import { ARP_REPLY, ARP_REQUEST, parseArp } from '../../guest/net/arp.js';
import { arpFrame } from '../../guest/net/build.js';
import { broadcastMac, isBroadcast, parseEthernet } from '../../guest/net/ethernet.js';
import { parseMac } from '../../guest/net/bytes.js';
import { ArpCache, defaultArpConfig, type ArpConfig, type ArpResolution } from '../../guest/netstack/arp-cache.js';
import { newDropCounters, totalDrops } from '../../guest/netstack/drops.js';
import { LOCAL, LOCAL_MAC, PEER, PEER_MAC } from './frames.js';

const HZ = 1000;
const OTHER = PEER + 7;

function setup(config: Partial<ArpConfig> = {}) {
  const drops = newDropCounters();
  const cache = new ArpCache({ mac: LOCAL_MAC, ip: LOCAL }, { ...defaultArpConfig(HZ), ...config }, drops);
  return { cache, drops };
}
const replyFrom = (ip: number, mac: Uint8Array, to = LOCAL) => arpFrame({ op: ARP_REPLY, senderMac: mac, senderIp: ip, targetMac: LOCAL_MAC, targetIp: to });
const requestFrom = (ip: number, mac: Uint8Array, target = LOCAL) => arpFrame({ senderMac: mac, senderIp: ip, targetIp: target });
const packet = (n: number) => Uint8Array.of(n, n, n);
const requestOf = (r: ArpResolution) => ('queued' in r ? r.request : undefined);

describe('ArpCache', () => {
  it('answers a request for our address with a reply to the asker, and learns the asker', () => {
    const { cache } = setup();
    const got = cache.receive(requestFrom(PEER, PEER_MAC), 60, 0);
    const reply = parseArp(got.reply!);
    expect(reply).toMatchObject({ op: ARP_REPLY, senderIp: LOCAL, targetIp: PEER });
    expect([...(reply as { senderMac: Uint8Array }).senderMac]).toEqual([...LOCAL_MAC]);
    expect([...parseEthernet(got.reply!)!.dst]).toEqual([...PEER_MAC]);
    expect([...cache.lookup(PEER, 1)!]).toEqual([...PEER_MAC]);
  });

  it('ignores ARP between others (no learning, no reply, no drop) but refreshes a neighbour it knows', () => {
    const { cache, drops } = setup();
    expect(cache.receive(requestFrom(PEER, PEER_MAC, OTHER), 60, 0)).toEqual({ reply: undefined, released: [], mac: undefined });
    expect(cache.lookup(PEER, 0)).toBeUndefined();
    cache.receive(replyFrom(PEER, PEER_MAC), 60, 0);
    const moved = parseMac('02:00:00:00:00:42')!;
    expect(cache.receive(requestFrom(PEER, moved, OTHER), 60, 10).reply).toBeUndefined();
    expect([...cache.lookup(PEER, 10)!]).toEqual([...moved]);
    expect(totalDrops(drops)).toBe(0);
  });

  it('counts malformed ARP and a group sender address as bad-arp, learning nothing', () => {
    const { cache, drops } = setup();
    const f = requestFrom(PEER, PEER_MAC);
    expect(cache.receive(f, 41, 0).reply).toBeUndefined();
    const g = f.slice();
    g[14 + 7] = 9; // op
    cache.receive(g, 60, 0);
    cache.receive(requestFrom(PEER, broadcastMac()), 60, 0);
    expect(drops['bad-arp']).toBe(3);
    expect(cache.lookup(PEER, 0)).toBeUndefined();
  });

  it('does not learn sender address 0 (an RFC 5227 probe) or our own, but still answers a probe', () => {
    const { cache } = setup();
    const probe = cache.receive(requestFrom(0, PEER_MAC), 60, 0);
    expect(parseArp(probe.reply!)).toMatchObject({ op: ARP_REPLY, targetIp: 0 });
    expect(cache.lookup(0, 0)).toBeUndefined();
    cache.receive(requestFrom(LOCAL, PEER_MAC), 60, 0);
    expect(cache.lookup(LOCAL, 0)).toBeUndefined();
  });

  it('entries expire after their lifetime, counted from when they were last learned', () => {
    const { cache } = setup({ entryLifetimeCycles: 100 });
    cache.receive(replyFrom(PEER, PEER_MAC), 60, 0);
    expect(cache.lookup(PEER, 99)).toBeDefined();
    expect(cache.lookup(PEER, 100)).toBeUndefined();
    cache.receive(replyFrom(PEER, PEER_MAC), 60, 150);
    expect(cache.lookup(PEER, 249)).toBeDefined();
    cache.expire(250);
    expect(cache.lookup(PEER, 0)).toBeUndefined(); // gone from the table, not merely stale
  });

  it('queues packets for an unresolved address, asks once, and releases them in order when the reply comes', () => {
    const { cache, drops } = setup();
    const first = cache.resolve(PEER, packet(1), 0);
    const req = parseArp(requestOf(first)!);
    expect(req).toMatchObject({ op: ARP_REQUEST, senderIp: LOCAL, targetIp: PEER });
    expect(isBroadcast(requestOf(first)!)).toBe(true);
    expect(cache.resolve(PEER, packet(2), 1)).toEqual({ queued: true, request: undefined });
    expect(cache.queued(PEER)).toBe(2);
    const got = cache.receive(replyFrom(PEER, PEER_MAC), 60, 2);
    expect(got.released.map((p) => p[0])).toEqual([1, 2]);
    expect([...got.mac!]).toEqual([...PEER_MAC]);
    expect(got.reply).toBeUndefined();
    expect(cache.queued(PEER)).toBe(0);
    expect(cache.resolve(PEER, packet(3), 3)).toEqual({ mac: PEER_MAC });
    expect(totalDrops(drops)).toBe(0);
  });

  it('copies queued packets: the caller may reuse its buffer', () => {
    const { cache } = setup();
    const p = packet(5);
    cache.resolve(PEER, p, 0);
    p.fill(0);
    expect([...cache.receive(replyFrom(PEER, PEER_MAC), 60, 1).released[0]!]).toEqual([5, 5, 5]);
  });

  it('bounds the queue per address: beyond it the oldest is dropped and counted, the latest kept', () => {
    const { cache, drops } = setup({ maxQueuedPerIp: 2 });
    for (const n of [1, 2, 3, 4]) cache.resolve(PEER, packet(n), n);
    expect(drops['arp-queue-full']).toBe(2);
    expect(cache.receive(replyFrom(PEER, PEER_MAC), 60, 5).released.map((p) => p[0])).toEqual([3, 4]);
  });

  it('bounds the addresses resolving at once: a packet for one more is dropped', () => {
    const { cache, drops } = setup({ maxPending: 2 });
    cache.resolve(PEER, packet(1), 0);
    cache.resolve(PEER + 1, packet(2), 0);
    expect(cache.resolve(PEER + 2, packet(3), 0)).toEqual({ dropped: 'arp-queue-full' });
    expect(drops['arp-queue-full']).toBe(1);
    expect(cache.queued(PEER + 2)).toBe(0);
  });

  it('rate-limits requests per address, however many packets wait, and even across giving up', () => {
    const { cache } = setup({ requestIntervalCycles: 10, resolveTimeoutCycles: 25 });
    expect(requestOf(cache.resolve(PEER, packet(1), 0))).toBeDefined();
    expect(requestOf(cache.resolve(OTHER, packet(1), 0))).toBeDefined(); // another address has its own rate
    expect(requestOf(cache.resolve(PEER, packet(2), 9))).toBeUndefined();
    expect(cache.requestsDue(9)).toEqual([]);
    expect(requestOf(cache.resolve(PEER, packet(3), 10))).toBeDefined();
    const due = cache.requestsDue(12); // OTHER is due, PEER was just asked
    expect(due.map((f) => (parseArp(f) as { targetIp: number }).targetIp)).toEqual([OTHER]);
    expect(cache.requestsDue(21).length).toBe(1); // PEER again at 20+; OTHER asked at 12
    expect(requestOf(cache.resolve(PEER, packet(4), 25))).toBeUndefined(); // gave up at 25 and started over, but asked at 21
    expect(requestOf(cache.resolve(PEER, packet(5), 31))).toBeDefined();
  });

  it('gives up on an address after the resolve timeout, counting its packets as arp-unresolved', () => {
    const { cache, drops } = setup({ resolveTimeoutCycles: 50 });
    cache.resolve(PEER, packet(1), 0);
    cache.resolve(PEER, packet(2), 20);
    cache.expire(49);
    expect(cache.queued(PEER)).toBe(2);
    cache.expire(50);
    expect(cache.queued(PEER)).toBe(0);
    expect(drops['arp-unresolved']).toBe(2);
    expect(cache.receive(replyFrom(PEER, PEER_MAC), 60, 51).released).toEqual([]);
  });

  it('bounds the entries, forgetting the least recently learned', () => {
    const { cache } = setup({ maxEntries: 2 });
    cache.receive(replyFrom(PEER, PEER_MAC), 60, 0);
    cache.receive(replyFrom(PEER + 1, PEER_MAC), 60, 1);
    cache.receive(replyFrom(PEER, PEER_MAC), 60, 2); // PEER learned again: now the newest
    cache.receive(replyFrom(PEER + 2, PEER_MAC), 60, 3);
    expect(cache.lookup(PEER + 1, 3)).toBeUndefined();
    expect(cache.lookup(PEER, 3)).toBeDefined();
    expect(cache.lookup(PEER + 2, 3)).toBeDefined();
  });
});
