// The page in a real headless Chromium: it runs the boot scenario (the one `reloaded run`
// runs) in the tab and must produce the same report, trace hash included, as node for the
// same options. Needs Debian's chromium (CI installs it).

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { haveChromium, openBrowser, type OpenBrowser } from './browser.js';

describe.skipIf(!haveChromium('the page test runs headless Chromium'))('the page in headless Chromium', () => {
  let opened: OpenBrowser | undefined;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    opened = await openBrowser();
    ({ url, browser } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  async function pageReport(query: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}?${query}`);
    await page.waitForFunction(() => window.reloadedReport !== undefined);
    const report = await page.evaluate(() => window.reloadedReport);
    expect(errors).toEqual([]);
    return { page, report };
  }

  it('runs the boot scenario: the same report and trace hash as node', async () => {
    const { page, report } = await pageReport('seed=5&millis=8');
    const node = runBootScenario({ ...BOOT_DEFAULTS, seed: 5, millis: 8 });
    expect(node.revocation?.othersProgressAfter).toBeGreaterThan(0); // the run shows the revocation and the survivor
    expect(report).toEqual(JSON.parse(JSON.stringify(node)));
    expect(await page.textContent('#hash')).toBe(node.trace.hash);
    expect(await page.textContent('#report')).toMatch(/revocation +client 1 destroyed its bank/);
    expect(await page.textContent('#status')).toBe('done');
  });

  it('takes strategy, mode and clients from the URL', async () => {
    const { report } = await pageReport('seed=2&millis=6&strategy=hybrid&mode=classic&clients=3');
    const node = runBootScenario({ seed: 2, millis: 6, strategy: 'hybrid', mode: 'classic', clients: 3 });
    expect(report).toEqual(JSON.parse(JSON.stringify(node)));
    expect(node.sessions).toHaveLength(3);
  });

  it('a bad URL parameter shows a clear error instead of running', async () => {
    for (const [query, message] of [
      ['seed=minus', 'URL parameter seed=minus: expected an integer ≥ 0'],
      ['strategy=zap', 'URL parameter strategy=zap: expected one of copy, flip, hybrid'],
      ['clients=17', 'URL parameter clients=17: expected an integer from 1 to 16'],
      ['millis=0', 'URL parameter millis=0: expected a number of milliseconds in (0, 60000]'],
    ]) {
      const { page } = await pageReport(query!);
      expect(await page.textContent('#status')).toBe(`error: ${message}`);
    }
  });
});
