// Ways around the import graph and the context that guest code (the kernel and every domain)
// must not use at all: the static half of the protection boundary (the hardened realm is the
// run-time half, emulator/machine/realm.ts). Read from the syntax tree, not by pattern: a name
// is banned wherever it is used as a value (`const p = process`, `process['binding']`,
// `global.process`, `(0, eval)('this')`), and a property is banned wherever it is read or
// written (`Error.prepareStackTrace = ...`). Property names after a dot and object keys that
// merely share a banned name (`x.process`, `{ self: 1 }`), and names the file declares itself
// (a local `parent`), are not uses of the global.

import ts from 'typescript';

/** Global names that give ambient authority or a way out: the host, the global object, code from strings, host timers and jobs, shared memory, other realms. */
const BANNED_NAMES = new Map<string, string>([
  ...['globalThis', 'global', 'window', 'self', 'frames', 'parent', 'top', 'document'].map((n): [string, string] => [n, 'the global object']),
  ...['process', 'Buffer', 'require', 'module', 'exports', '__dirname', '__filename', 'createRequire'].map((n): [string, string] => [n, 'the node host']),
  ...['eval', 'Function'].map((n): [string, string] => [n, 'code from a string']),
  ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'requestAnimationFrame', 'FinalizationRegistry', 'WeakRef'].map((n): [string, string] => [n, 'code run outside the domain\'s thread']),
  ...['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'Worker', 'Compartment', 'lockdown'].map((n): [string, string] => [n, 'memory or code outside the realm\'s rules']),
  // A run is a pure function of its config and seed: no guest code may read the host's clock or entropy.
  ...['Date', 'performance', 'Intl', 'crypto'].map((n): [string, string] => [n, 'the host\'s clock or entropy']),
]);

/** Properties that reach engine hooks or rewrite prototypes. */
const BANNED_PROPERTIES = new Map<string, string>([
  ...['prepareStackTrace', 'captureStackTrace', 'stackTraceLimit'].map((n): [string, string] => [n, 'an engine hook']),
  ...['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'].map((n): [string, string] => [n, 'a prototype rewrite']),
  ['random', 'the host\'s entropy (Math.random)'],
]);

/** Whether identifier `n` names a property or a key rather than a value. */
function isPropertyName(n: ts.Identifier): boolean {
  const p = n.parent;
  if ((ts.isPropertyAccessExpression(p) || ts.isPropertyAccessChain(p)) && p.name === n) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === n) return true;
  if (ts.isQualifiedName(p) && p.right === n) return true;
  if (ts.isBindingElement(p) && p.propertyName === n) return true;
  return false;
}

/** Names the file declares itself (variables, parameters, functions, classes, imports): those shadow a global of the same name. */
function declaredNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const e of b.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) bind(n.name);
    else if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassExpression(n)) && n.name) names.add(n.name.text);
    else if (ts.isImportSpecifier(n) || ts.isNamespaceImport(n) || ts.isImportClause(n)) if (n.name) names.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return names;
}

/** Every escape hatch `text` uses, as `line: what`. */
export function escapesIn(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const declared = declaredNames(sf);
  const found: string[] = [];
  const at = (n: ts.Node, what: string) => found.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${what}`);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) at(n, 'a dynamic import()');
    if (ts.isIdentifier(n)) {
      const banned = BANNED_NAMES.get(n.text);
      if (banned && !isPropertyName(n) && !declared.has(n.text)) at(n, `${n.text} (${banned})`);
      const prop = BANNED_PROPERTIES.get(n.text);
      if (prop && isPropertyName(n) && (ts.isPropertyAccessExpression(n.parent) || ts.isPropertyAccessChain(n.parent))) at(n, `.${n.text} (${prop})`);
    }
    if (ts.isElementAccessExpression(n) && ts.isStringLiteralLike(n.argumentExpression) && BANNED_PROPERTIES.has(n.argumentExpression.text)) at(n, `['${n.argumentExpression.text}'] (${BANNED_PROPERTIES.get(n.argumentExpression.text)})`);
    if (ts.isTypeNode(n)) return; // types are erased: a type named like a global is no use of it
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}
