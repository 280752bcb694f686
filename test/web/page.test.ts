// The page in a real headless Chromium: it runs the same scenario in the tab and must reach
// the same trace hash as node for the same seed. Needs Debian's chromium (CI installs it).

import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMachineDemo } from '../../emulator/cli/machine-demo.js';
import { servePage } from '../../emulator/cli/serve.js';
import { has } from '../support/tools.js';

const ROOT = resolve(__dirname, '../..');
const haveChromium = has('chromium', 'the page test runs headless Chromium');

describe.skipIf(!haveChromium)('the page in headless Chromium', () => {
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    execFileSync('node', ['emulator/cli/build.mjs'], { cwd: ROOT });
    ({ server, url } = await servePage(resolve(ROOT, 'dist/web'), 0));
    browser = await chromium.launch({
      executablePath: execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('same seed, same trace hash as node', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}?seed=5&millis=10`);
    await page.waitForFunction(() => window.reloadedReport !== undefined);
    const report = await page.evaluate(() => window.reloadedReport);
    expect(errors).toEqual([]);
    const node = runMachineDemo({ seed: 5, millis: 10 });
    expect(report).toEqual(node);
    expect(await page.textContent('#hash')).toBe(node.traceHash);
  });

  it('a bad URL parameter shows a clear error instead of running', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}?seed=minus`);
    await page.waitForFunction(() => window.reloadedReport !== undefined);
    expect(await page.textContent('#status')).toBe('error: URL parameter seed=minus: expected an integer ≥ 0');
  });
});
