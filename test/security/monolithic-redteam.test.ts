// Red team, second round, against the monolithic topology's stack server (guest/monolithic/server.ts).
//
// Found: an operation that fails at once (a bind to port 0, a listen on a port in use, a connect
// with no ephemeral port) queues two events (EV_TCP reset, EV_CLOSED) and left its id free,
// so one 8 KiB request of 512 such records queued 1,024 events while a response carries 341:
// the events the server kept for the client grew without bound (68,300 after 100 requests),
// in the server's own memory, which no bank pays for. Fixed: the id of a socket whose EV_CLOSED
// is queued counts against the client's table (and cannot be reused) until reported
// (`Client.closing`); the test-only `unboundedPending` turns that off.
//
// Found: an application domain that computes without pause (no hostile protocol at all) kept
// the server's session forwarders, which the kernel places below the server and so below the
// applications at the server's priority, from ever running: the server heard of received frames
// only at its stacks' timers, and the neighbour's traffic stopped (discard 65 KB in 0.3 s
// against 3.27 MB alone, 0 of 31 UDP echoes). Fixed: the server's sleep is bounded (0.5 ms,
// server.ts POLL_SECONDS); the test-only `forwardersOnly` turns that off.
//
// Held (kept as regression tests): odd setup capabilities, 17 domains of one client's bank
// flooding the endpoint with refused records (slows the neighbour's discard stream from
// 3.27 MB to ~0.35 MB in 0.3 s, never stops it), the client's bank destroyed at every stage
// of an exchange.
import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic, type MonolithicNet } from '../../emulator/cli/scenario/monolithic.js';
import { destroyMidExchange } from './mid-exchange.js';

import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import type { ServerUnsafe } from '../../guest/monolithic/server.js';
import {
  EVENT_WORDS, LABEL_EXCHANGE, LABEL_SETUP_NOTIFY, LABEL_SETUP_PAGE, MAX_SOCKETS_PER_CLIENT, OP_BIND, OP_CLOSE, OP_GRANT, OP_WORDS, REQUEST_BYTES, RESPONSE_BYTES, STATUS_OK,
} from '../../guest/monolithic/protocol.js';
import { APP_SHARED_VA, APP_SLOTS, setup } from '../../guest/monolithic/proxy.js';

const CPU_HZ = 133_000_000;
const S = APP_SLOTS;
const RECORDS = REQUEST_BYTES / (OP_WORDS * 4);

const words = (...w: number[]) => {
  const b = new Uint8Array(w.length * 4);
  const v = new DataView(b.buffer);
  w.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
};

function* exchange(ctx: DomainContext, bytes: Uint8Array): GuestCode<{ status: number | string; n: number; more: boolean }> {
  if (bytes.length > 0) yield* ctx.write(APP_SHARED_VA, bytes);
  const r = yield* ctx.invoke(S.server, 'call', { label: LABEL_EXCHANGE, words: [bytes.length] });
  if (!r.ok) return { status: r.error, n: 0, more: false };
  return { status: r.value.words[0]!, n: r.value.words[1] ?? 0, more: r.value.words[2] === 1 };
}

interface PendingLog { backlog?: number; statuses: (number | string)[] }

/** Every record a create that fails at once (a UDP bind to port 0): each leaves the server two events to report. */
function pendingFlood(rounds: number, log: PendingLog): DomainBody {
  return function* (ctx) {
    if (typeof (yield* setup(ctx)) === 'string') return;
    yield* exchange(ctx, new Uint8Array(0));
    const batch = words(...Array.from({ length: RECORDS }, (_, k) => [OP_BIND, 1 + k, 0, 0]).flat());
    for (let j = 0; j < rounds; j++) log.statuses.push((yield* exchange(ctx, batch)).status);
    // Then drain: how many events the server kept for this client.
    let events = 0;
    for (;;) {
      const r = yield* exchange(ctx, new Uint8Array(0));
      events += r.n / (EVENT_WORDS * 4);
      if (!r.more || r.status !== STATUS_OK) break;
    }
    log.backlog = events;
    for (;;) yield* ctx.invoke(S.notify, 'wait', { timeout: CPU_HZ });
  };
}

