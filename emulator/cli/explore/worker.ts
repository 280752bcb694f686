// A sweep worker's entry (bundled as dist/explore-worker.mjs): hardens its own realm as every
// entry point does, then runs the chunks of offsets the pool sends (pool.ts) and posts back
// their results, or the error that stopped a chunk.

import '../../machine/realm-hardened.js';
import { parentPort } from 'node:worker_threads';
import { runChunk, type ChunkRequest } from './pool.js';

parentPort!.on('message', (r: ChunkRequest) => {
  try {
    parentPort!.postMessage({ results: runChunk(r) });
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
