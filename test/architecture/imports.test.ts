// The import boundary is the protection boundary (DESIGN.md §2): this test reads every
// source file and checks each import against the layering rules, so a domain cannot cheat
// by reaching into physical memory or kernel internals, and lower layers stay ignorant of
// higher ones.
//
// Composition roots: emulator/cli/, emulator/web/ and emulator/bench/ are the entries that
// assemble a whole run (machine + card + kernel + domains), so they alone in emulator/ may
// import the other layers.

import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { escapesIn } from './escapes.js';
import { ROOT, sourceFiles } from './modules.js';
import { describe, expect, it } from 'vitest';


interface Import {
  file: string;
  target: string; // repo-relative path, or 'pkg:<name>' for a package
  typeOnly: boolean;
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Returns the first escape hatch (escapes.ts) `text` of guest file `file` uses, or undefined. */
export function escapeIn(file: string, text: string): string | undefined {
  return under(file, 'guest') ? escapesIn(file, text)[0] : undefined;
}

export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[4]!;
    const typeOnly = Boolean(m[2]);
    const target = spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : `pkg:${spec}`;
    out.push({ file, target, typeOnly });
  }
  return out;
}

/**
 * Every non-type import reachable from `entry` (a repo-relative .ts path) through relative
 * imports: what a bundle of that entry would contain (type-only imports are erased).
 */
