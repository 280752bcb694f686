// The stack's layers and socket API over the back-to-back link: ARP resolution with the
// packet held meanwhile, ICMP echo, UDP with fragmentation and reassembly, TCP to a closed
// port (RST), listen backlogs, ports in use, and the servers of guest/apps driven by the
// peer's exerciser.

import { describe, expect, it } from 'vitest';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { Exerciser } from '../../../guest/apps/exerciser.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import { patternBytes } from '../../../guest/apps/pattern.js';
import { parseIpv4 } from '../../../guest/net/bytes.js';
import { totalDrops } from '../../../guest/netstack/drops.js';
import { A_IP, B_IP, HZ, Link } from './link.js';

const MS = HZ / 1000;

describe('ARP and ICMP', () => {
  it('a ping waits for ARP, then both sides have learned each other and the reply carries the same data', () => {
    const link = new Link();
    link.b.ping(A_IP, 7, 1, patternBytes(0, 56));
    expect(link.b.framesWaiting).toBe(1); // the ARP request; the ping is held
    link.run(10 * MS);
    const [r, ...more] = link.b.takeEchoReplies(7);
    expect(more).toEqual([]);
    expect(r).toMatchObject({ from: A_IP, identifier: 7, sequence: 1, data: patternBytes(0, 56) });
    expect(link.b.counters.ip.arpRequestsOut).toBe(1);
    expect(link.a.counters.ip.arpRepliesOut).toBe(1);
    expect(link.a.counters.icmp).toMatchObject({ echoRequestsIn: 1, echoRepliesOut: 1 });
    link.b.ping(A_IP, 7, 2, new Uint8Array(8));
    link.run(20 * MS);
    expect(link.b.counters.ip.arpRequestsOut + link.a.counters.ip.arpRequestsOut).toBe(1); // a learned b from its request
  });

  it('a ping to an address nobody has is given up after the ARP timeout and counted', () => {
    const link = new Link();
    link.b.ping(parseIpv4('10.0.0.77')!, 1, 1, new Uint8Array(8));
    link.run(5 * HZ);
    expect(link.b.counters.drops['arp-unresolved']).toBe(1);
    expect(link.b.counters.ip.arpRequestsOut).toBeGreaterThanOrEqual(3); // one a second while it tried
  });
});

describe('UDP', () => {
  it('echo of datagrams up to 8000 bytes: larger ones are fragmented and reassembled both ways', () => {
    const link = new Link();
    const echo = new EchoServer(link.a);
    link.add(link.a, echo);
    const sock = link.b.udpBind(4000);
    if (typeof sock === 'string') throw new Error(sock);
    const sizes = [0, 1, 1472, 1473, 3000, 8000];
    for (const n of sizes) expect(sock.sendto(A_IP, 7, patternBytes(n, n))).toBe(true);
    link.run(20 * MS);
    const got = [];
    for (let d = sock.recvfrom(); d; d = sock.recvfrom()) got.push(d);
    expect(got.map((d) => d.data)).toEqual(sizes.map((n) => patternBytes(n, n)));
    expect(got.every((d) => d.ip === A_IP && d.port === 7)).toBe(true);
    expect(echo.stats.udpDatagrams).toBe(sizes.length);
    expect(link.a.counters.ip.reassembled).toBe(3);
    expect(link.b.counters.ip.reassembled).toBe(3);
    expect(link.b.counters.ip.fragmentsOut).toBe(2 + 3 + 6);
  });

  it('a datagram for a port nobody bound is dropped as no-port; a full socket queue drops the rest', () => {
    const link = new Link();
    const sock = link.b.udpBind(4000);
    if (typeof sock === 'string') throw new Error(sock);
    sock.sendto(A_IP, 4444, new Uint8Array(10));
    link.run(10 * MS);
    expect(link.a.counters.drops['no-port']).toBe(1);
    const a = link.a.udpBind(5000);
    if (typeof a === 'string') throw new Error(a);
    for (let i = 0; i < 70; i++) sock.sendto(A_IP, 5000, new Uint8Array(10));
    link.run(20 * MS);
    expect(a.queue.length).toBe(64);
    expect(link.a.counters.drops['socket-queue-full']).toBe(6);
  });

  it('binding a port twice is refused, bad ports too, and a closed socket frees its port', () => {
    const link = new Link();
    const s = link.a.udpBind(53);
    expect(link.a.udpBind(53)).toBe('port-in-use');
    expect(link.a.udpBind(0)).toBe('bad-port');
    expect(link.a.udpBind(70000)).toBe('bad-port');
    if (typeof s === 'string') throw new Error(s);
    s.close();
    expect(typeof link.a.udpBind(53)).toBe('object');
    expect(s.sendto(B_IP, 53, new Uint8Array(1))).toBe(false);
  });
});

describe('TCP through the stack', () => {
  it('a SYN to a closed port gets a RST and the connect ends reset', () => {
    const link = new Link();
    const s = link.b.connect(A_IP, 8080);
    if (typeof s === 'string') throw new Error(s);
    link.run(10 * MS);
    expect(s.state).toBe('CLOSED');
    expect(s.aborted).toBe('reset');
    expect(link.a.counters.tcp.resetsSent).toBe(1);
    expect(link.a.counters.drops['no-port']).toBe(1);
    expect(link.b.counters.tcp.endedByReset).toBe(1);
    expect(link.b.connections).toBe(0);
  });

  it('a listener takes at most its backlog of connections not yet accepted; the others get in by retrying once it accepts', () => {
    const link = new Link();
    const l = link.a.listen(9000, 2);
    if (typeof l === 'string') throw new Error(l);
    expect(link.a.listen(9000)).toBe('port-in-use');
    const socks = [1, 2, 3].map(() => link.b.connect(A_IP, 9000));
    link.run(50 * MS);
    expect(l.ready.length).toBe(2);
    expect(link.a.counters.drops['backlog-full']).toBeGreaterThan(0);
    expect(l.accept()).toBeDefined();
    expect(l.accept()).toBeDefined();
    link.run(2 * HZ); // the third SYN is sent again after the initial RTO
    expect(l.accept()).toBeDefined();
    expect(socks.every((s) => typeof s !== 'string' && s.state === 'ESTABLISHED')).toBe(true);
    expect(link.a.counters.tcp.passiveOpens).toBe(3);
    expect(link.b.counters.tcp.activeOpens).toBe(3);
  });
});

