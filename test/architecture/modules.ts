// The source files of the repository as the architecture tests see them: every .ts/.js file
// below a folder, by repository-relative path, and the modules domain code may import.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(rel);
  }
  return out.sort();
}

/** Domain code: everything under guest/ but the kernel (whose api/ folder holds types only). */
export function domainModules(): string[] {
  return sourceFiles('guest').filter((f) => !f.startsWith('guest/kernel/'));
}