function run(w: MonolithicNet, until: () => boolean, limit: number): string[] {
  const m = w.net.machine;
  const bad: string[] = [];
  while (!until() && m.now < limit) {
    m.runUntil(m.now + 1_000_000);
    bad.push(...violations(w.net));
  }
  return bad;
}

function pending(unsafe: ServerUnsafe | undefined) {
  const log: PendingLog = { statuses: [] };
  const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed: 3, appBody: (i) => (i === 1 ? pendingFlood(40, log) : undefined), serverUnsafe: unsafe });
  const bad = run(w, () => log.backlog !== undefined, 2 * CPU_HZ);
  return { w, log, bad };
}

describe('monolithic red team: a hostile application domain', () => {
  it('creates that fail at once cannot grow the events the server keeps for a client: they count against its socket table until reported', () => {
    const { w, log, bad } = pending(undefined);
    expect(bad).toEqual([]);
    expect(log.statuses.every((s) => s === STATUS_OK)).toBe(true);
    // At most one EV_TCP and one EV_CLOSED per socket the table could hold; the rest of each batch refused.
    expect(log.backlog).toBeLessThanOrEqual(2 * MAX_SOCKETS_PER_CLIENT);
    expect(w.server.rejected[1]).toBeGreaterThan(20 * RECORDS);
    expect(w.server.dropped).toEqual([undefined, undefined]);
    expect(w.exercisers[0]!.stats).toMatchObject({ tcpAborted: 0, tcpEchoMismatched: 0, udpMismatched: 0 });
  }, 60_000);

  it('with unboundedPending (failed ids free at once, not counted) the same 40 batches leave the server tens of thousands of events for that client', () => {
    const { log } = pending({ unboundedPending: true });
    expect(log.backlog).toBeGreaterThan(40 * (2 * RECORDS - RESPONSE_BYTES / (EVENT_WORDS * 4)) - 1);
  }, 60_000);
});

/** `children` more domains of the client's own bank, each holding the server's endpoint (badge 2), and the client itself, call the server back to back with whole request areas of records it refuses one by one. */
function multiFlood(children: number, calls: number[]): DomainBody {
  return function* (ctx) {
    if (typeof (yield* setup(ctx)) === 'string') return;
    yield* ctx.write(APP_SHARED_VA, words(...Array.from({ length: RECORDS }, () => [OP_GRANT, 0xfff0, 1, 0]).flat()));
    const flood = function* (c: DomainContext, slot: number): GuestCode {
      for (;;) {
        const r = yield* c.invoke(slot, 'call', { label: LABEL_EXCHANGE, words: [REQUEST_BYTES] });
        if (!r.ok) return;
        calls[0]!++;
      }
    };
    for (let j = 0; j < children; j++) {
      const r = yield* ctx.invoke(S.bank, 'allocDomain', { dst: 40 + j, space: S.space, body: (c: DomainContext) => flood(c, 0), caps: [S.server], name: `flood${j}` });
      if (!r.ok) break;
      calls[1]!++;
    }
    yield* flood(ctx, S.server);
  };
}

function neighbour(body: DomainBody, window = 0.3 * CPU_HZ, only?: 'discard' | 'udpEcho', serverUnsafe?: ServerUnsafe) {
  const traffic = only && { ping: false, udpEcho: only === 'udpEcho', tcpEcho: false, discard: only === 'discard', http: false };
  const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed: 5, appBody: (i) => (i === 1 ? body : undefined), traffic, serverUnsafe });
  const m = w.net.machine;
  while (w.trafficFrom === undefined) m.runUntil(m.now + 100_000);
  const bad = run(w, () => m.now >= w.trafficFrom! + window, Infinity);
  return { w, bad, stats: w.exercisers[0]!.stats };
}

interface OddLog { statuses: (number | string)[]; done?: boolean }

