// A replay run a little at a time (emulator/cli/explore/replay-run.ts), as a page's worker
// runs it: for every planted bug, a failing offset of its sweep (or its probe) is found, its
// replay line printed and read back, and the run driven in uneven chunks must see exactly the
// violation the sweep's run saw (cycle and messages), stop there, and name a culprit the
// messages name (for a DMA-landing violation, the card's beat onto that frame). Without the
// bug the same line runs to its end clean, and a run told not to stop is the sweep's run to
// the end (chunks change nothing). A failing fuzz seed's line replays the same way.

import { describe, expect, it } from 'vitest';
import { BUG_NAMES, BUGS, type BugName } from '../../emulator/cli/explore/bugs.js';
import { fuzzReplay } from '../../emulator/cli/explore/fuzz-report.js';
import { runFuzzSeed } from '../../emulator/cli/explore/fuzz.js';
import { parseReplayLine } from '../../emulator/cli/explore/replay-line.js';
import { culpritOf, RECENT_ACCESSES, RECENT_EVENTS, ReplayRun, type RecordedAccess } from '../../emulator/cli/explore/replay-run.js';
import { replayCommand } from '../../emulator/cli/explore/report.js';
import type { Scenario } from '../../emulator/cli/explore/scenario.js';
import { scenarioNamed } from '../../emulator/cli/explore/scenarios/index.js';
import { probe, runOffset, type Violation } from '../../emulator/cli/explore/sweep.js';
import { FRAME_SIZE } from '../../emulator/machine/memory.js';

const SEED = 1;
/** Chunks a page might ask for, in turn: uneven, one of a single cycle. */
const CHUNKS = [3_000, 777, 12_345, 1, 5_000];
/** Offsets tried across each window. */
const GRID = 10;
/** The header race is narrow, early in its window (test/explore/bugs.test.ts). */
const HEADER_RACE = { span: 3_000, step: 50 };

/** The first failing offset of a coarse sweep of the bug's scenario, or the probe when only it fails: the run's replay line and what the sweep's run saw. */
function failing(sc: Scenario, bug: BugName): { line: string; seen: Violation } {
  const c = { seed: SEED, bug };
  const pr = probe(sc, c);
  const { from, to } = pr.window;
  const [last, step] = bug === 'no-header-copy' ? [from + HEADER_RACE.span, HEADER_RACE.step] : [to, Math.max(1, Math.ceil((to - from) / GRID))];
  for (let offset = from; offset <= last; offset += step) {
    const v = runOffset(sc, c, pr.window, offset).violation;
    if (v) return { line: replayCommand({ scenario: sc.name, seed: SEED, bug }, offset), seen: v };
  }
  if (!pr.violation) throw new Error(`${bug}: no violation in the sweep of ${sc.name}`);
  return { line: replayCommand({ scenario: sc.name, seed: SEED, bug }, null), seen: pr.violation };
}

/** Run in CHUNKS until done; each chunk ends at or past its cycle, or the run is done. Returns the chunks taken. */
function runInChunks(run: ReplayRun): number {
  let n = 0;
  while (!run.done) {
    const before = run.now;
    const to = before + CHUNKS[n++ % CHUNKS.length]!;
    run.runTo(to);
    if (!run.done) expect(run.now).toBeGreaterThanOrEqual(to);
    expect(run.now).toBeGreaterThanOrEqual(before);
  }
  return n;
}

/** The frames a violation's messages name (as "frame N", or as where a mapping leads: "-> 0x12b000"). */
function framesNamed(v: Violation): Set<number> {
  const text = v.messages.join('\n');
  return new Set([...[...text.matchAll(/\bframe (\d+)\b/g)].map((m) => Number(m[1])), ...[...text.matchAll(/-> 0x([0-9a-f]+)/g)].map((m) => Math.floor(parseInt(m[1]!, 16) / FRAME_SIZE))]);
}

