// The v86 platform in node (the CLI, the benchmark, the tests): V86PlatformCore with v86's
// wasm read from node_modules. Kept apart from platform-core.ts so that the browser bundles,
// which fetch the wasm instead, never reach node's file system.

import { V86PlatformCore, type V86PlatformOptions } from './platform-core.js';
import { nodeV86Wasm } from './start.js';

export { EXIT_PORT, type RunLimits, type RunResult, type V86PlatformOptions } from './platform-core.js';

export class V86Platform extends V86PlatformCore {
  /** Start v86 with a multiboot image (checked first: a bad image throws MultibootError). */
  static async boot(image: Uint8Array, opts: V86PlatformOptions = {}): Promise<V86Platform> {
    return new V86Platform(await V86PlatformCore.startFor(nodeV86Wasm(), image, opts), opts);
  }
}
