// The live page end to end, in Debian's headless Chromium, driven through its controls as a
// person would: step the machine, destroy a client's bank, and see the frame map's cells of
// that bank turn free or quarantined (on the canvas itself), its session's counters stop and
// the neighbour's go on; run to the end and get the trace hash node gets for the command line
// the page shows; no console error or failed request (the favicon included) on the way; a
// screenshot is saved. It also reports how long the page took from load to the first frame
// delivered to a client (a figure, not an assertion: host time).

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { bootOptions } from '../../emulator/web/live/live-run.js';
import { FRAME_FREE, FRAME_FREE_DIRTY, FRAME_QUARANTINED, FRAME_STATE_MASK, OWNER_FIRST_CLIENT, type RunConfig, type Snapshot } from '../../emulator/web/protocol.js';
import { CELL, COLUMNS, cellColour } from '../../emulator/web/view/frame-map.js';
import { haveChromium, openBrowser, ROOT, watchPage, type OpenBrowser } from './browser.js';

/** Where the screenshot goes (dist/ is not committed; docs/web/page.png is a copy of one). */
export const SCREENSHOT = resolve(ROOT, 'dist/screenshots/page.png');
const BROWSER_TIMEOUT = 120_000;

const snapshot = (page: Page) => page.evaluate(() => window.reloaded.snapshot) as Promise<Snapshot>;
const owned = (s: Snapshot, client: number) => [...Object.values(s.frames.owner)].flatMap((o, f) => (o === OWNER_FIRST_CLIENT + client - 1 ? [f] : []));

/** The colour of frame `f`'s cell as drawn on the canvas, as #rrggbb (a pixel off the pin dot and the kernel corner). */
function cellPixel(page: Page, f: number): Promise<string> {
  return page.evaluate(([f, cell, columns]) => {
    const c = document.getElementById('frame-map') as HTMLCanvasElement;
    const ratio = c.width / c.getBoundingClientRect().width;
    const x = ((f % columns) * cell + cell - 2) * ratio;
    const y = (Math.floor(f / columns) * cell + cell - 2) * ratio;
    const [r, g, b] = c.getContext('2d')!.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
    return `#${[r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
  }, [f, CELL, COLUMNS] as const);
}

/** Step through the page's own controls and wait for the snapshot at or past `cycles` more. */
async function step(page: Page, cycles: number): Promise<Snapshot> {
  const from = (await snapshot(page)).run.cycle;
  await page.fill('#step-cycles', String(cycles));
  await page.click('#step');
  await page.waitForFunction((c) => (window.reloaded.snapshot?.run.cycle ?? 0) >= c, from + cycles, { timeout: BROWSER_TIMEOUT });
  return snapshot(page);
}

describe.skipIf(!haveChromium('the live page test runs headless Chromium'))('the live page in headless Chromium', () => {
  let opened: OpenBrowser | undefined;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    opened = await openBrowser();
    ({ browser, url } = opened);
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await opened?.close();
  });

  it('revoking a client turns its frames free or quarantined and stops its session; the run is node\'s', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 2000 } });
    const watch = watchPage(page);
    await page.goto(`${url}?seed=4&millis=12&revoke=none&paused=1`);
    await page.waitForFunction(() => window.reloaded?.snapshot !== undefined, undefined, { timeout: BROWSER_TIMEOUT });

    const before = await step(page, 500_000);
    const mine = owned(before, 2);
    expect(mine.length).toBeGreaterThan(10);
    expect(await cellPixel(page, mine[0]!)).toBe(cellColour(before.frames.state[mine[0]!]!, before.frames.owner[mine[0]!]!));
    expect(await page.textContent('#frame-legend')).toContain(`client 2: ${mine.length}`);
    expect(before.sessions[1]!.status).toBe('open');
    expect(before.sessions[1]!.delivered).toBeGreaterThan(0);

    await page.selectOption('#revoke-client', '2');
    await page.click('#revoke-now');
    await page.waitForFunction(() => window.reloaded.snapshot?.sessions[1]?.status === 'revoked', undefined, { timeout: BROWSER_TIMEOUT });
    const after = await snapshot(page);
    const at = before.run.cycle; // the destroy began where the step stopped (it took the kernel some cycles)
    expect(owned(after, 2)).toEqual([]);
    expect(await page.textContent('#frame-legend')).toContain('client 2: 0');
    for (const f of mine) {
      const state = after.frames.state[f]! & FRAME_STATE_MASK;
      expect([FRAME_FREE, FRAME_FREE_DIRTY, FRAME_QUARANTINED]).toContain(state);
    }
    // On the canvas: every cell of the revoked bank in the colour of free, not-yet-zeroed or quarantined.
    for (const f of mine.slice(0, 12)) expect(await cellPixel(page, f)).toBe(cellColour(after.frames.state[f]!, after.frames.owner[f]!));
    expect(await page.textContent('#command')).toContain(`--revoke 2@${at}`);
    expect(await page.textContent('#sessions tr[data-client="2"]')).toContain('revoked');

    const later = await step(page, 300_000);
    expect(later.sessions[1]!.delivered).toBe(after.sessions[1]!.delivered); // the revoked session's counters stop
    expect(later.sessions[0]!.delivered).toBeGreaterThan(after.sessions[0]!.delivered); // the neighbour's go on

    await page.selectOption('#speed', '10 ms');
    await page.click('#run');
    await page.waitForFunction(() => window.reloaded.report !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    const config: RunConfig = { seed: 4, millis: 12, strategy: 'flip', mode: 'busmaster', clients: 2, link: 100, revokes: [{ client: 2, cycle: at }] };
    const node = runBootScenario(bootOptions(config));
    expect(await page.textContent('#hash')).toBe(node.trace.hash);
    expect(await page.evaluate(() => window.reloaded.report)).toEqual(JSON.parse(JSON.stringify(node)));
    expect(await page.textContent('#status')).toBe('done');

    // The views the issue names are all drawn: a timeline with its lanes, descriptors with OWN bits, packets, both charts.
    expect(await page.locator('#ring-rx .desc').count()).toBeGreaterThan(0);
    expect(await page.locator('#packets li').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart-throughput svg').count()).toBe(1);
    expect(await page.locator('#domains tbody tr').count()).toBeGreaterThanOrEqual(3);
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(watch.problems).toEqual([]);
    expect(watch.requests.some((r) => r.endsWith('/favicon.svg'))).toBe(true);
  }, BROWSER_TIMEOUT);

  it('reports the time from load to the first frame delivered to a client', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(url);
    await page.waitForFunction(() => window.reloaded?.firstDeliveryMs !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    const ms = await page.evaluate(() => window.reloaded.firstDeliveryMs!);
    console.log(`page: the first frame was delivered to a client ${ms.toFixed(0)} ms (host time) after the page started`);
    expect(ms).toBeGreaterThan(0);
    expect((await snapshot(page)).run.delivered).toBeGreaterThan(0);
    expect(watch.problems).toEqual([]);
  }, BROWSER_TIMEOUT);
});