/**
 * Setup done oddly: one page handed over as all four pages of the shared region (request and
 * response areas overlap), and as the notification the server signals, capabilities that are
 * none: the server's own endpoint (send only, badged), the client's bank, its space. Between
 * them exchanges with a UDP socket whose datagrams the peer never sends (the server looks for
 * news and signals what it was given) and a `send` instead of a `call` (no reply capability).
 */
function oddSetup(log: OddLog): DomainBody {
  return function* (ctx) {
    const push = function* (label: number, w: number[], caps?: number[]) {
      const r = yield* ctx.invoke(S.server, 'call', { label, words: w, caps });
      log.statuses.push(r.ok ? r.value.words[0]! : r.error);
    };
    yield* push(LABEL_EXCHANGE, [0]); // before any setup
    if (!(yield* ctx.invoke(S.bank, 'allocPage', { dst: S.firstPage })).ok) return;
    if (!(yield* ctx.invoke(S.space, 'map', { va: APP_SHARED_VA, page: S.firstPage, rights: ['read', 'write'] })).ok) return;
    for (let j = 0; j < 4; j++) yield* push(LABEL_SETUP_PAGE, [j], [S.firstPage]);
    yield* push(LABEL_EXCHANGE, [0]); // pages, but no notification yet
    for (const cap of [S.server, S.bank, S.space]) {
      yield* push(LABEL_SETUP_NOTIFY, [], [cap]);
      yield* ctx.write(APP_SHARED_VA, words(OP_BIND, 1 + cap, 7000 + cap, 0, OP_CLOSE, 1 + cap, 0, 0));
      yield* push(LABEL_EXCHANGE, [32]);
      yield* push(LABEL_EXCHANGE, [0]);
    }
    yield* ctx.write(APP_SHARED_VA, words(OP_BIND, 50, 7100, 0));
    const sent = yield* ctx.invoke(S.server, 'send', { label: LABEL_EXCHANGE, words: [16] });
    log.statuses.push(sent.ok ? 'sent' : sent.error);
    yield* push(LABEL_EXCHANGE, [0]);
    log.done = true;
    yield* ctx.invoke(S.bank, 'allocNotification', { dst: S.notify });
    for (;;) yield* ctx.invoke(S.notify, 'wait', { timeout: CPU_HZ / 10 });
  };
}

/** Exchanges back to back, each a whole request area of grants for a socket that does not exist (the server refuses them one by one). */
function* grantFlooder(ctx: DomainContext): GuestCode {
  if (typeof (yield* setup(ctx)) === 'string') return;
  yield* ctx.write(APP_SHARED_VA, words(...Array.from({ length: RECORDS }, () => [OP_GRANT, 0xfff0, 1, 0]).flat()));
  for (;;) yield* ctx.invoke(S.server, 'call', { label: LABEL_EXCHANGE, words: [REQUEST_BYTES] });
}

