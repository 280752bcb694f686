// Red team against the monolithic topology's stack server (guest/monolithic/server.ts),
// which serves every client's application domain and trusts none. Client 1's application
// domain is hostile: once set up it sends the server every malformed request it can think
// of (lengths past the request area or not a word, operation records with another client's
// socket ids and with lengths past what it copied, unknown operations and labels, grants
// beyond the window, pages at bad or repeated indexes), then frees a page of its shared
// region and asks for an exchange over it, so the server's copy faults. Client 0 runs the
// default servers and the peer exercises it all along. Then a client 1 that floods the server
// with whole-area exchanges has its bank destroyed while the server is copying its request
// (the revocation lands between two cache lines of the server's read).
//
// Defences: every request is copied into the server's memory and checked record by record
// (socket ids name only the calling client's own sockets); a fault on a client's page drops
// that client alone. With the test-only `trustClientPages` the fault is not caught: it ends
// the server, and client 0, which did nothing, is no longer served. The test shows both.

import { describe, expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic, type MonolithicNet } from '../../emulator/cli/scenario/monolithic.js';
import { destroyMidExchange } from './mid-exchange.js';
import type { ExerciserStats } from '../../guest/apps/exerciser.js';
import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import {
  FIRST_ACCEPTED_ID, LABEL_EXCHANGE, LABEL_SETUP_PAGE, MIRROR_RX_BYTES, OP_ABORT, OP_CLOSE, OP_GRANT, OP_SEND, OP_WORDS, REQUEST_BYTES, STATUS_OK,
} from '../../guest/monolithic/protocol.js';
import { APP_SHARED_VA, APP_SLOTS, setup } from '../../guest/monolithic/proxy.js';

const CPU_HZ = 133_000_000;
/** The hostile waits this long before attacking, so client 0 is seen served before and after. */
const ATTACK_AFTER = 0.25 * CPU_HZ;
const RUN = 0.9 * CPU_HZ;
const S = APP_SLOTS;

interface Log {
  /** Status word of each bogus request's reply (or the call's error). */
  replies: (number | string)[];
  /** The exchange over the freed page. */
  afterFree?: number | string;
  attackedAt?: number;
}

const words = (...w: number[]) => {
  const b = new Uint8Array(w.length * 4);
  const v = new DataView(b.buffer);
  w.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
};

function hostile(log: Log): DomainBody {
  return function* (ctx: DomainContext): GuestCode {
    if (typeof (yield* setup(ctx)) === 'string') return;
    const call = function* (label: number, w: number[], caps?: number[]) {
      const r = yield* ctx.invoke(S.server, 'call', { label, words: w, caps });
      return r.ok ? r.value.words[0]! : r.error;
    };
    yield* call(LABEL_EXCHANGE, [0]); // an honest first exchange: the peer starts its traffic
    yield* ctx.invoke(S.notify, 'wait', { timeout: ATTACK_AFTER });
    log.attackedAt = ctx.now();
    // Lengths the request area cannot hold, or not a whole number of words.
    for (const n of [REQUEST_BYTES + 4, 0xffff_ffff, 3, 2 ** 31]) log.replies.push(yield* call(LABEL_EXCHANGE, [n]));
    // Records naming client 0's sockets (its listeners are ids 1 to 6, its accepted connections from FIRST_ACCEPTED_ID on), a send whose length runs past the copy, a grant past the window, an unknown operation.
    const ids = [1, 2, 3, 4, 5, 6, ...Array.from({ length: 20 }, (_, i) => FIRST_ACCEPTED_ID + i)];
    const records = [
      ...ids.flatMap((id) => [OP_ABORT, id, 0, 0, OP_CLOSE, id, 0, 0]),
      ...ids.flatMap((id) => [OP_GRANT, id, MIRROR_RX_BYTES, 0]),
      0xbeef, 1, 2, 3,
    ];
    let bytes = words(...records);
    yield* ctx.write(APP_SHARED_VA, bytes);
    log.replies.push(yield* call(LABEL_EXCHANGE, [bytes.length]));
    bytes = words(OP_SEND, FIRST_ACCEPTED_ID, REQUEST_BYTES, 0);
    yield* ctx.write(APP_SHARED_VA, bytes);
    log.replies.push(yield* call(LABEL_EXCHANGE, [OP_WORDS * 4 + 64]));
    // Bad labels and pages: an index past the region, one already given, none at all.
    log.replies.push(yield* call(0x7777, [1, 2, 3]));
    log.replies.push(yield* call(LABEL_SETUP_PAGE, [99], [S.firstPage]));
    log.replies.push(yield* call(LABEL_SETUP_PAGE, [0], [S.firstPage]));
    log.replies.push(yield* call(LABEL_SETUP_PAGE, [1]));
    // The page the server copies requests from goes: the server's copy faults.
    yield* ctx.invoke(S.bank, 'free', { target: S.firstPage });
    log.afterFree = yield* call(LABEL_EXCHANGE, [REQUEST_BYTES]);
    for (;;) yield* ctx.invoke(S.notify, 'wait', { timeout: ATTACK_AFTER }); // stays alive: its bank is not destroyed
  };
}

