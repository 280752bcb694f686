// Running an exploration's runs on several cores: worker threads (node:worker_threads), each
// running the built worker bundle (dist/explore-worker.mjs, worker.ts), pulling chunks of
// items (a sweep's offsets, or fuzz seeds) until none is left. Each item is a whole run from
// boot, so results do not depend on which worker ran it or in what order; the reports sort
// them. With one worker (or from the sources, as in the tests) the runs are in this thread.

import { existsSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BugName } from './bugs.js';
import { runFuzzSeed, type FuzzResult } from './fuzz.js';
import type { ScenarioConfig } from './scenario.js';
import { scenarioNamed } from './scenarios/index.js';
import { runOffset, type OffsetResult, type ProbeResult } from './sweep.js';

/** What a worker needs to run items: plain data, sent by structured clone. */
export type Job =
  | { readonly kind: 'sweep'; readonly scenario: string; readonly config: ScenarioConfig; readonly window: ProbeResult['window'] }
  | { readonly kind: 'fuzz'; readonly bug: BugName | undefined };

/** What one item gives, by kind of job. */
export type ResultOf<J extends Job> = J extends { kind: 'sweep' } ? OffsetResult : FuzzResult;

export type ChunkRequest = Job & { readonly items: readonly number[] };

/** Offsets per message: enough to keep the message traffic small, few enough to share the tail of a sweep among workers. */
const CHUNK = 32;

export const WORKER_BUNDLE = 'explore-worker.mjs';

/** Run a chunk of items here: what a worker does with each request. */
export function runChunk(r: ChunkRequest): (OffsetResult | FuzzResult)[] {
  if (r.kind === 'fuzz') return r.items.map((seed) => runFuzzSeed(seed, r.bug));
  const sc = scenarioNamed(r.scenario);
  if (!sc) throw new Error(`worker: no scenario ${r.scenario}`);
  return r.items.map((o) => runOffset(sc, r.config, r.window, o));
}

export async function runItems<J extends Job>(job: J, items: readonly number[], workers: number, progress: (done: number) => void): Promise<ResultOf<J>[]> {
  return (await runAll(job, items, workers, progress)) as ResultOf<J>[];
}

async function runAll(job: Job, items: readonly number[], workers: number, progress: (done: number) => void): Promise<(OffsetResult | FuzzResult)[]> {
  if (workers <= 1 || items.length <= CHUNK) {
    const out: (OffsetResult | FuzzResult)[] = [];
    for (const o of items) {
      out.push(...runChunk({ ...job, items: [o] }));
      progress(out.length);
      await setImmediate(); // let the event loop breathe (a progress bar, a test runner's messages)
    }
    return out;
  }
  const url = new URL(`./${WORKER_BUNDLE}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`--workers ${workers} needs the built worker ${fileURLToPath(url)} (npm run build); run with --workers 1 from the sources`);
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK));
  const out: (OffsetResult | FuzzResult)[] = [];
  await Promise.all(
    Array.from({ length: Math.min(workers, chunks.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(url);
        const next = () => {
          const chunk = chunks.shift();
          if (chunk) w.postMessage({ ...job, items: chunk } satisfies ChunkRequest);
          else void w.terminate().then(() => resolve());
        };
        w.on('message', (m: { results?: (OffsetResult | FuzzResult)[]; error?: string }) => {
          if (m.error !== undefined) return reject(new Error(m.error));
          out.push(...m.results!);
          progress(out.length);
          next();
        });
        w.on('error', reject);
        next();
      }),
    ),
  );
  return out;
}