describe('monolithic red team: the server holds', () => {
  it('odd setup (one page as all four, non-notifications as the notification, a send without a reply): refused or harmless, and the neighbour is served', () => {
    const log: OddLog = { statuses: [] };
    const { w, bad, stats } = neighbour(oddSetup(log), 0.2 * CPU_HZ);
    expect(bad).toEqual([]);
    expect(log.done).toBe(true);
    // Refused before setup and before the notification; the page accepted at every index; each capability taken as the "notification" (the server only ever signals it, which fails harmlessly); the exchanges answered.
    expect(log.statuses).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'sent', 0]);
    expect(w.server.rejected).toEqual([0, 2]);
    expect(w.server.dropped).toEqual([undefined, undefined]);
    expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
    expect(stats.udpEchoed).toBeGreaterThan(100);
    expect(stats.discardBytes + stats.tcpEchoBytes).toBeGreaterThan(100_000);
    expect(stats).toMatchObject({ tcpAborted: 0, tcpEchoMismatched: 0, udpMismatched: 0, httpFailures: {} });
  }, 60_000);

  it('the client and 16 more domains of its bank, each with the server endpoint, flood it with refused records: no wedge, no invariant broken, the neighbour served on (slower)', () => {
    const calls = [0, 0];
    const { w, bad, stats } = neighbour(multiFlood(16, calls), 0.3 * CPU_HZ, 'discard');
    expect(bad).toEqual([]);
    expect(calls[1]).toBe(16);
    expect(calls[0]).toBeGreaterThan(200); // the flood happened: hundreds of full requests of refused records in the window
    expect(w.server.rejected[1]).toBeGreaterThanOrEqual(calls[0]! * RECORDS);
    expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
    // Alone (an idle client 1) the discard stream moves ~3.3 MB in this window; under the flood ~0.35 MB (see the report of this round): slowed, not stopped.
    expect(stats.discardBytes).toBeGreaterThan(200_000);
    expect(stats.tcpAborted).toBe(0);
  }, 60_000);

  // One test per stage (ten points 4,000 cycles apart across an exchange), so that no single
  // test holds its vitest worker for long: a worker busy past vitest's fixed 60 s RPC timeout
  // fails the whole run though every test passed.
  for (let j = 0; j < 10; j++) {
    it(`client 1's bank destroyed at stage ${j} of an exchange (copy in, records applied, copy out; ${j * 4_000} cycles into it): the server drops it alone`, () => {
      let usage = 0;
      let slots = 0;
      const held = (w: MonolithicNet) => w.net.server!.domain.slots.filter((c) => c !== null).length;
      const { w, before, bad } = destroyMidExchange(grantFlooder, { warmSeconds: 0.05, offset: j * 4_000, checks: 10, atDestroy: (w) => ([usage, slots] = [w.net.server!.bank.usage, held(w)]) });
      const server = w.net.server!;
      expect(bad).toEqual([]);
      expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
      expect(w.server.dropped[0]).toBeUndefined();
      expect(w.exercisers[0]!.stats.udpEchoed).toBeGreaterThan(before.udpEchoed);
      // Nothing of the dropped client stays with the server: its own bank as it was, the client's slot block emptied.
      expect(server.bank.usage).toBe(usage);
      expect(held(w)).toBeLessThan(slots);
      expect(server.domain.slots.slice(48 + 6, 48 + 12)).toEqual(Array(6).fill(null)); // server.ts CLIENT_BLOCK, CLIENT_BLOCK_SLOTS
      expect(['page-fault', 'session-fault']).toContain(w.server.dropped[1]);
    }, 60_000);
  }
});

/** An application domain that, set up, computes without pause (no hostile protocol at all: a busy application). */
function* spinner(ctx: DomainContext): GuestCode {
  if (typeof (yield* setup(ctx)) === 'string') return;
  yield* exchange(ctx, new Uint8Array(0));
  for (;;) yield* ctx.compute(1_000_000);
}

describe('monolithic red team: a busy application domain', () => {
  // Alone (client 1 idle) in these windows: the discard stream moves 3.27 MB, and 301 of 301 UDP echoes come back.
  it('computing without pause does not starve the neighbour: the server polls its sessions every 0.5 ms', () => {
    const d = neighbour(spinner, 0.3 * CPU_HZ, 'discard');
    const u = neighbour(spinner, 0.3 * CPU_HZ, 'udpEcho');
    expect([...d.bad, ...u.bad]).toEqual([]);
    expect(d.stats.discardBytes).toBeGreaterThan(1_500_000); // 2.29 MB measured: a fair share of the CPU
    expect(u.stats.udpEchoed).toBeGreaterThan(150); // 198 of 200
    expect(u.stats.udpMismatched).toBe(0);
  }, 60_000);

  it('with forwardersOnly (the server sleeps until a forwarder, below the spinning application, signals it) the neighbour is starved', () => {
    const d = neighbour(spinner, 0.3 * CPU_HZ, 'discard', { forwardersOnly: true });
    const u = neighbour(spinner, 0.3 * CPU_HZ, 'udpEcho', { forwardersOnly: true });
    expect(d.stats.discardBytes).toBeLessThan(200_000); // 65,536 measured: one window, then only the stacks' timers
    expect(u.stats.udpEchoed).toBeLessThan(5); // 0 of 31
  }, 60_000);
});
