// Acceptance of the monolithic topology (emulator/cli/scenario/monolithic.ts: one stack
// server domain for every client, the applications in application domains over IPC): the
// peer's exercisers get answers from both clients of a two-client machine (ICMP, UDP echo,
// TCP echo and discard, HTTP bodies byte-exact), as in the factored composition; 1 MB of TCP
// into one client's BulkReceiver arrives byte-exact; client 1 destroying its bank mid-run
// stops its applications and frees its state on the server while client 0 goes on being
// served, every invariant holding throughout; and a run is a pure function of its seed.

import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic, type MonolithicNet } from '../../emulator/cli/scenario/monolithic.js';
import { ipOf } from '../../emulator/cli/scenario/net.js';
import { composeStackNet } from '../../emulator/cli/scenario/stacks.js';
import { BulkReceiver, BulkSender } from '../../guest/apps/bulk.js';
import type { ExerciserStats } from '../../guest/apps/exerciser.js';

const CPU_HZ = 133_000_000;
/** Cycles between invariant checks. */
const STRIDE = 1_000_000;
const PORT = 5001;

function monolithic(clients: number, seed = 3): MonolithicNet {
  const w = composeStackNet({ mode: 'busmaster', strategy: 'flip', clients, seed, topology: 'monolithic' });
  return w as MonolithicNet;
}

/** Run `w` until `done` or `limit` cycles, checking the invariants every stride; returns the violations. */
function run(w: MonolithicNet, limit: number, done: () => boolean = () => false, each: () => void = () => {}): string[] {
  const m = w.net.machine;
  const bad: string[] = [];
  while (m.now < limit && !done()) {
    m.runUntil(m.now + STRIDE);
    bad.push(...violations(w.net));
    each();
  }
  return bad;
}

const answered = (s: ExerciserStats | undefined) => s !== undefined && s.httpOk >= 2 && s.udpEchoed > 0 && s.tcpEchoBytes > 0 && s.discardBytes > 0 && s.pingsAnswered > 0;

describe('the monolithic topology: one stack server, the applications in their own domains', () => {
  it("two clients: the peer's exercisers get answers from both (ping, UDP and TCP echo, discard, HTTP bodies byte-exact), every invariant holding", () => {
    const w = monolithic(2);
    const bad = run(w, 2 * CPU_HZ, () => w.exercisers.every((e) => answered(e?.stats)));
    bad.push(...violations(w.net, true));
    expect(bad).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const s = w.exercisers[i]!.stats;
      expect(s).toMatchObject({ udpMismatched: 0, tcpEchoMismatched: 0, tcpAborted: 0, httpFailures: {} });
      expect(answered(s)).toBe(true);
      // Each client's own servers, in its own application domain, did the work.
      const srv = w.servers[i]!;
      expect(srv.echo.stats.tcpBytes).toBeGreaterThan(0);
      expect(srv.echo.stats.udpDatagrams).toBeGreaterThan(0);
      expect(srv.discard.stats.tcpBytes).toBeGreaterThan(0);
      expect(w.probes[i]!.counters!.tcp.segmentsIn).toBeGreaterThan(0);
      expect(w.apps[i]!.status).toBe('open');
      expect(w.apps[i]!.exchanges).toBeGreaterThan(10);
    }
    expect(w.server.dropped).toEqual([undefined, undefined]);
    expect(w.server.rejected).toEqual([0, 0]);
    // One server domain for both clients, its sessions relayed by forwarders in its space; the application domains are the clients'.
    const names = w.net.kernel.state.domains.map((d) => d.name);
    expect(names.filter((n) => n.startsWith('stackserver'))).toEqual(['stackserver', 'stackserver.session0', 'stackserver.session1']);
    expect(w.net.clients.map((c) => c.domain!.bank)).toEqual(w.net.clients.map((c) => c.bank));
  }, 120_000);

  it('1 MB of TCP from the peer into one client arrives byte-exact in its BulkReceiver', () => {
    let rx: BulkReceiver | undefined;
    const w = composeStackNet({
      mode: 'busmaster', strategy: 'flip', clients: 1, seed: 5, topology: 'monolithic', noExercisers: true,
      apps: (_i, s) => [(rx = new BulkReceiver(s, PORT))],
    }) as MonolithicNet;
    let started = false;
    const bad = run(w, 20 * CPU_HZ, () => rx?.stats.completed === 1, () => {
      if (started || w.probes[0]!.status !== 'open') return;
      started = true;
      w.peer!.run((stack) => [new BulkSender(stack, ipOf(0), PORT, 1 << 20)]);
    });
    bad.push(...violations(w.net, true));
    expect(bad).toEqual([]);
    expect(rx!.stats).toMatchObject({ bytes: 1 << 20, mismatched: 0, completed: 1, connections: 1 });
    expect(w.server.rejected).toEqual([0]);
  }, 120_000);

  it("client 1 destroying its bank mid-run stops its applications and frees its session and sockets on the server; client 0 goes on being served", () => {
    const w = monolithic(2);
    const m = w.net.machine;
    let revokedAt: number | undefined;
    let before: ExerciserStats | undefined;
    const bad = run(w, 1.5 * CPU_HZ, () => false, () => {
      if (revokedAt !== undefined || w.trafficFrom === undefined || m.now < w.trafficFrom + 0.2 * CPU_HZ) return;
      revokedAt = m.now;
      before = structuredClone(w.exercisers[0]!.stats);
      w.net.kernel.destroy(w.net.clients[1]!.bank);
    });
    bad.push(...violations(w.net, true));
    expect(bad).toEqual([]);
    expect(revokedAt).toBeDefined();
    // Client 1: its application domain and the server's state for it are gone.
    expect(w.net.clients[1]!.domain!.state).toBe('stopped');
    expect(w.server.dropped[1]).toMatch(/session|fault/);
    expect(w.net.kernel.state.domains.some((d) => d.name === 'stackserver.session1' && d.state !== 'stopped')).toBe(false);
    expect(w.net.clients[1]!.bank.usage).toBe(0);
    // Client 0: still served after the revocation, by the same server.
    expect(w.server.dropped[0]).toBeUndefined();
    expect(w.net.server!.domain.state).not.toBe('stopped');
    const after = w.exercisers[0]!.stats;
    expect(after.udpEchoed).toBeGreaterThan(before!.udpEchoed);
    expect(after.tcpEchoBytes).toBeGreaterThan(before!.tcpEchoBytes);
    expect(after.pingsAnswered).toBeGreaterThan(before!.pingsAnswered);
    expect(after).toMatchObject({ udpMismatched: 0, tcpEchoMismatched: 0, httpFailures: {} });
  }, 120_000);

  it('is deterministic: the same seed gives the same machine trace, another seed another', () => {
    const hash = (seed: number) => {
      const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed });
      w.net.machine.runUntil(0.05 * CPU_HZ);
      expect(w.exercisers.every((e) => e !== undefined)).toBe(true);
      return w.net.machine.trace.hash();
    };
    const a = hash(3);
    expect(hash(3)).toBe(a);
    expect(hash(4)).not.toBe(a);
  }, 120_000);
});
