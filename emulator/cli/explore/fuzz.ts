// Schedule fuzzing (DESIGN.md §7): a seed draws a whole schedule, and the run under it is
// checked after every event and every kernel exit, from boot to end. What a seed draws:
//   the machine   card mode, receive strategy, 2 or 3 stacks, the IOMMU, the timer rate (so
//                 the timer's preemption points fall elsewhere), wire faults (loss,
//                 duplication, reordering, corruption) or none;
//   traffic       frames from the peer to the stacks (and some to no one) at random cycles
//                 and sizes, frames each stack submits once its session is open;
//   hostile acts  up to three, by different stacks, all within 20,000 cycles of one another
//                 (several stacks at once): destroy its bank, destroy its stack domain,
//                 scribble over its session's rings, rewrite the headers in its transmit page.
// The schedule starts once every session is open (with a slow timer, stacks of one priority
// open one turn after another). Once the driver has worked off the traffic (classic mode moves
// every byte through the data port and can be overloaded: it may drop, never lose), every
// stack that did nothing hostile is sent small frames in rounds spread so that by the last
// every stack has had a turn on the CPU (a turn lasts at most one and a half quanta,
// guest/kernel/sched.ts) to give its buffers back: with a clean wire the last frame must
// reach it (the others' traffic still flows). A failing seed's replay is `reloaded explore fuzz --first-seed S --seeds 1`, the
// same schedule exactly.

import { REGION_VA } from '../../../guest/apps/raw-stack.js';
import type { CardMode, Strategy } from '../../../guest/netdriver/config.js';
import { CONTROL_PAGE, PAGE_BYTES, txPage } from '../../../guest/session/layout.js';
import type { FaultRates } from '../../../devices/wire/faults.js';
import { Prng } from '../../machine/prng.js';
import type { BugName } from './bugs.js';
import { OPEN_POLL, untilOpen } from '../scenario/net.js';
import { driverVerdict, QUIET_POLL, untilQuiet } from './scenarios/common.js';
import { ScenarioError, type ExploreWorld } from './scenario.js';
import { runToEnd, type Run, type RunSteps } from './steps.js';
import { EventChecks, type RunWatcher, type Violation } from './sweep.js';
import { buildWorld, frameFrom, frameTo, sendAt, storeAs } from './world.js';

export const HOSTILE_ACTS = Object.freeze(['destroy-bank', 'destroy-domain', 'scribble-rings', 'rewrite-tx'] as const);
export type HostileAct = (typeof HOSTILE_ACTS)[number];
const ACT_WORDS: Readonly<Record<HostileAct, string>> = Object.freeze({
  'destroy-bank': 'destroys its bank',
  'destroy-domain': 'destroys its stack domain',
  'scribble-rings': 'scribbles over its session\'s rings',
  'rewrite-tx': 'rewrites the headers in its transmit page',
});

export interface FuzzSchedule {
  readonly mode: CardMode;
  readonly strategy: Strategy;
  readonly stacks: number;
  readonly iommu: boolean;
  readonly tickHz: number;
  readonly faults: FaultRates;
  /** Frames from the peer, `at` cycles after every session is open: to client `to` (-1: an address nobody has). */
  readonly arrivals: readonly { readonly at: number; readonly to: number; readonly length: number }[];
  /** Lengths of the frames each stack submits once open. */
  readonly sends: readonly (readonly number[])[];
  readonly acts: readonly { readonly at: number; readonly by: number; readonly what: HostileAct; readonly bytes: readonly number[] }[];
}

/** Cycles over which a schedule's traffic and acts are spread, from the sessions being open. */
const SPAN = 300_000;
/** The final rounds to the quiet stacks: the first begins this long after the span. */
const FINAL_AFTER = 60_000;
const ROUNDS = 4;
/** Most cycles the driver may take, after the last round, to work off what the card received (classic mode's port copies are slow). */
const QUIET_LIMIT = 20_000_000;
/** Most cycles the sessions may take to open (three stacks, one turn each at the slowest timer, and more). */
const OPEN_LIMIT = 10_000_000;
const FAULT_RATE = 0.02;
const TICK_RATES = [250, 1000, 4000] as const;

const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.below(xs.length)]!;

export function fuzzSchedule(seed: number): FuzzSchedule {
  const r = new Prng(seed, 'explore-fuzz');
  const mode: CardMode = r.chance(0.2) ? 'classic' : 'busmaster';
  const strategy: Strategy = mode === 'classic' ? 'copy' : pick(r, ['copy', 'flip', 'hybrid'] as const);
  const stacks = 2 + r.below(2);
  const iommu = mode === 'busmaster' && r.chance(0.25);
  const tickHz = pick(r, TICK_RATES);
  const faults: FaultRates = r.chance(0.5) ? { loss: FAULT_RATE, duplicate: FAULT_RATE, reorder: FAULT_RATE, corrupt: FAULT_RATE } : {};
  const arrivals = Array.from({ length: 6 + r.below(11) }, () => ({ at: r.below(SPAN), to: r.chance(0.1) ? -1 : r.below(stacks), length: 60 + r.below(1455) }));
  const sends = Array.from({ length: stacks }, () => Array.from({ length: r.below(3) }, () => 60 + r.below(1455)));
  const base = r.below(SPAN);
  const actors = [...Array(stacks).keys()].filter(() => r.chance(0.5));
  const acts = actors.map((by) => ({ at: base + r.below(20_000), by, what: pick(r, HOSTILE_ACTS), bytes: Array.from({ length: 16 }, () => r.below(256)) }));
  acts.sort((a, b) => a.at - b.at || a.by - b.by);
  return { mode, strategy, stacks, iommu, tickHz, faults, arrivals, sends, acts };
}

