// Running an exploration's runs on several cores: worker processes (node:child_process fork),
// each running the built worker bundle (dist/explore-worker.mjs, worker.ts), pulling chunks of
// items (a sweep's offsets, or fuzz seeds) until none is left. Each item is a whole run from
// boot, so results do not depend on which worker ran it or in what order; the reports sort
// them. A few items, or a run from the sources (the tests), run in this process.
// Processes rather than worker threads: each gets V8's garbage collector to itself
// (--single-threaded-gc), where threads of one process share its GC helper threads and, on
// two cores, fight over them (measured: 17 % more offsets per second on two workers).

import { existsSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
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
/** Node's flags for a worker process. */
const WORKER_FLAGS = ['--single-threaded-gc'];

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
  const url = new URL(`./${WORKER_BUNDLE}`, import.meta.url);
  const bundled = existsSync(fileURLToPath(url));
  // A few items, or no worker bundle beside this module (the sources, in the tests): here.
  if (items.length <= CHUNK || (workers <= 1 && !bundled)) {
    const out: (OffsetResult | FuzzResult)[] = [];
    for (const o of items) {
      out.push(...runChunk({ ...job, items: [o] }));
      progress(out.length);
      await setImmediate(); // let the event loop breathe (a progress bar, a test runner's messages)
    }
    return out;
  }
  if (!bundled) throw new Error(`--workers ${workers} needs the built worker ${fileURLToPath(url)} (npm run build); run with --workers 1 from the sources`);
  const chunks: number[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK));
  const out: (OffsetResult | FuzzResult)[] = [];
  await Promise.all(
    Array.from({ length: Math.min(workers, chunks.length) }, () =>
      new Promise<void>((resolve, reject) => {
        const w = fork(fileURLToPath(url), [], { execArgv: WORKER_FLAGS, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let finished = false;
        const next = () => {
          const chunk = chunks.shift();
          if (chunk) return void w.send({ ...job, items: chunk } satisfies ChunkRequest);
          finished = true;
          w.disconnect();
          resolve();
        };
        w.on('message', (m: { results?: (OffsetResult | FuzzResult)[]; error?: string }) => {
          if (m.error !== undefined) {
            w.kill();
            return reject(new Error(m.error));
          }
          out.push(...m.results!);
          progress(out.length);
          next();
        });
        w.on('error', reject);
        w.on('exit', (code, signal) => finished || reject(new Error(`a sweep worker stopped (${signal ?? `exit code ${code}`})`)));
        next();
      }),
    ),
  );
  return out;
}
