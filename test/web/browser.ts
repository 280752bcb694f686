// Shared set-up for the tests that drive the built page in a real headless Chromium: serve
// dist/web on a free loopback port, launch Debian's chromium, and watch a page for what must
// never happen quietly (console errors, uncaught exceptions, failed or refused requests).
// Chromium missing: the tests skip locally, fail under REQUIRE_ALL=1 (CI).

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { servePage } from '../../emulator/cli/serve.js';
import { has } from '../support/tools.js';

export const ROOT = resolve(__dirname, '../..');
/** The built page, as `reloaded web` serves it. */
export const WEB_ROOT = resolve(ROOT, 'dist/web');
/** The first HTTP status that counts as a failed request. */
const HTTP_ERROR = 400;
/** Switches that keep headless Chromium from reaching outside loopback or doing work of its own. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Whether Chromium is here (see has(): a skip locally, an error under REQUIRE_ALL=1). */
export const haveChromium = (why: string) => has('chromium', why);

export interface OpenBrowser {
  /** The page's address, ending in '/'. */
  readonly url: string;
  readonly browser: Browser;
  /** Close the browser and stop the server. */
  close(): Promise<void>;
}

/** Serve dist/web (built once for the run: test/support/build.ts) and launch Chromium. */
export async function openBrowser(): Promise<OpenBrowser> {
  // dist/ is built once for the whole run (test/support/build.ts).
  const { server, url } = await servePage(WEB_ROOT, 0);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim(), args: CHROMIUM_ARGS });
  } catch (e) {
    server.close();
    throw e;
  }
  return {
    url,
    browser,
    close: async () => {
      await browser.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export interface PageWatch {
  /** Every URL the page (and its workers) asked for, in order. */
  readonly requests: string[];
  /** Console errors, uncaught exceptions and failed requests, each as one line. */
  readonly problems: string[];
}

/** Start watching `page`: attach before `page.goto` so that nothing is missed. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { requests: [], problems: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') watch.problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => watch.requests.push(r.url()));
  page.on('requestfailed', (r) => watch.problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText ?? 'unknown'}`));
  page.on('response', (r) => {
    if (r.status() >= HTTP_ERROR) watch.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return watch;
}
