// Shared by the check tests (test/security/check-*.test.ts): run a composition while its
// checks watch, collecting what they report instead of stopping at the first violation, so a
// test can assert that a check names exactly the violation it created.

import { violations } from '../../emulator/cli/scenario/checks.js';
import type { Net } from '../../emulator/cli/scenario/net.js';

/** Run `cycles`, checking every `stride`; returns every distinct violation seen, in order. */
export function runWatched(w: Net, cycles: number, stride = 20_000): string[] {
  const seen = new Set<string>();
  const end = w.machine.now + cycles;
  while (w.machine.now < end) {
    w.machine.runUntil(Math.min(end, w.machine.now + stride));
    for (const v of violations(w)) seen.add(v);
  }
  return [...seen];
}
