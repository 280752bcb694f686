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
import { ReplayRun } from '../../emulator/cli/explore/replay-run.js';
import { HIGHLIGHT_COLOUR } from '../../emulator/web/view/palette.js';
import { bootOptions } from '../../emulator/web/live/live-run.js';
import { FRAME_FREE, FRAME_FREE_DIRTY, FRAME_QUARANTINED, FRAME_STATE_MASK, OWNER_FIRST_CLIENT, type RunConfig, type Snapshot } from '../../emulator/web/protocol.js';
import { CELL, COLUMNS, cellColour } from '../../emulator/web/view/frame-map.js';
import { haveChromium, openBrowser, ROOT, watchPage, type OpenBrowser } from './browser.js';

/** Where the screenshot goes, taken right after the revocation (dist/ is not committed; docs/web/page.png is a copy of one). */
export const SCREENSHOT = resolve(ROOT, 'dist/screenshots/page.png');
const BROWSER_TIMEOUT = 120_000;

const snapshot = (page: Page) => page.evaluate(() => window.reloaded.snapshot) as Promise<Snapshot>;
const owned = (s: Snapshot, client: number) => [...Object.values(s.frames.owner)].flatMap((o, f) => (o === OWNER_FIRST_CLIENT + client - 1 ? [f] : []));

/** A planted bug's replay line, as `reloaded explore` prints it: the driver arms a receive descriptor with another session's buffer. */
const PLANTED = 'npx reloaded explore revoke-during-flip-rx --seed 1 --bug wrong-buffer-dma --at 100782';

/**
 * The colour on the frame map's canvas at frame `f`'s cell, as #rrggbb: inside the cell (a
 * pixel off the pin dot and the kernel corner), or `edge`, just left of it, where a
 * highlight's outline is drawn.
 */
