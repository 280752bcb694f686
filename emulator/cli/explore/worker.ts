// A sweep worker process's entry (bundled as dist/explore-worker.mjs, forked by pool.ts):
// hardens its own realm as every entry point does, then runs the chunks of items the pool
// sends and sends back their results, or the error that stopped a chunk. It exits when the
// pool disconnects.

import '../../machine/realm-hardened.js';
import { runChunk, type ChunkRequest } from './pool.js';

if (!process.send) throw new Error('explore-worker: run by reloaded explore (pool.ts), not by hand');
process.on('message', (r: ChunkRequest) => {
  try {
    process.send!({ results: runChunk(r) });
  } catch (e) {
    process.send!({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
