// Shared by the monolithic topology's security tests: client 1's bank destroyed while its
// application domain waits for the shared server's reply (the server holds its request), some
// cycles into that exchange, then the run checked every 10 ms for a while. What each test
// asserts of the outcome is its own.

import { violations } from '../../emulator/cli/scenario/checks.js';
import { composeMonolithic, type MonolithicNet } from '../../emulator/cli/scenario/monolithic.js';
import type { ExerciserStats } from '../../guest/apps/exerciser.js';
import type { DomainBody } from '../../guest/kernel/api/context.js';

const CPU_HZ = 133_000_000;
/** How often the invariants are checked after the destroy: every 10 emulated ms. */
const CHECK_SECONDS = 0.01;

export interface MidExchange {
  w: MonolithicNet;
  /** Client 0's exerciser's stats when client 1's bank was destroyed. */
  before: ExerciserStats;
  /** Every invariant violation the checks after it saw. */
  bad: string[];
}

/**
 * Client 1 runs `appBody`; once the peer's traffic has run `warmSeconds`, wait for client 1 to
 * be in an exchange with the server, let `offset` more cycles pass, destroy its bank, and check
 * the invariants `checks` times, 10 ms apart. `atDestroy` is told just before the destroy.
 */
export function destroyMidExchange(appBody: DomainBody, o: { warmSeconds: number; offset: number; checks: number; atDestroy?: (w: MonolithicNet) => void }): MidExchange {
  const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed: 11, appBody: (i) => (i === 1 ? appBody : undefined) });
  const m = w.net.machine;
  while (w.trafficFrom === undefined) m.runUntil(m.now + 100_000);
  m.runUntil(w.trafficFrom + o.warmSeconds * CPU_HZ);
  while (w.net.clients[1]!.domain!.wait?.kind !== 'reply') m.runUntil(m.now + 50);
  m.runUntil(m.now + o.offset);
  const before = structuredClone(w.exercisers[0]!.stats);
  o.atDestroy?.(w);
  w.net.kernel.destroy(w.net.clients[1]!.bank);
  const bad: string[] = [];
  for (let k = 0; k < o.checks; k++) {
    m.runUntil(m.now + CHECK_SECONDS * CPU_HZ);
    bad.push(...violations(w.net));
  }
  return { w, before, bad };
}
