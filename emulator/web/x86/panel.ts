// The page's x86 panel: the repository's NE2000 self-test (real x86 machine code) booted on
// v86 with our card, in the tab. v86 and its 2 MB of wasm cost nothing until the panel is
// opened: this file, part of main.js, only draws the panel and starts the worker
// (worker.ts, its own bundle) on the first opening; the worker fetches the rest.

import { X86_IMAGE_FILE, X86_WASM_FILE, X86_WORKER_FILE, type X86Message, type X86Request } from './protocol.js';

const SUMMARY = "x86: boot the repository's NE2000 self-test on v86";
const IDLE_STATUS = 'not started: opening the panel boots it';

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.id !== undefined) e.id = props.id;
  if (props.text !== undefined) e.textContent = props.text;
  return e;
}

const cyclesText = (cycles: number) => `${cycles.toLocaleString('en-US')} cycles`;

/** The status line for a finished run. */
function outcomeText(m: Extract<X86Message, { kind: 'done' }>): string {
  if (m.outcome === 'exit') return `${m.code === 0 ? 'PASS' : 'FAIL'} (exit ${m.code}, ${cyclesText(m.cycles)})`;
  return `FAIL: ${m.reason} (after ${cyclesText(m.cycles)})`;
}

export function mountX86Panel(root: HTMLElement): void {
  const details = element('details', { id: 'x86' });
  const intro = element('p', {
    text:
      'The self-test (emulator/platforms/v86/examples/ne2k-selftest.asm) is an NE2000 driver in x86 machine code. ' +
      'Here it runs on v86, a real x86 CPU in wasm, in a worker, with this project’s card on v86’s buses and the echo peer on the wire: ' +
      'the same run as `reloaded x86 --image emulator/platforms/v86/examples/ne2k-selftest.img --peer echo`, cycle for cycle.',
  });
  const status = element('p', { id: 'x86-status', text: IDLE_STATUS });
  const hashLine = element('p', { text: 'trace hash ' });
  const hash = element('span', { id: 'x86-hash' });
  hashLine.append(hash);
  const com1 = element('pre', { id: 'x86-com1' });
  details.append(element('summary', { text: SUMMARY }), intro, status, hashLine, element('h3', { text: 'COM1' }), com1);
  root.append(details);

  let started = false;
  details.addEventListener('toggle', () => {
    if (!details.open || started) return;
    started = true;
    start(status, hash, com1);
  });
}

function start(status: HTMLElement, hash: HTMLElement, com1: HTMLElement): void {
  const fail = (message: string) => (status.textContent = `error: ${message}`);
  const worker = new Worker(new URL(X86_WORKER_FILE, document.baseURI), { type: 'module' });
  worker.onerror = (e) => {
    e.preventDefault(); // reported here, in the panel
    fail(`the x86 worker failed: ${e.message || `could not load ${X86_WORKER_FILE}`}`);
    worker.terminate();
  };
  worker.onmessageerror = () => fail('a message from the x86 worker could not be read');
  worker.onmessage = (e: MessageEvent<X86Message>) => {
    const m = e.data;
    switch (m.kind) {
      case 'stage':
        status.textContent = m.text;
        break;
      case 'serial':
        com1.textContent += m.text;
        break;
      case 'done':
        hash.textContent = m.traceHash;
        status.textContent = outcomeText(m);
        worker.terminate();
        break;
      case 'error':
        fail(m.message);
        worker.terminate();
        break;
    }
  };
  const request: X86Request = {
    wasmUrl: new URL(X86_WASM_FILE, document.baseURI).href,
    imageUrl: new URL(X86_IMAGE_FILE, document.baseURI).href,
  };
  status.textContent = 'starting the worker…';
  worker.postMessage(request);
}
