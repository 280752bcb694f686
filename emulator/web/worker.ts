// The page's worker: it runs the machine with the same code as node, off the tab's thread, so
// the tab stays responsive however busy the machine is. It takes the page's commands, runs
// the live run a batch of cycles at a time while running, and posts a snapshot after each
// batch. How many batches run per host second only changes how often the page is told, never
// the run: a run is a pure function of its config, stepped any way (live/live-run.ts).

import '../machine/realm-hardened.js';
import { LiveRun } from './live/live-run.js';
import { ReplayWatch } from './live/replay-watch.js';
import { checkCommand } from './commands.js';
import type { Command, Update } from './protocol.js';
import { ATTACK_NAMES, ATTACKS } from '../../guest/hostile/attacks.js';

/** Emulated cycles per batch until the page says otherwise: 0.1 ms of the 133 MHz machine. */
const DEFAULT_CYCLES_PER_UPDATE = 13_300;

interface WorkerScope {
  onmessage: ((e: { data: unknown }) => void) | null;
  postMessage(m: Update): void;
}
const scope = globalThis as unknown as WorkerScope;

/** What the worker runs: a boot run, or a replay line's run. */
let live: LiveRun | ReplayWatch | undefined;
let running = false;
let cyclesPerUpdate = DEFAULT_CYCLES_PER_UPDATE;
let scheduled = false;

function post(m: Update): void {
  scope.postMessage(m);
}

function snapshot(): void {
  if (live) post(live.snapshot(running));
}

/** One batch, then the next after the page's messages have had their turn. */
function tick(): void {
  scheduled = false;
  if (!live || !running) return;
  live.advance(cyclesPerUpdate);
  if (live.done) running = false;
  snapshot();
  if (running) later();
}

function later(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(tick, 0);
}

function handle(c: Command): void {
  switch (c.kind) {
    case 'start':
      running = false;
      live = undefined;
      live = new LiveRun(c.config);
      return snapshot();
    case 'replay': {
      // Built before the run it replaces is dropped: a line that names no run leaves that run as it was.
      const next = new ReplayWatch(c.line);
      live = next;
      running = true;
      snapshot();
      return later();
    }
    case 'speed':
      cyclesPerUpdate = c.cyclesPerUpdate;
      return;
    case 'inspect':
      if (live) post({ kind: 'frame', detail: live.inspect(c.frame) });
      return;
  }
  if (!live) throw new Error(`${c.kind}: no run yet (start one first)`);
  switch (c.kind) {
    case 'run':
      running = !live.done;
      snapshot();
      return later();
    case 'pause':
      running = false;
      return snapshot();
    case 'step':
      running = false;
      live.advance(c.cycles);
      return snapshot();
    case 'revoke':
      live.revoke(c.client, c.cycle);
      return snapshot();
    case 'join':
      live.join();
      return snapshot();
  }
}

post({ kind: 'catalogue', attacks: ATTACK_NAMES.map((name) => ({ name, summary: ATTACKS[name].summary, threat: ATTACKS[name].threat })) });

scope.onmessage = (e) => {
  try {
    handle(checkCommand(e.data));
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
