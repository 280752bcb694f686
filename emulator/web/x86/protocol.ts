// The messages between the page's x86 panel (panel.ts, in the tab) and its worker
// (worker.ts, which runs v86): one place for their shape, so the two bundles built from
// separate entries cannot drift apart. Types and file names only: the tab's bundle imports
// this, and it must stay free of v86.

/** The worker's bundle, beside main.js in dist/web (emulator/cli/build.mjs). */
export const X86_WORKER_FILE = 'x86-worker.js';
/** v86's wasm and the self-test image, copied by the build into dist/web/x86/. */
export const X86_WASM_FILE = 'x86/v86.wasm';
export const X86_IMAGE_FILE = 'x86/ne2k-selftest.img';

/** Tab → worker: boot this image on v86 fetched from this wasm, once (with the CLI's default seed). */
export interface X86Request {
  readonly wasmUrl: string;
  readonly imageUrl: string;
}

/** Worker → tab. */
export type X86Message =
  /** What the worker is doing (fetching, compiling, booting, running). */
  | { readonly kind: 'stage'; readonly text: string }
  /** COM1 output since the last message, a line (or the rest at the end) at a time. */
  | { readonly kind: 'serial'; readonly text: string }
  /** The guest exited (`code`) or the run gave up (`reason`). */
  | { readonly kind: 'done'; readonly outcome: 'exit' | 'timeout' | 'stuck'; readonly code?: number; readonly reason?: string; readonly cycles: number; readonly traceHash: string }
  /** Nothing ran to the end: a fetch, the wasm, the image or v86 itself failed. */
  | { readonly kind: 'error'; readonly message: string };
