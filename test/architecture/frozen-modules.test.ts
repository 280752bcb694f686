// No module that domain code may import holds mutable state (DESIGN.md §2, issue 9 attack 3).
// Every domain (the driver, each stack) imports the same module instances: an exported object
// one domain can change (a ring layout, a class prototype, a constant table) changes what its
// neighbours and the driver compute. Two checks, over every module under guest/ but the kernel:
// - statically, the top level binds no mutable state: no `let`/`var`, no container (array,
//   object, Map, typed array, RegExp) unless frozen on the spot, and every class is hardened;
// - at run time (this file runs in the hardened realm), every export is deeply frozen.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { domainModules, ROOT } from './modules.js';

/** Whether `e` evaluates to something immutable without help (a primitive, a function, a reference to another binding). */
function immutable(e: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e)) return immutable(e.expression);
  if (ts.isNumericLiteral(e) || ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isBigIntLiteral(e)) return true;
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || e.kind === ts.SyntaxKind.NullKeyword) return true;
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => immutable(s.expression));
  if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) return true; // another binding, already checked where it is declared
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return true; // a function's own properties are frozen with the exports
  if (ts.isPrefixUnaryExpression(e)) return immutable(e.operand);
  if (ts.isBinaryExpression(e)) return immutable(e.left) && immutable(e.right);
  if (ts.isConditionalExpression(e)) return immutable(e.whenTrue) && immutable(e.whenFalse);
  if (ts.isCallExpression(e)) {
    const callee = e.expression.getText();
    return callee === 'Object.freeze' || callee === 'harden' || isPureNumberCall(e);
  }
  return false;
}

/** Calls that yield a number or string from constants (Math.max(...), String(...)): no container. */
function isPureNumberCall(e: ts.CallExpression): boolean {
  return /^(Math\.\w+|Number|String|parseInt)$/.test(e.expression.getText()) && e.arguments.every(immutable);
}

/** The names hardened at the top level: identifiers inside `harden(...)` calls. */
function hardenedNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    ts.forEachChild(n, visit);
  };
  for (const s of file.statements) {
    if (ts.isExpressionStatement(s) && ts.isCallExpression(s.expression) && s.expression.expression.getText() === 'harden') s.expression.arguments.forEach(visit);
  }
  return names;
}

/** What in `path`'s top level can hold mutable state. */
export function mutableTopLevel(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const hardened = hardenedNames(file);
  const found: string[] = [];
  const line = (n: ts.Node) => file.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  for (const s of file.statements) {
    if (ts.isVariableStatement(s)) {
      const isConst = (s.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of s.declarationList.declarations) {
        const name = d.name.getText();
        if (!isConst) found.push(`${path}:${line(d)} '${name}' is a top-level let/var`);
        else if (d.initializer && !immutable(d.initializer)) found.push(`${path}:${line(d)} '${name}' holds a mutable value (freeze it: Object.freeze for data, harden for functions and classes)`);
      }
    } else if (ts.isClassDeclaration(s) && s.name && !hardened.has(s.name.text)) {
      found.push(`${path}:${line(s)} class '${s.name.text}' is not hardened (add it to the module's harden(...) call)`);
    }
  }
  return found;
}

/** The first mutable thing reachable from `x` through own properties and class prototypes, or undefined. */
function thawed(x: unknown, path: string, seen = new Set<unknown>()): string | undefined {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null || seen.has(x)) return undefined;
  seen.add(x);
  if (ArrayBuffer.isView(x)) return `${path} is a typed array (it cannot be frozen: export a function or a frozen array of numbers)`;
  if (!Object.isFrozen(x)) return `${path} is not frozen`;
  for (const key of Reflect.ownKeys(x)) {
    const d = Object.getOwnPropertyDescriptor(x, key)!;
    for (const v of [d.value, d.get, d.set]) {
      const bad = thawed(v, `${path}.${String(key)}`, seen);
      if (bad) return bad;
    }
  }
  return undefined;
}

describe('modules domain code may import hold no mutable state', () => {
  const modules = domainModules();

  it('finds the domain modules', () => {
    expect(modules.length).toBeGreaterThan(20);
    expect(modules).toContain('guest/session/layout.ts');
  });

  it('binds no mutable state at the top level', () => {
    const found = modules.flatMap((m) => mutableTopLevel(m, readFileSync(join(ROOT, m), 'utf8')));
    expect(found).toEqual([]);
  });

  it('the static check sees a top-level let, an unfrozen container and an unhardened class', () => {
    const text = 'let n = 0;\nexport const L = { a: 1 };\nconst M = new Map();\nexport const F = Object.freeze({ a: 1 });\nexport class C {}\nclass D {}\nharden(D);\n';
    expect(mutableTopLevel('x.ts', text).map((s) => s.replace(/ \(.*$/, ''))).toEqual([
      "x.ts:1 'n' is a top-level let/var", "x.ts:2 'L' holds a mutable value", "x.ts:3 'M' holds a mutable value", "x.ts:5 class 'C' is not hardened",
    ]);
  });

  it('every export is deeply frozen', async () => {
    const found: string[] = [];
    for (const m of modules) {
      const ns = (await import(join(ROOT, m))) as Record<string, unknown>;
      for (const [name, v] of Object.entries(ns)) {
        const bad = thawed(v, `${m}: ${name}`);
        if (bad) found.push(bad);
      }
    }
    expect(found).toEqual([]);
  });

  it('an export a domain changes is refused: the ring layout the driver uses stays as it is', async () => {
    const layout = await import('../../guest/session/layout.js');
    expect(() => {
      (layout.TX_SUBMIT as { entriesOffset: number }).entriesOffset = 0x800;
    }).toThrow(TypeError);
    expect(layout.TX_SUBMIT.entriesOffset).toBe(0x100);
  });
});