/** Client 1 asks for exchanges of a whole request area, back to back: the server spends much of its time copying them. */
function* flooder(ctx: DomainContext): GuestCode {
  if (typeof (yield* setup(ctx)) === 'string') return;
  for (;;) yield* ctx.invoke(S.server, 'call', { label: LABEL_EXCHANGE, words: [REQUEST_BYTES] });
}

function attack(trustClientPages: boolean) {
  const log: Log = { replies: [] };
  const w: MonolithicNet = composeMonolithic({
    mode: 'busmaster', strategy: 'flip', clients: 2, seed: 11, appBody: (i) => (i === 1 ? hostile(log) : undefined),
    serverUnsafe: { trustClientPages },
  });
  const m = w.net.machine;
  const bad: string[] = [];
  let atAttack: ExerciserStats | undefined;
  while (m.now < RUN) {
    m.runUntil(m.now + 1_000_000);
    bad.push(...violations(w.net));
    if (log.attackedAt !== undefined && !atAttack) atAttack = structuredClone(w.exercisers[0]!.stats);
  }
  return { w, log, bad, atAttack: atAttack!, end: w.exercisers[0]!.stats };
}

describe('a hostile application domain against the monolithic stack server', () => {
  it('bogus requests are refused and counted, a freed page drops only that client: client 0 is served on', () => {
    const { w, log, bad, atAttack, end } = attack(false);
    expect(bad).toEqual([]);
    expect(log.attackedAt).toBeDefined();
    // Every bogus exchange and setup refused; the records naming client 0's sockets refused one by one (the batch itself is answered).
    expect(log.replies).toEqual([1, 1, 1, 1, STATUS_OK, STATUS_OK, 1, 1, 1, 1]);
    expect(w.server.rejected[1]).toBeGreaterThanOrEqual(4 + 26 * 3 + 1 + 1 + 4);
    expect(log.afterFree).toBe(1);
    expect(w.server.dropped).toEqual([undefined, 'page-fault']);
    expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
    // Client 0 is served after the attack as before: its connections were not closed by the other's ids.
    expect(atAttack.udpEchoed).toBeGreaterThan(0);
    expect(end.udpEchoed).toBeGreaterThan(atAttack.udpEchoed);
    expect(end.tcpEchoBytes).toBeGreaterThan(atAttack.tcpEchoBytes);
    expect(end.discardBytes).toBeGreaterThan(atAttack.discardBytes);
    expect(end).toMatchObject({ tcpAborted: 0, tcpEchoMismatched: 0, udpMismatched: 0, httpFailures: {} });
    expect(w.server.rejected[0]).toBe(0);
  }, 120_000);

  it('with trustClientPages (the fault not caught) the same attack ends the server, and client 0 is no longer served', () => {
    const { w, log, atAttack, end } = attack(true);
    expect(log.attackedAt).toBeDefined();
    expect(w.net.server!.domain.state).toBe('faulted');
    expect(atAttack.udpEchoed).toBeGreaterThan(0);
    // Nothing is answered after the attack: the datagrams and pings in flight then are all there is.
    expect(end.udpEchoed - atAttack.udpEchoed).toBeLessThanOrEqual(2);
    expect(end.pingsSent - end.pingsAnswered).toBeGreaterThan(10);
  }, 120_000);

  it("client 1's bank destroyed while the server copies its request: the server survives the fault and client 0 is served on", () => {
    const outcomes: (string | undefined)[] = [];
    // Destroy while client 1 waits for the server's reply (the server has its request), a little later each time: in the middle of the server's copy.
    for (let j = 0; j < 4; j++) {
      const { w, before, bad } = destroyMidExchange(flooder, { warmSeconds: 0.1, offset: j * 200, checks: 15 });
      expect(bad).toEqual([]);
      expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
      expect(w.server.dropped[0]).toBeUndefined();
      expect(w.exercisers[0]!.stats.udpEchoed).toBeGreaterThan(before.udpEchoed);
      expect(w.exercisers[0]!.stats.pingsAnswered).toBeGreaterThan(before.pingsAnswered);
      outcomes.push(w.server.dropped[1]);
    }
    // The destructions landed while the server was copying: its read faulted and was caught.
    expect(outcomes).toContain('page-fault');
    expect(outcomes.every((o) => o === 'page-fault' || o === 'session-fault')).toBe(true);
  }, 180_000);
});
