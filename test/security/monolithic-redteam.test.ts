// Red team, second round, against the monolithic topology's stack server (guest/monolithic/server.ts).
//
// Found: an operation that fails at once (a bind to port 0, a listen on a port in use, a connect
// with no ephemeral port) queues two events (EV_TCP reset, EV_CLOSED) and left its id free,
// so one 8 KiB request of 512 such records queued 1,024 events while a response carries 341:
// the events the server kept for the client grew without bound (68,300 after 100 requests),
// in the server's own memory, which no bank pays for. Fixed: the id of a socket whose EV_CLOSED
// is queued counts against the client's table (and cannot be reused) until reported
// (`Client.closing`); the test-only `unboundedPending` turns that off.
import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic, type MonolithicNet } from '../../emulator/cli/scenario/monolithic.js';

import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import type { ServerUnsafe } from '../../guest/monolithic/server.js';
import {
  EVENT_WORDS, LABEL_EXCHANGE, MAX_SOCKETS_PER_CLIENT, OP_BIND, OP_WORDS, REQUEST_BYTES, RESPONSE_BYTES, STATUS_OK,
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