describe('the connection table', () => {
  it('keeps each remote address to its share: one filling its own leaves room for another', () => {
    const link = new Link({ tcpB: { maxPerRemote: 4 } });
    const far = parseIpv4('10.0.0.77')!; // nobody answers: its connections stay in SYN-SENT
    for (let k = 0; k < 4; k++) expect(typeof link.b.connect(far, 80)).toBe('object');
    expect(link.b.connect(far, 80)).toBe('table-full');
    expect(typeof link.b.connect(A_IP, 80)).toBe('object');
  });

  it('gives up the oldest TIME-WAIT entry when a remote address has used its share, so closing connections never fill it', () => {
    const link = new Link({ tcpB: { maxPerRemote: 4 } });
    const l = link.a.listen(9000, 64);
    if (typeof l === 'string') throw new Error(l);
    for (let k = 0; k < 10; k++) {
      const c = link.b.connect(A_IP, 9000);
      if (typeof c === 'string') throw new Error(`connect ${k}: ${c}`);
      link.run(link.now + 5 * MS, () => l.ready.length > 0);
      const s = l.accept()!;
      c.close(); // b closes first: b's side ends in TIME-WAIT (60 s)
      link.run(link.now + 5 * MS);
      s.close();
      link.run(link.now + 5 * MS, () => c.state === 'TIME-WAIT');
      expect(c.state).toBe('TIME-WAIT');
    }
    expect(link.b.connections).toBeLessThanOrEqual(4);
    expect(link.b.counters.tcp.timeWaitRecycled).toBe(6);
  });
});

describe('the servers, exercised by the peer', () => {
  it('ping, UDP echo, TCP echo, discard and HTTP all answer correctly for 200 ms', () => {
    const link = new Link();
    const echo = new EchoServer(link.a);
    const discard = new DiscardServer(link.a);
    const http = new HttpServer(link.a);
    for (const app of [echo, discard, http]) link.add(link.a, app);
    const ex = new Exerciser(link.b, { target: A_IP, cpuHz: HZ, udpPort: 6000, echoBytes: 100_000, discardBytes: 300_000, httpBytes: 50_000 });
    link.add(link.b, ex);
    link.run(200 * MS);
    ex.stop();
    link.run(400 * MS); // what is under way finishes
    const s = ex.stats;
    expect(s.pingsSent).toBeGreaterThan(20); // one at a time, each after its answer (the link also carries the bulk streams)
    expect(s.pingsAnswered).toBe(s.pingsSent);
    expect(s.udpEchoed).toBe(s.udpSent);
    expect(s.udpMismatched + s.tcpEchoMismatched).toBe(0);
    expect(s.tcpEchoConnections).toBeGreaterThan(2);
    expect(s.tcpEchoBytes).toBeGreaterThan(200_000);
    expect(discard.stats.tcpBytes).toBeGreaterThan(300_000);
    expect(s.httpOk).toBeGreaterThan(5);
    expect(s.httpFailures).toEqual({});
    expect(http.stats.notFound).toBe(1);
    expect(s.tcpAborted).toBe(0);
    expect(totalDrops(link.a.counters.drops)).toBe(0);
  });
});

describe('the transmit queue', () => {
  /** The TCP sequence number of a frame (IPv4 without options), or undefined for anything else. */
  const tcpSeq = (f: Uint8Array) => (f.length >= 54 && f[23] === 6 ? ((f[38]! << 24) | (f[39]! << 16) | (f[40]! << 8) | f[41]!) >>> 0 : undefined);

  it("keeps each connection's segments in order behind a backlog: an ACK made later never overtakes data already queued; a ping does", () => {
    const link = new Link();
    const listener = link.a.listen(9000);
    if (typeof listener === 'string') throw new Error(listener);
    const client = link.b.connect(A_IP, 9000);
    if (typeof client === 'string') throw new Error(client);
    link.run(5 * MS, () => listener.ready.length > 0);
    const server = listener.accept()!;
    link.run(link.now + MS);
    // a queues data it will not hand out yet (its transmitter is busy, say) ...
    server.send(patternBytes(0, 8 * 1460));
    const queued = link.a.framesWaiting;
    expect(queued).toBeGreaterThan(1);
    // ... then b's data arrives and a owes an ACK, and a ping is asked of it.
    client.send(patternBytes(0, 3 * 1460));
    for (const f of link.b.takeFrames()) link.a.input(f, link.now);
    link.a.ping(B_IP, 1, 1, new Uint8Array(8));
    const out = link.a.takeFrames();
    expect(out.length).toBeGreaterThan(queued);
    expect(tcpSeq(out[0]!)).toBeUndefined(); // the ping went first
    const seqs = out.map(tcpSeq).filter((x): x is number => x !== undefined);
    for (let k = 1; k < seqs.length; k++) expect(((seqs[k]! - seqs[k - 1]!) | 0) >= 0, `segment ${k}: ${seqs[k - 1]} then ${seqs[k]}`).toBe(true);
  });
});
