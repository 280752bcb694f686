// The x86 panel's worker: boots the repository's NE2000 self-test on v86 with our card and
// the echo peer (what `reloaded x86 --image … --peer echo` runs in node), off the tab's main
// thread, since v86 keeps its thread busy for the whole run. It fetches what node reads from
// disk (v86's wasm, the image) and streams COM1 back to the tab. Its own bundle
// (dist/web/x86-worker.js), fetched only when the panel is opened, so main.js carries no v86.

import '../../machine/realm-hardened.js';
import { assembleX86On, DEFAULT_X86_SEED, DEFAULT_X86_TIMEOUT_MS } from '../../cli/x86-session.js';
import { MultibootError } from '../../platforms/v86/multiboot.js';
import { V86PlatformCore } from '../../platforms/v86/platform-core.js';
import type { X86Message, X86Request } from './protocol.js';

const NEWLINE = 10;

/** The worker's global scope, as far as it is used (the project's lib is DOM, not WebWorker). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<X86Request>) => void) | null;
  postMessage(message: X86Message): void;
};

const post = (message: X86Message) => scope.postMessage(message);

async function fetchBytes(url: string, what: string): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`fetching ${what} (${url}) failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!response.ok) throw new Error(`fetching ${what} (${url}) failed: HTTP ${response.status} ${response.statusText}`);
  return response.arrayBuffer();
}

async function compileWasm(url: string): Promise<WebAssembly.Module> {
  const bytes = await fetchBytes(url, "v86's wasm");
  post({ kind: 'stage', text: "compiling v86's wasm…" });
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw new Error(`v86's wasm (${url}) failed to compile: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function run(request: X86Request): Promise<void> {
  post({ kind: 'stage', text: "fetching v86's wasm and the image…" });
  const [wasm, image] = await Promise.all([compileWasm(request.wasmUrl), fetchBytes(request.imageUrl, 'the self-test image')]);
  post({ kind: 'stage', text: 'booting…' });
  let platform: V86PlatformCore;
  try {
    platform = await V86PlatformCore.bootWith(wasm, new Uint8Array(image), { seed: DEFAULT_X86_SEED, jit: false });
  } catch (e) {
    if (e instanceof MultibootError) throw new Error(`${request.imageUrl} is not a bootable multiboot image: ${e.message}`);
    throw new Error(`v86 failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
  let pending = '';
  const flush = () => {
    if (pending !== '') post({ kind: 'serial', text: pending });
    pending = '';
  };
  const session = assembleX86On(platform, {
    echo: true,
    timeoutMs: DEFAULT_X86_TIMEOUT_MS,
    onSerial: (byte) => {
      pending += String.fromCharCode(byte);
      if (byte === NEWLINE) flush();
    },
  });
  post({ kind: 'stage', text: 'running…' });
  const { result, traceHash } = await session.run();
  flush();
  if (result.kind === 'exit') post({ kind: 'done', outcome: 'exit', code: result.code, cycles: result.cycles, traceHash });
  else post({ kind: 'done', outcome: result.kind, reason: result.reason, cycles: result.cycles, traceHash });
}

scope.onmessage = (e) => {
  run(e.data).catch((error: unknown) => post({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
};
