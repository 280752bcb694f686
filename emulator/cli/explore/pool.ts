// Running a sweep's offsets on several cores: worker threads (node:worker_threads), each
// running the built worker bundle (dist/explore-worker.mjs, worker.ts), pulling chunks of
// offsets until none is left. Each offset is a whole run from boot, so results do not depend
// on which worker ran it or in what order; the report sorts them by offset. With one worker
// (or from the sources, as in the tests) the offsets run in this thread.

import { existsSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScenarioConfig } from './scenario.js';
import { scenarioNamed } from './scenarios/index.js';
import { runOffset, type OffsetResult, type ProbeResult } from './sweep.js';

/** What a worker needs to run offsets of a sweep: plain data, sent by structured clone. */
export interface Job {
  readonly scenario: string;
  readonly config: ScenarioConfig;
  readonly window: ProbeResult['window'];
}

export interface ChunkRequest extends Job {
  readonly offsets: readonly number[];
}

/** Offsets per message: enough to keep the message traffic small, few enough to share the tail of a sweep among workers. */
const CHUNK = 32;

export const WORKER_BUNDLE = 'explore-worker.mjs';

/** Run a chunk of offsets here: what a worker does with each request. */
export function runChunk(r: ChunkRequest): OffsetResult[] {
  const sc = scenarioNamed(r.scenario);
  if (!sc) throw new Error(`worker: no scenario ${r.scenario}`);
  return r.offsets.map((o) => runOffset(sc, r.config, r.window, o));
}

export async function runOffsets(job: Job, offsets: readonly number[], workers: number, progress: (done: number) => void): Promise<OffsetResult[]> {
  if (workers <= 1 || offsets.length <= CHUNK) {
    const out: OffsetResult[] = [];
    for (const o of offsets) {
      out.push(...runChunk({ ...job, offsets: [o] }));
      progress(out.length);
      await setImmediate(); // let the event loop breathe (a progress bar, a test runner's messages)
    }
    return out;
  }
  const url = new URL(`./${WORKER_BUNDLE}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`--workers ${workers} needs the built worker ${fileURLToPath(url)} (npm run build); run with --workers 1 from the sources`);
  const chunks: number[][] = [];
  for (let i = 0; i < offsets.length; i += CHUNK) chunks.push(offsets.slice(i, i + CHUNK));
  const out: OffsetResult[] = [];
  await Promise.all(
    Array.from({ length: Math.min(workers, chunks.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(url);
        const next = () => {
          const offsetsOfChunk = chunks.shift();
          if (offsetsOfChunk) w.postMessage({ ...job, offsets: offsetsOfChunk } satisfies ChunkRequest);
          else void w.terminate().then(() => resolve());
        };
        w.on('message', (m: { results?: OffsetResult[]; error?: string }) => {
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
