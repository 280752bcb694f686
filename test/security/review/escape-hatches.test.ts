// Red-team review (architecture.md §3: "The same test forbids, in all of guest/, the ways around
// the import graph: computed dynamic import(), require(, createRequire, globalThis and
// process."): the forbidden list is a handful of regular expressions, and the same escapes are
// spelled in other ways that pass it. Each snippet below passed the old pattern check and, at run time in
// the hardened realm, reaches the host's `process` (exit, env, binding) or the global object.
// Fixed: the check reads the syntax tree (test/architecture/escapes.ts); kept as a regression test.

import { describe, expect, it } from 'vitest';
import { escapesIn } from '../../architecture/escapes.js';

const SNIPPETS: [string, () => unknown][] = [
  ['const p = process; p.exit', () => { const p = process; return typeof p.exit; }],
  ["process['binding']", () => typeof (process as unknown as Record<string, unknown>)['binding']],
  ['global.process', () => typeof (global as unknown as { process: unknown }).process],
  ["(0, eval)('this')", () => typeof (0, eval)('this').process],
];

describe('review: the escape-hatch check on guest/', () => {
  for (const [text] of SNIPPETS) {
    it(`flags ${text}`, () => {
      expect(escapesIn('guest/apps/evil.ts', text)).not.toEqual([]);
    });
  }
  it('(the snippets do reach the host at run time)', () => {
    expect(SNIPPETS.map(([, f]) => f())).toEqual(['function', 'function', 'object', 'object']);
  });
});