export function reachable(entry: string): Set<Import> {
  const seen = new Set<string>();
  const out = new Set<Import>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of importsOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
      if (imp.typeOnly) continue;
      out.add(imp);
      if (!imp.target.startsWith('pkg:')) visit(imp.target.replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return out;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir + '/');

/** Returns why `imp` breaks a rule, or undefined. */
export function violation(imp: Import): string | undefined {
  const { file, target } = imp;
  if (under(target, 'test')) return 'nothing in the product imports tests';
  if (under(target, 'emulator/bench') && !under(file, 'emulator/bench') && !under(file, 'emulator/cli')) return 'only the CLI (reloaded bench) imports the benchmarks';
  if (under(file, 'emulator') && !under(file, 'emulator/cli') && !under(file, 'emulator/web') && !under(file, 'emulator/bench')) {
    if (under(target, 'devices') || under(target, 'guest')) return 'the machine knows no devices and no guest';
  }
  if (under(file, 'devices') && under(target, 'guest')) return 'devices never import guest code';
  if (under(file, 'guest/kernel')) {
    if (target.startsWith('pkg:')) return 'the kernel model imports no package';
    if (under(target, 'devices')) return 'the kernel does not know the card (the driver programs it)';
    if (under(target, 'guest') && !under(target, 'guest/kernel')) return 'the kernel imports no domain code';
    if (under(target, 'emulator') && !under(target, 'emulator/machine')) return 'the kernel sees only the machine';
  } else if (under(file, 'guest')) {
    if (target.startsWith('pkg:')) return 'domain code imports no package: it sees only its context';
    if (under(target, 'emulator') || under(target, 'devices')) return 'domain code sees only its context, not the machine';
    if (under(target, 'guest/kernel')) {
      if (!under(target, 'guest/kernel/api')) return 'domain code may use only the kernel API';
      if (!imp.typeOnly) return 'domain code may import only types from the kernel API';
    }
  }
  return undefined;
}

describe('import rules (DESIGN.md §2)', () => {
  const files = ['emulator', 'devices', 'guest'].flatMap((d) => {
    try {
      return sourceFiles(d);
    } catch {
      return [];
    }
  });

  it('finds the source tree', () => {
    expect(files.some((f) => f.startsWith('emulator/machine/'))).toBe(true);
  });

  it('every import respects the layering', () => {
    const bad = files
      .flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), 'utf8')))
      .map((i) => ({ ...i, why: violation(i) }))
      .filter((i) => i.why)
      .map((i) => `${i.file} imports ${i.target}: ${i.why}`);
    expect(bad).toEqual([]);
  });

  it('guest code uses no escape hatch around the import graph', () => {
    const bad = files
      .map((f) => [f, escapeIn(f, readFileSync(join(ROOT, f), 'utf8'))] as const)
      .filter(([, why]) => why)
      .map(([f, why]) => `${f} uses ${why}`);
    expect(bad).toEqual([]);
  });

  // The page's bundles (emulator/cli/build.mjs) run in a browser: what they reach must not
  // need node, and the tab's own bundle must not carry v86 (the x86 panel's worker fetches it).
  const BROWSER_ENTRIES = ['emulator/web/main.ts', 'emulator/web/worker.ts', 'emulator/web/x86/worker.ts'];

  it('the browser bundles reach no node module', () => {
    const bad = BROWSER_ENTRIES.flatMap((entry) =>
      [...reachable(entry)].filter((t) => t.target.startsWith('pkg:node:')).map((t) => `${entry} reaches ${t.target} through ${t.file}`),
    );
    expect(bad).toEqual([]);
  });

  it("the tab's bundle reaches no v86: the x86 panel loads it in its worker", () => {
    expect([...reachable('emulator/web/main.ts')].filter((t) => t.target === 'pkg:v86').map((t) => t.file)).toEqual([]);
    expect([...reachable('emulator/web/x86/worker.ts')].some((t) => t.target === 'pkg:v86')).toBe(true);
  });

  it('the checker catches each kind of breach', () => {
    expect(violation({ file: 'guest/netstack/tcp.ts', target: 'pkg:node:fs', typeOnly: false })).toBeDefined();
    expect(violation({ file: 'guest/kernel/pin.ts', target: 'pkg:v86', typeOnly: false })).toBeDefined();
    expect(violation({ file: 'devices/wire/wire.ts', target: 'pkg:node:dgram', typeOnly: false })).toBeUndefined();
    expect(importsOf('guest/a.ts', `const fs = require('node:fs');`)).toEqual([{ file: 'guest/a.ts', target: 'pkg:node:fs', typeOnly: false }]);
    for (const text of ['const m = await import(name);', "require('x')", 'createRequire(import.meta.url)', 'globalThis.machine', 'process.env.X']) {
      expect(escapeIn('guest/netdriver/x.ts', text), text).toBeDefined();
    }
    expect(escapeIn('guest/netdriver/x.ts', '// globalThis in a comment is fine\nconst a = 1;')).toBeUndefined();
    expect(escapeIn('devices/x.ts', 'process.env.X')).toBeUndefined();
    const cases: [string, string, boolean][] = [
      ['emulator/machine/cpu.ts', 'devices/ne2k/card.ts', false],
      ['emulator/machine/cpu.ts', 'guest/kernel/kernel.ts', false],
      ['devices/wire.ts', 'guest/netdriver/driver.ts', false],
      ['guest/netstack/tcp.ts', 'emulator/machine/memory.ts', false],
      ['guest/netstack/tcp.ts', 'guest/kernel/frames.ts', false],
      ['guest/netstack/tcp.ts', 'devices/ne2k/card.ts', false],
      ['guest/kernel/pin.ts', 'devices/ne2k/card.ts', false],
      ['guest/kernel/pin.ts', 'guest/netdriver/driver.ts', false],
    ];
    for (const [file, target, typeOnly] of cases) expect(violation({ file, target, typeOnly }), `${file} -> ${target}`).toBeDefined();
    expect(violation({ file: 'guest/netstack/tcp.ts', target: 'guest/kernel/api/context', typeOnly: true })).toBeUndefined();
    expect(violation({ file: 'guest/netstack/tcp.ts', target: 'guest/kernel/api/context', typeOnly: false })).toBeDefined();
    expect(violation({ file: 'emulator/cli/main.ts', target: 'devices/ne2k/card.ts', typeOnly: false })).toBeUndefined();
    expect(violation({ file: 'emulator/bench/netdriver.ts', target: 'test/netdriver/world.ts', typeOnly: false })).toBeDefined();
    expect(violation({ file: 'devices/wire/wire.ts', target: 'emulator/bench/stats.ts', typeOnly: false })).toBeDefined();
    expect(violation({ file: 'emulator/cli/bench-command.ts', target: 'emulator/bench/main.ts', typeOnly: false })).toBeUndefined();
    expect(importsOf('guest/a.ts', `import type { X } from '../emulator/machine/cpu.js';\nimport {Y} from "./b.js";`)).toEqual([
      { file: 'guest/a.ts', target: 'emulator/machine/cpu.js', typeOnly: true },
      { file: 'guest/a.ts', target: 'guest/b.js', typeOnly: false },
    ]);
  });
});
