// Red team, monolithic server: one exchange whose send record claims a length of 2^31 or
// more. The reader padded the length in 32-bit arithmetic, so 2^31 padded to a negative
// number, passed the bounds check and moved the read offset backwards: the next read threw a
// RangeError that is no page fault and ended the server, and with it every client's service
// (0xFFFFFFFF padded to 0, and the data was parsed again as records). The reader now bounds
// the length by what is left before padding it. Without that check this test fails: the
// server's domain is faulted and client 0's echoes stop.

import { expect, it } from 'vitest';
import '../../emulator/machine/realm-hardened.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic } from '../../emulator/cli/scenario/monolithic.js';
import type { DomainBody, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { LABEL_EXCHANGE, OP_SEND } from '../../guest/monolithic/protocol.js';
import { APP_SHARED_VA, APP_SLOTS, setup } from '../../guest/monolithic/proxy.js';
const CPU_HZ = 133_000_000;
const S = APP_SLOTS;
const words = (...w: number[]) => { const b = new Uint8Array(w.length * 4); const v = new DataView(b.buffer); w.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true)); return b; };
function crasher(log: unknown[]): DomainBody {
  return function* (ctx: DomainContext): GuestCode {
    if (typeof (yield* setup(ctx)) === 'string') return;
    yield* ctx.invoke(S.server, 'call', { label: LABEL_EXCHANGE, words: [0] });
    yield* ctx.invoke(S.notify, 'wait', { timeout: 0.2 * CPU_HZ });
    for (const len of [0x8000_0000, 0xffff_ffff, 0xffff_fffd]) {
      yield* ctx.write(APP_SHARED_VA, words(OP_SEND, 1, len, 0, OP_SEND, 1, len, 0));
      const r = yield* ctx.invoke(S.server, 'call', { label: LABEL_EXCHANGE, words: [32] });
      log.push(r.ok ? r.value.words[0] : r.error);
    }
    for (;;) yield* ctx.invoke(S.notify, 'wait', { timeout: CPU_HZ });
  };
}
it('send records with lengths of 2^31 and more are refused; the server and client 0 carry on', () => {
  const log: unknown[] = [];
  const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed: 11, appBody: (i) => (i === 1 ? crasher(log) : undefined) });
  const m = w.net.machine; const bad: string[] = [];
  while (m.now < 0.2 * CPU_HZ) { m.runUntil(m.now + 1_000_000); bad.push(...violations(w.net)); }
  const mid = w.exercisers[0]!.stats.udpEchoed;
  while (m.now < 0.5 * CPU_HZ) { m.runUntil(m.now + 1_000_000); bad.push(...violations(w.net)); }
  expect(bad).toEqual([]);
  expect(log).toHaveLength(3);
  expect(w.server.rejected[1]).toBeGreaterThanOrEqual(3);
  expect(['ready', 'waiting', 'running']).toContain(w.net.server!.domain.state);
  expect(w.exercisers[0]!.stats.udpEchoed).toBeGreaterThan(mid);
}, 60_000);
