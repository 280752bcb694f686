// v86 in node: the package's wasm read from node_modules (compiled once a process), for the
// CLI, the benchmark and the tests. The browser has no file system to read it from, so this
// file stays out of its bundles; the browser-safe core is start-core.ts.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startV86With, type V86Instance, type V86StartOptions } from './start-core.js';

export { DEFAULT_CPU_HZ, DEFAULT_V86_MEMORY, InstructionTime, type V86Instance, type V86StartOptions, type V86Wasm } from './start-core.js';

let compiled: WebAssembly.Module | undefined;

/** v86's wasm, compiled on first use. */
export function nodeV86Wasm(): WebAssembly.Module {
  if (!compiled) {
    // The package's main file is build/libv86.mjs; the wasm lies beside it.
    const main = createRequire(import.meta.url).resolve('v86');
    compiled = new WebAssembly.Module(readFileSync(join(dirname(main), 'v86.wasm')));
  }
  return compiled;
}

/** Start v86 headlessly in node (start-core.ts says how: no BIOS, virtual time, seeded entropy). */
export async function startV86(opts: V86StartOptions = {}): Promise<V86Instance> {
  return startV86With(nodeV86Wasm(), opts);
}
