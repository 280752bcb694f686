// Domain code calls its context's memory operations and invocations as generators
// (`yield* ctx.store32(va, v)`): a call written as a plain statement builds the generator and
// drops it, so the store, the system call or the ring operation silently never happens. This
// test reads every domain module and flags a statement that calls one of the domain API's
// generator methods (the context's, the session library's, the driver's own) without using
// what it returns.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { domainModules, ROOT } from './modules.js';

/** Methods that return a generator: DomainContext (guest/kernel/api/context.ts), ClientSession, the rings, the driver. */
const GENERATOR_METHODS = new Set([
  'load8', 'load16', 'load32', 'store8', 'store16', 'store32', 'compute', 'read', 'write', 'copy', 'checksum', 'zero', 'invoke', 'reply',
  'post', 'kick', 'submit', 'deliveries', 'completions', 'wait', 'poll', 'take', 'put', 'space',
  'guard', 'mapRx', 'pin', 'unpin', 'service', 'reclaim', 'releaseSlots', 'flushNotifications', 'takeFills',
]);

/** Statements in `text` that call a generator method and drop the generator. */
export function droppedGenerators(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isExpressionStatement(n) && ts.isCallExpression(n.expression) && ts.isPropertyAccessExpression(n.expression.expression) && GENERATOR_METHODS.has(n.expression.expression.name.text)) {
      found.push(`${path}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText()}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  return found;
}

describe('domain code never drops a generator it meant to run', () => {
  it('no statement in a domain module calls a generator method without yield*', () => {
    expect(domainModules().flatMap((m) => droppedGenerators(m, readFileSync(join(ROOT, m), 'utf8')))).toEqual([]);
  });

  it('the check sees a dropped store and accepts a delegated one', () => {
    expect(droppedGenerators('x.ts', 'function* f(ctx) {\n  ctx.store32(0, 1);\n  yield* ctx.store32(0, 1);\n  const g = ctx.load32(0);\n}\n')).toEqual(['x.ts:2: ctx.store32(0, 1);']);
  });
});
