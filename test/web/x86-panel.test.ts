// The page's x86 panel in a real headless Chromium: opening it boots the repository's NE2000
// self-test (x86 machine code) on v86 with our card and the echo peer in a worker, and the
// tab must show what `reloaded x86 --image … --peer echo` prints in node — the same COM1
// text, emulated cycle count and trace hash for the same image and seed — with nothing of
// v86 fetched before the panel is opened and nothing failing on the way.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_X86_SEED, DEFAULT_X86_TIMEOUT_MS } from '../../emulator/cli/x86-session.js';
import { runX86 } from '../../emulator/cli/x86.js';
import { haveChromium, openBrowser, ROOT, WEB_ROOT, watchPage, type OpenBrowser } from './browser.js';

const IMAGE = join(ROOT, 'emulator/platforms/v86/examples/ne2k-selftest.img');
/** The self-test's last COM1 line when every check passed (ne2k-selftest.asm). */
const PASS_LINE = 'self-test passed\n';
/** How long the tab may take to fetch v86 and run the self-test (node needs well under a second). */
const RUN_TIMEOUT_MS = 120_000;
/** The budget for the page's main bundle. */
const MAIN_BUNDLE_BUDGET = 500 * 1024;
/** What the panel's lazily loaded part fetches: the worker bundle, v86's wasm, the image. */
const LAZY = /\/(x86-worker\.js|x86\/v86\.wasm|x86\/ne2k-selftest\.img)$/;
/** A finished run's status line (panel.ts): a result or an error. */
const FINISHED = /^(PASS|FAIL|error)/;

describe.skipIf(!haveChromium('the x86 panel test runs headless Chromium'))('the x86 panel in headless Chromium', () => {
  let opened: OpenBrowser | undefined;

  beforeAll(async () => {
    opened = await openBrowser();
  });

  afterAll(async () => {
    await opened?.close();
  });

  async function openPanel(page: Page): Promise<string> {
    await page.click('#x86 summary');
    await page.waitForFunction((finished) => new RegExp(finished).test(document.getElementById('x86-status')?.textContent ?? ''), FINISHED.source, { timeout: RUN_TIMEOUT_MS });
    return (await page.textContent('#x86-status'))!;
  }

  it(
    'boots the self-test on v86 only when opened: PASS, with the COM1 output, cycles and trace hash of node',
    async () => {
      const page = await opened!.browser.newPage();
      const watch = watchPage(page);
      await page.goto(opened!.url, { waitUntil: 'networkidle' });
      expect(await page.textContent('#x86-status')).toMatch(/^not started/);
      expect(watch.requests.filter((u) => LAZY.test(u))).toEqual([]);
      expect(watch.requests.some((u) => u.endsWith('/favicon.svg'))).toBe(true);

      const status = await openPanel(page);
      const node = await runX86({ image: readFileSync(IMAGE), echo: true, seed: DEFAULT_X86_SEED, timeoutMs: DEFAULT_X86_TIMEOUT_MS });
      expect(node.result).toMatchObject({ kind: 'exit', code: 0 });
      expect(status).toBe(`PASS (exit 0, ${node.result.cycles.toLocaleString('en-US')} cycles)`);
      const com1 = await page.textContent('#x86-com1');
      expect(com1).toContain(PASS_LINE);
      expect(com1).toBe(node.serial);
      expect(await page.textContent('#x86-hash')).toBe(node.traceHash);
      expect(watch.requests.filter((u) => LAZY.test(u)).map((u) => u.replace(opened!.url, '')).sort()).toEqual(['x86-worker.js', 'x86/ne2k-selftest.img', 'x86/v86.wasm']);
      expect(watch.problems).toEqual([]);
      await page.close();
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it('a wasm that cannot be fetched ends in a clear error in the panel', async () => {
    const page = await opened!.browser.newPage();
    await page.route('**/x86/v86.wasm', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(opened!.url);
    expect(await openPanel(page)).toMatch(/^error: fetching v86's wasm \(http:.*\/x86\/v86\.wasm\) failed: HTTP 404/);
    await page.close();
  });

  it('a worker bundle that cannot be loaded ends in a clear error in the panel', async () => {
    const page = await opened!.browser.newPage();
    await page.route('**/x86-worker.js', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(opened!.url);
    expect(await openPanel(page)).toBe('error: the x86 worker failed: could not load x86-worker.js');
    await page.close();
  });

  it('main.js carries no v86 and stays within the 500 KB budget', () => {
    const main = readFileSync(join(WEB_ROOT, 'main.js'), 'utf8');
    expect(statSync(join(WEB_ROOT, 'main.js')).size).toBeLessThanOrEqual(MAIN_BUNDLE_BUDGET);
    // Strings of v86's library (its wasm fallback, its load event, its timer hook): the worker has them, main.js must not.
    const worker = readFileSync(join(WEB_ROOT, 'x86-worker.js'), 'utf8');
    for (const marker of ['v86-fallback.wasm', 'emulator-loaded', 'microtick']) {
      expect(worker, marker).toContain(marker);
      expect(main, marker).not.toContain(marker);
    }
  });
});
