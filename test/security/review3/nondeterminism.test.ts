// A hostile client makes runs of the boot scenario differ from one another with the same
// options and seed: its code, within the static rules for domain code, reads the host's
// randomness and wall clock.
//
// WHAT HAPPENS. DESIGN.md §3 promises that "a run is a pure function of its config and seed.
// No Math.random, no wall clock inside the simulation", and the boot report's trace hash is
// the evidence (docs/network.md §8: "The same options and seed give the same trace hash").
// The static rules for guest/ code (test/architecture/escapes.ts) ban the global object, the
// host, code from strings, host timers, WeakRef and FinalizationRegistry, shared memory and
// engine hooks, but not Math.random, Date (Date.now(), new Date()), performance.now() or
// Intl; and the hardened realm (SES lockdown, run in the start compartment where every
// domain runs) leaves all of them working. So an application (BootOptions.apps), or any stack
// or domain body, that passes every architecture test can send a datagram when
// `Math.random() < 0.5`, or at `performance.now() % 1000` cycles: the frames it sends, hence
// the driver's, the card's and the peer's work, and the neighbour's timing, differ from run
// to run, and a failure seen once cannot be replayed from its one-line command. It is not a
// timing side channel (docs/threat-model.md §6 leaves those out): no emulated secret is read,
// the host's entropy is let in.
//
// THE DEFENCE. Guest code may not name Date, performance, Intl or crypto as values, nor read
// a `random` property (Math.random): test/architecture/escapes.ts bans them as it bans the
// host and the global object, so the architecture test refuses such code. What the realm
// still offers the host at run time (the CLI's logger and the tests use the wall clock) is
// outside the model for code that breaks the static rules, as docs/threat-model.md §6 says
// of `process`.

import { describe, expect, it } from 'vitest';
import { escapesIn } from '../../architecture/escapes.js';

const SNIPPETS = [
  'if (Math.random() < 0.5) sock.sendto(peer, 9, data);',
  'const t = Date.now();',
  'const t = new Date().getTime();',
  'const t = performance.now();',
  'const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;',
];

describe('host entropy in domain code', () => {
  for (const text of SNIPPETS) {
    it(`the static check flags: ${text}`, () => {
      expect(escapesIn('guest/apps/evil.ts', text)).not.toEqual([]);
    });
  }

});