describe('a replay line run step by step stops at its violation', () => {
  for (const bug of BUG_NAMES) {
    const sc = scenarioNamed(BUGS[bug].caughtBy)!;
    it(`${bug} (${sc.name})`, () => {
      const { line, seen } = failing(sc, bug);
      const run = new ReplayRun(parseReplayLine(line));
      // The world is there, built (and booted), before the run has gone anywhere.
      expect(run.world.kernel).toBeDefined();
      expect(run.now).toBeLessThan(seen.cycle);
      expect(run.done).toBe(false);
      runInChunks(run);
      expect(run.violation).toEqual(seen);
      expect(run.done).toBe(true);
      expect(run.stoppedAtViolation).toBe(true);
      expect(run.now).toBe(seen.cycle);
      expect(run.recent.length).toBeLessThanOrEqual(RECENT_EVENTS);
      expect(run.accesses.length).toBeLessThanOrEqual(RECENT_ACCESSES);
      expect(run.recent[run.recent.length - 1]).toMatchObject({ kind: 'check', cycle: seen.cycle });

      const culprit = run.culprit!;
      const named = framesNamed(seen);
      if (seen.messages.some((m) => m.startsWith('1 dma'))) {
        expect(culprit.kind).toBe('dma');
        if (culprit.kind !== 'dma') return;
        const b = culprit.beat;
        expect(named.has(b.frame)).toBe(true);
        expect(culprit.message).toContain(`frame ${b.frame}`);
        expect(b.cycle).toBeLessThanOrEqual(culprit.moment);
        expect(culprit.recorded).toBe(true);
        expect(Math.floor(b.phys! / FRAME_SIZE)).toBe(b.frame);
        expect(b.length).toBeGreaterThan(0);
        expect(run.accesses.some((a) => a.kind === 'dma' && a.cycle === b.cycle && a.frame === b.frame && a.write === b.write && a.bus === b.bus)).toBe(true);
      } else {
        expect(culprit.kind).toBe('frames');
        if (culprit.kind !== 'frames') return;
        expect(culprit.frames.every((f) => named.has(f))).toBe(true);
        expect(culprit.frames.length).toBe(named.size);
        expect(culprit.moment).toBeLessThanOrEqual(seen.cycle);
        if (culprit.access) {
          expect(culprit.frames).toContain(culprit.access.frame);
          expect(culprit.access.cycle).toBeLessThanOrEqual(culprit.moment);
        }
      }

      // Without the bug the same line runs to the end with no violation.
      const clean = ReplayRun.fromLine(line.replace(` --bug ${bug}`, ''));
      expect(clean.plan).toMatchObject({ bug: null });
      runInChunks(clean);
      expect(clean.violation).toBeUndefined();
      expect(clean.stoppedAtViolation).toBe(false);
      expect(clean.result?.violation).toBeUndefined();
      expect(clean.now).toBeGreaterThanOrEqual(clean.end);
      clean.dispose();
      run.dispose();
    });
  }

  it('told not to stop, a replay in chunks is the sweep\'s run to its end, result and all', () => {
    const sc = scenarioNamed('revoke-during-flip-rx')!;
    const c = { seed: SEED, bug: 'free-pinned-frame' as const };
    const pr = probe(sc, c);
    const offset = pr.window.from;
    const whole = runOffset(sc, c, pr.window, offset);
    expect(whole.violation).toBeDefined();
    const run = ReplayRun.fromLine(replayCommand({ scenario: sc.name, seed: SEED, bug: c.bug }, offset), { stopAtViolation: false });
    expect(run.probe?.window).toEqual(pr.window);
    runInChunks(run);
    expect(run.stoppedAtViolation).toBe(false);
    expect(run.result).toEqual(whole);
    expect(run.violation).toEqual(whole.violation);
    expect(run.acted).toBe(whole.acted);
    expect(run.acted).toBe(pr.stops.actedAt(offset));
    run.runTo(run.now + 1_000); // done: nothing more happens
    expect(run.result).toEqual(whole);
  });

  it('a failing fuzz seed\'s line replays its violation and stops there', () => {
    const bug = 'free-pinned-frame';
    const seed = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => runFuzzSeed(s, bug).violation !== undefined);
    expect(seed).toBeDefined();
    const seen = runFuzzSeed(seed!, bug).violation!;
    const run = ReplayRun.fromLine(fuzzReplay(seed!, bug));
    expect(run.end).toBeGreaterThan(seen.cycle);
    runInChunks(run);
    expect(run.violation).toEqual(seen);
    expect(run.now).toBe(seen.cycle);
    expect(run.culprit).toBeDefined();
  });

  it('a disposed run refuses to run, and runTo wants a finite cycle', () => {
    const run = ReplayRun.fromLine('npx reloaded explore unmap-vs-stale-tlb --probe');
    expect(() => run.runTo(Infinity)).toThrow(RangeError);
    run.dispose();
    expect(() => run.runTo(1_000)).toThrow(/disposed/);
  });
});

describe('the culprit a violation\'s messages name', () => {
  const beat = (cycle: number, frame: number, bus: number): RecordedAccess => ({ kind: 'dma', cycle, by: 'ne2k', write: true, bus, va: undefined, phys: frame * FRAME_SIZE + (bus % FRAME_SIZE), frame, length: 4 });
  const none = { latest: () => undefined };
  const transfer = { cycle: 900, messages: ['1 dma transfer: cycle 500: ne2k wrote frame 7 (bus 0x7010) for receive descriptor 2: not its pin', '1 dma: cycle 504: ne2k wrote frame 7 (phys 0x7014): frame is free'] };

  it('a DMA beat: the flagged one the first message names, long gone from the ring; else what the message says of it', () => {
    const flagged = [beat(496, 7, 0x700c), beat(500, 7, 0x7010)];
    expect(culpritOf(transfer, flagged, none)).toEqual({ kind: 'dma', moment: 500, message: transfer.messages[0], beat: { cycle: 500, by: 'ne2k', write: true, frame: 7, bus: 0x7010, phys: 7 * FRAME_SIZE + 0x10, length: 4 }, recorded: true });
    expect(culpritOf(transfer, [], none)).toMatchObject({ kind: 'dma', beat: { cycle: 500, frame: 7, bus: 0x7010, phys: undefined, length: undefined }, recorded: false });
  });

  it('other violations: the frames named, as numbers or as where a mapping leads, and the moment', () => {
    const tlb = { cycle: 29_169, messages: ['3 revocation: TLB entry va 0x1000000 -> 0x12b000 has no matching PTE in the loaded space'] };
    expect(culpritOf(tlb, [], none)).toEqual({ kind: 'frames', moment: 29_169, frames: [0x12b], access: undefined });
    const pins = { cycle: 2_000, messages: ['2 pin: pinned frame 295 is free', '2 pin: pinned frame 296 is free', '8 liveness: stalled since cycle 1500 (frame 295)'] };
    expect(culpritOf(pins, [], none)).toMatchObject({ kind: 'frames', moment: 1_500, frames: [295, 296] });
  });
});