function cellPixel(page: Page, f: number, edge = false): Promise<string> {
  return page.evaluate(([f, cell, columns, edge]) => {
    const c = document.getElementById('frame-map') as HTMLCanvasElement;
    const ratio = c.width / c.getBoundingClientRect().width;
    const x = ((f % columns) * cell + (edge ? -1 : cell - 2)) * ratio;
    const y = (Math.floor(f / columns) * cell + cell - 2) * ratio;
    const [r, g, b] = c.getContext('2d')!.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
    return `#${[r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
  }, [f, CELL, COLUMNS, edge] as const);
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
    // Its pages pinned for the card when it revoked went to quarantine: red cells until the driver unpins them.
    expect(before.sessions[1]!.pinned).toBeGreaterThan(0);
    expect(mine.some((f) => (after.frames.state[f]! & FRAME_STATE_MASK) === FRAME_QUARANTINED)).toBe(true);
    expect(Number(await page.getAttribute('#frame-legend li[data-key="quarantined"]', 'data-count'))).toBeGreaterThan(0);
    expect(await page.textContent('#command')).toContain(`--revoke 2@${at}`);
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
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
    expect(watch.problems).toEqual([]);
    expect(watch.requests.some((r) => r.endsWith('/favicon.svg'))).toBe(true);
  }, BROWSER_TIMEOUT);

  it('a pasted planted-bug line replays that run and stops at its violation, the offending beat outlined', async () => {
    const node = ReplayRun.fromLine(PLANTED);
    while (!node.done) node.runFor(50_000);
    const v = node.violation!;
    expect(v.messages[0]).toMatch(/^1 dma: /);
    expect(node.culprit?.kind).toBe('dma');
    const frame = node.culprit!.kind === 'dma' ? node.culprit!.beat.frame : -1;

    const page = await browser.newPage({ viewport: { width: 1400, height: 2000 } });
    const watch = watchPage(page);
    await page.goto(`${url}?paused=1`);
    await page.waitForFunction(() => window.reloaded?.snapshot !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    await page.fill('#replay-line', PLANTED);
    await page.click('#replay');
    await page.waitForFunction(() => window.reloaded.snapshot?.replay?.violation !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    const s = await snapshot(page);
    expect(s.replay!.violation).toEqual({ cycle: v.cycle, messages: v.messages });
    expect(s.run.cycle).toBe(v.cycle); // it stopped there
    expect(s.replay!.culprit!.beat!.frame).toBe(frame);
    expect(await page.textContent('#status')).toBe(`stopped at its violation (cycle ${v.cycle.toLocaleString('en-US')})`);
    expect(await page.textContent('#replay-violation')).toContain(v.messages[0]);
    expect(await page.textContent('#replay-culprit')).toContain(`into frame ${frame}`);
    expect(await page.isVisible('#view-replay')).toBe(true);
    // Outlined on the frame map (on the canvas) and marked on the timeline at the beat's cycle.
    expect(await page.evaluate(() => window.reloaded.highlighted())).toEqual([frame]);
    expect(await cellPixel(page, frame, true)).toBe(HIGHLIGHT_COLOUR);
    expect(await page.evaluate(() => window.reloaded.timelineMark())).toBe(node.culprit!.kind === 'dma' ? node.culprit!.beat.cycle : -1);
    // Another step does nothing: the run stays at its violation.
    await page.click('#step');
    await page.waitForTimeout(200);
    expect((await snapshot(page)).run.cycle).toBe(v.cycle);
    expect(watch.problems).toEqual([]);
  }, BROWSER_TIMEOUT);

  it('adding a client joins a spare to the running machine; adding a hostile stack rebuilds the run with it joining there', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 2000 } });
    const watch = watchPage(page);
    await page.goto(`${url}?seed=2&millis=10&clients=2&spare=1&revoke=none&paused=1`);
    await page.waitForFunction(() => window.reloaded?.snapshot !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    const before = await step(page, 300_000);
    expect(before.sessions[2]!.status).toBe('not joined');
    expect(before.run.waiting).toEqual([3]);
    await page.click('#add-client');
    await page.waitForFunction(() => window.reloaded.snapshot?.run.waiting.length === 0, undefined, { timeout: BROWSER_TIMEOUT });
    const joined = await snapshot(page);
    expect(joined.run.cycle).toBeGreaterThanOrEqual(before.run.cycle); // the same machine, not a new one
    expect(await page.textContent('#command')).toContain(`--join 3@${before.run.cycle}`);
    const later = await step(page, 400_000);
    expect(later.sessions[2]!.status).toBe('open');
    expect(owned(later, 3).length).toBeGreaterThan(owned(before, 3).length); // its stack allocated once it ran

    await page.selectOption('#attack', 'flood-transmit');
    expect(await page.textContent('#attack-summary')).toMatch(/row 6/);
    const at = later.run.cycle;
    await page.click('#add-hostile');
    await page.waitForFunction((c) => (window.reloaded.snapshot?.sessions.length ?? 0) === 4 && window.reloaded.snapshot!.run.cycle >= c, at, { timeout: BROWSER_TIMEOUT });
    const rebuilt = await snapshot(page);
    expect(rebuilt.sessions[3]!.status).toBe('hostile');
    expect(rebuilt.run.command).toContain(`--clients 4`);
    expect(rebuilt.run.command).toContain(`--hostile 4:flood-transmit`);
    expect(rebuilt.run.command).toContain(`--join 4@${at}`);
    await page.selectOption('#speed', '10 ms');
    await page.click('#run');
    await page.waitForFunction(() => window.reloaded.report !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    const report = (await page.evaluate(() => window.reloaded.report))!;
    expect(report.problems).toEqual([]);
    expect(report.hostile[0]).toMatchObject({ client: 4, attack: 'flood-transmit' });
    expect(report.trace.hash).toBe(runBootScenario(bootOptions(rebuilt.run.config!)).trace.hash);
    expect(watch.problems).toEqual([]);
  }, BROWSER_TIMEOUT);

  it('a line that is no replay is refused with the reason', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(`${url}?paused=1`);
    await page.waitForFunction(() => window.reloaded?.snapshot !== undefined, undefined, { timeout: BROWSER_TIMEOUT });
    await page.fill('#replay-line', 'npx reloaded explore no-such-scenario --seed 1 --at 5');
    await page.click('#replay');
    await page.waitForFunction(() => window.reloaded.errors.length > 0, undefined, { timeout: BROWSER_TIMEOUT });
    expect(await page.textContent('#status')).toMatch(/^error: .*no-such-scenario/);
    expect(watch.problems).toEqual([]);
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