/** The schedule in one line. */
export function describeSchedule(s: FuzzSchedule): string {
  const faults = Object.keys(s.faults).length > 0 ? 'wire faults' : 'clean wire';
  const acts = s.acts.map((a) => `client ${a.by + 1} ${a.what} at +${a.at}`).join(', ') || 'no hostile act';
  return `${s.mode} ${s.strategy}, ${s.stacks} stacks${s.iommu ? ', IOMMU' : ''}, ${s.tickHz} Hz timer, ${faults}, ${s.arrivals.length} frames in; ${acts}`;
}

export interface FuzzResult {
  readonly seed: number;
  readonly schedule: string;
  readonly violation: Violation | undefined;
}

/** A seed's run: the world its schedule builds, and the steps of the schedule, checked after every event from boot to end. */
export function fuzzRun(seed: number, bug: BugName | undefined, watcher?: RunWatcher): Run<FuzzResult> {
  const s = fuzzSchedule(seed);
  const w = buildWorld({ seed, bug }, {
    mode: s.mode, strategy: s.strategy, stacks: s.stacks, iommu: s.iommu, faults: s.faults, kernel: { tickHz: s.tickHz },
    stack: (i) => ({ send: s.sends[i]!.map((length, k) => frameFrom(i, length, 0x40 + k)) }),
  });
  watcher?.built(w);
  const gap = roundGap(s, w);
  // The sessions open, the span and the wait, the two quiet waits and the rounds, each at its limit (and a last look's step).
  const end = OPEN_LIMIT + OPEN_POLL + SPAN + FINAL_AFTER + 2 * (QUIET_LIMIT + QUIET_POLL) + ROUNDS * gap;
  return { world: w, steps: fuzzSteps(seed, s, w, gap, watcher), end };
}

/** Cycles between two final rounds: every stack of the priority gets a turn within (stacks - 1) turns of the others, each at most 1.5 quanta (sched.ts). */
function roundGap(s: FuzzSchedule, w: ExploreWorld): number {
  return Math.ceil(((s.stacks - 1) * 1.5 * w.kernel.state.quantum) / (ROUNDS - 1)) + 5_000;
}

export function runFuzzSeed(seed: number, bug: BugName | undefined, watcher?: RunWatcher): FuzzResult {
  return runToEnd(fuzzRun(seed, bug, watcher));
}

function* fuzzSteps(seed: number, s: FuzzSchedule, w: ExploreWorld, gap: number, watcher: RunWatcher | undefined): RunSteps<FuzzResult> {
  const quiet = [...Array(s.stacks).keys()].filter((i) => !s.acts.some((a) => a.by === i));
  const bad: string[] = [];
  const checks = new EventChecks(w, watcher);
  checks.on();
  yield* checks.surviving((function* () {
    yield* untilOpen(w, OPEN_LIMIT);
    const notOpen = w.clients.filter((c) => c.probe.status !== 'open').map((c) => `client ${w.clients.indexOf(c) + 1}: ${c.probe.status ?? 'still opening'}`);
    if (notOpen.length > 0) return void bad.push(`8 liveness: sessions not open after ${OPEN_LIMIT} cycles (${notOpen.join(', ')})`);
    const t0 = w.machine.now;
    for (const a of s.arrivals) sendAt(w, t0 + a.at, a.to < 0 ? frameTo(s.stacks + 5, a.length, 0xee) : frameTo(a.to, a.length, 0x10 + a.to));
    for (const a of s.acts) {
      yield t0 + a.at;
      watcher?.acting(w, `client ${a.by + 1} ${ACT_WORDS[a.what]}`);
      act(w, a);
      checks.now();
    }
    // The rounds start once the driver has worked off the traffic (an overload is allowed to drop frames; after it, traffic must flow).
    yield t0 + SPAN + FINAL_AFTER;
    yield* untilQuiet(w, QUIET_LIMIT);
    const final = w.machine.now;
    for (let round = 0; round < ROUNDS; round++) quiet.forEach((i, k) => sendAt(w, final + round * gap + k * 500, frameTo(i, 60 + round, 0x60)));
    yield final + ROUNDS * gap;
    yield* untilQuiet(w, QUIET_LIMIT);
  })());
  checks.off();
  bad.push(...driverVerdict(w));
  if (Object.keys(s.faults).length === 0) {
    for (const i of quiet) if (!w.deliveries.some((d) => d.client === i && d.length === 60 + ROUNDS - 1)) bad.push(`8 liveness: client ${i + 1}, which did nothing hostile, did not get its last frame`);
  }
  checks.final(bad);
  return { seed, schedule: describeSchedule(s), violation: checks.first };
}

function act(w: ExploreWorld, a: FuzzSchedule['acts'][number]): void {
  const c = w.clients[a.by];
  if (!c) throw new ScenarioError(`fuzz: no client ${a.by}`);
  const bytes = Uint8Array.from(a.bytes);
  switch (a.what) {
    case 'destroy-bank':
      return w.kernel.destroy(c.bank);
    case 'destroy-domain':
      if (c.domain?.live) w.kernel.free(c.bank, c.domain);
      return;
    case 'scribble-rings':
      return storeAs(w, a.by, REGION_VA + CONTROL_PAGE * PAGE_BYTES + (a.bytes[0]! % 64) * 16, bytes);
    case 'rewrite-tx':
      return storeAs(w, a.by, REGION_VA + txPage(0) * PAGE_BYTES + (a.bytes[0]! % 8) * 2, bytes);
  }
}
