// One replay, run a little at a time, for a page that lets a person watch the very run a
// replay line names (emulator/web/, in its worker): `reloaded explore`'s run of one offset
// (after its probe, for the window), of the probe, or of a fuzz seed, driven through the same
// steps the sweeps run (steps.ts), so it sees the same events, checks and first violation.
// Once a check sees a violation the run stops there (the machine at the first place it can
// stop after that check: Cpu.stopSoon), so the page shows the world as the check saw it, and
// names the culprit: for a DMA-landing violation ("1 dma") the beat of the card that the
// messages name, for the others the frames they name and the latest access to one of them.
//
// What it records it records with read-only observers (the CPU's accesses, the DMA engine's
// beats, the trace: they charge no cycle, explain.ts), and only a bounded ring of the latest
// beats and accesses and of the latest events in words (names.ts), so the replay is the same
// run, in bounded memory, however long it runs. No node-only import: bundled for a browser
// worker.

import type { CpuAccess } from '../../machine/cpu.js';
import type { DmaBeat } from '../../machine/dma.js';
import { FRAME_SIZE } from '../../machine/memory.js';
import type { TraceEntry } from '../../machine/trace.js';
import { momentOf, type EventKind } from './explain.js';
import { fuzzRun, type FuzzResult } from './fuzz.js';
import { hex, UNNAMED_TRACE, WorldNames } from './names.js';
import { parseReplayLine, ReplayLineError, type ReplayPlan } from './replay-line.js';
import type { ExploreWorld, Scenario, ScenarioConfig } from './scenario.js';
import { scenarioNamed } from './scenarios/index.js';
import { Stepper, type Run } from './steps.js';
import { offsetRun, probe, probeRun, type OffsetResult, type ProbeResult, type RunWatcher, type Violation } from './sweep.js';
import { retireWorld } from './world.js';

/** Beats and CPU accesses kept, the latest: a burst of a full frame is some 380 beats. */
export const RECENT_ACCESSES = 2048;
/** Events in words kept, the latest. */
export const RECENT_EVENTS = 64;
/** Beats kept that a DMA check (dmawatch.ts, transfers.ts) noted a violation of, the first ones: the messages name these, however long before the check that reports them. */
export const FLAGGED_BEATS = 32;
/** How many of the latest access events a new access may join (a copy's reads and writes alternate). */
const JOIN_REACH = 4;

/** A beat of a bus master or an access of the CPU, as recorded. */
export interface RecordedAccess {
  readonly kind: 'dma' | 'cpu';
  readonly cycle: number;
  /** The card's name for a beat, the domain (or the kernel) for a CPU access. */
  readonly by: string;
  readonly write: boolean;
  /** Bus address of a beat; undefined for a CPU access. */
  readonly bus: number | undefined;
  /** Linear address of a CPU access (-1: physical); undefined for a beat. */
  readonly va: number | undefined;
  /** Physical address reached (-1: none, a beat that failed). */
  readonly phys: number;
  /** Physical frame reached (-1: none). */
  readonly frame: number;
  readonly length: number;
}

/** An event in words: a run of like accesses to one frame coalesced, or a single event. */
export interface RecentEvent {
  readonly kind: EventKind;
  /** First and last cycle. */
  readonly cycle: number;
  readonly to: number;
  /** The frame it is about, if one. */
  readonly frame: number | undefined;
  readonly text: string;
}

/** What a page highlights once a violation is seen. */
export type Culprit =
  | {
    /** A beat of a bus master landed where it must not ("1 dma" messages). */
    readonly kind: 'dma';
    /** The earliest cycle the messages name (explain.ts momentOf). */
    readonly moment: number;
    /** The message that names the beat. */
    readonly message: string;
    /** The beat: from the ring when it still holds it (`recorded`), else what the message says of it (no length). */
    readonly beat: { readonly cycle: number; readonly by: string; readonly write: boolean; readonly frame: number; readonly bus: number | undefined; readonly phys: number | undefined; readonly length: number | undefined };
    readonly recorded: boolean;
  }
  | {
    /** Any other violation: the frames its messages name, the moment, and the latest recorded access to one of those frames at or before it. */
    readonly kind: 'frames';
    readonly moment: number;
    readonly frames: readonly number[];
    readonly access: RecordedAccess | undefined;
  };

export interface ReplayOptions {
  /** Stop at the first violation (default true); false: run on to the end as the sweep's run does. */
  readonly stopAtViolation?: boolean;
}

/** What the run returns at its end, by kind of plan. */
export type ReplayResult = OffsetResult | ProbeResult | FuzzResult;

/** A fixed-size ring of the latest items. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  push(x: T): void {
    if (this.items.length < this.size) this.items.push(x);
    else this.items[this.next] = x;
    this.next = (this.next + 1) % this.size;
  }

  /** Oldest first. */
  all(): T[] {
    return this.items.length < this.size ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }

  /** The latest item that `test` accepts. */
  latest(test: (x: T) => boolean): T | undefined {
    const all = this.all();
    for (let i = all.length - 1; i >= 0; i--) if (test(all[i]!)) return all[i];
    return undefined;
  }
}

/** An event being built: accesses of one kind, by one, one way, to one frame, join it while it is among the latest. */
class Building {
  to: number;
  count = 1;
  bytes: number;

  constructor(
    readonly kind: EventKind,
    readonly cycle: number,
    readonly frame: number | undefined,
    /** Accesses with the same key join; undefined: a single event. */
    readonly key: string | undefined,
    /** The words, given the count and the bytes (named when the event began). */
    private readonly words: (count: number, bytes: number) => string,
    bytes = 0,
  ) {
    this.to = cycle;
    this.bytes = bytes;
  }

  event(): RecentEvent {
    return { kind: this.kind, cycle: this.cycle, to: this.to, frame: this.frame, text: this.words(this.count, this.bytes) };
  }
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "1 dma: cycle N: card wrote frame F (phys 0x..): ..." (guest/kernel/dmawatch.ts) and "1 dma transfer: cycle N: card wrote frame F (bus 0x..) for ..." (scenario/transfers.ts). */
const DMA_MESSAGE = /^1 dma[a-z ]*: cycle (\d+): (.+?) (wrote|read) frame (\d+) \((bus|phys) 0x([0-9a-f]+)\)/;
const FRAME_NAMED = /\bframe (\d+)\b/g;
/** A physical address a message names as where a mapping leads ("TLB entry va 0x1000000 -> 0x12b000"). */
const ADDRESS_NAMED = /-> 0x([0-9a-f]+)\b/g;

/** The observers of a replay: the rings, the events in words, the action, the first violation and its culprit. Never throws into the machine. */
class ReplayWatcher implements RunWatcher {
  readonly accesses = new Ring<RecordedAccess>(RECENT_ACCESSES);
  /** The first beats a DMA check noted a violation of (FLAGGED_BEATS), and the count of its notes seen so far. */
  readonly flagged: RecordedAccess[] = [];
  private notes = 0;
  private readonly events = new Ring<Building>(RECENT_EVENTS);
  /** The latest access events (at most JOIN_REACH), that a new access may join; emptied by a single event. */
  private joinable: Building[] = [];
  private names: WorldNames | undefined;
  private world: ExploreWorld | undefined;
  private failed = false;
  acted: number | undefined;
  violation: Violation | undefined;
  culprit: Culprit | undefined;

  constructor(private readonly stopAtViolation: boolean) {}

  built(w: ExploreWorld): void {
    this.world = w;
    this.names = new WorldNames(w);
    w.machine.dma.observers.add((b) => this.guard(() => this.beat(b)));
    w.machine.cpu.observers.add((a) => this.guard(() => this.cpu(a)));
    w.machine.trace.observers.add((e) => this.guard(() => this.trace(e)));
  }

  acting(w: ExploreWorld, what?: string): void {
    this.acted ??= w.machine.now;
    this.single('action', w.machine.now, undefined, `ACTION: ${what ?? 'the scenario\'s action'}`);
  }

  violated(v: Violation): void {
    this.violation = v;
    this.culprit = culpritOf(v, this.flagged, this.accesses);
    this.single('check', v.cycle, undefined, `CHECK FAILED: ${v.messages[0] ?? ''}${v.messages.length > 1 ? ` (and ${v.messages.length - 1} more)` : ''}`);
    if (this.stopAtViolation) this.world?.machine.cpu.stopSoon();
  }

  recent(): RecentEvent[] {
    return this.events.all().map((b) => b.event());
  }

  /** An error of ours must not become the run's: note it and stop recording. */
  private guard(body: () => void): void {
    if (this.failed) return;
    try {
      body();
    } catch (e) {
      this.failed = true;
      this.single('omitted', this.world?.machine.now ?? 0, undefined, `(recording stopped here: ${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private beat(b: DmaBeat): void {
    const master = b.master === this.world!.card.name ? 'card' : b.master;
    const op = b.write ? 'wrote' : 'read';
    if (b.phys < 0) {
      this.accesses.push({ kind: 'dma', cycle: b.cycle, by: b.master, write: b.write, bus: b.bus, va: undefined, phys: -1, frame: -1, length: b.length });
      return this.single('dma', b.cycle, undefined, `${master} ${b.write ? 'write' : 'read'} at bus ${hex(b.bus)} failed: ${b.error ?? 'no memory'}`);
    }
    const f = Math.floor(b.phys / FRAME_SIZE);
    const recorded: RecordedAccess = { kind: 'dma', cycle: b.cycle, by: b.master, write: b.write, bus: b.bus, va: undefined, phys: b.phys, frame: f, length: b.length };
    this.accesses.push(recorded);
    // The DMA checks watch the beats before this observer does (they were installed first, at the world's building).
    const w = this.world!;
    const notes = w.kernel.state.busViolations.length + w.watch.transfers.violations.length;
    if (notes > this.notes && this.flagged.length < FLAGGED_BEATS) this.flagged.push(recorded);
    this.notes = notes;
    this.access('dma', `dma|${b.master}|${op}|${f}`, b.cycle, f, b.length, () => {
      const n = this.names!;
      const rest = `${b.write ? 'into' : 'from'} ${n.frame(f)} at bus ${hex(b.bus)} for ${n.transfer(b)}`;
      return (count, bytes) => `${master} ${op} ${plural(count, 'beat', 'beats')} (${bytes} bytes) ${rest}`;
    });
  }

  private cpu(a: CpuAccess): void {
    const f = Math.floor(a.phys / FRAME_SIZE);
    const who = this.names!.accessor(a);
    const op = a.write ? 'wrote' : 'read';
    this.accesses.push({ kind: 'cpu', cycle: a.cycle, by: who, write: a.write, bus: undefined, va: a.va, phys: a.phys, frame: f, length: a.length });
    this.access('cpu', `cpu|${who}|${op}|${f}`, a.cycle, f, a.length, () => {
      const at = a.va < 0 ? 'physical memory' : `va ${hex(a.va)}`;
      const rest = `${this.names!.frame(f)}, from ${at}`;
      return (count, bytes) => `${who} ${op} ${plural(count, 'access', 'accesses')} (${bytes} bytes) -> ${rest}`;
    });
  }

  private trace(e: TraceEntry): void {
    if (UNNAMED_TRACE.has(e.kind)) return;
    const kind: EventKind = e.kind.startsWith('kernel.') ? 'kernel' : e.kind.startsWith('ne2k.') ? 'device' : 'machine';
    this.single(kind, e.cycle, undefined, this.names!.event(e));
  }

  /** An access joins a like event among the latest, or begins one (named now, as the world is when it begins). */
  private access(kind: 'dma' | 'cpu', key: string, cycle: number, frame: number, length: number, words: () => (count: number, bytes: number) => string): void {
    const like = this.joinable.find((x) => x.key === key);
    if (like) {
      like.to = Math.max(like.to, cycle);
      like.count++;
      like.bytes += length;
      return;
    }
    const b = new Building(kind, cycle, frame, key, words(), length);
    this.events.push(b);
    this.joinable.push(b);
    if (this.joinable.length > JOIN_REACH) this.joinable.shift();
  }

  private single(kind: EventKind, cycle: number, frame: number | undefined, text: string): void {
    this.events.push(new Building(kind, cycle, frame, undefined, () => text));
    this.joinable = [];
  }
}

/** The culprit of violation `v`, from the messages, the beats the DMA checks flagged, and the accesses recorded up to now. */
export function culpritOf(v: Violation, flagged: readonly RecordedAccess[], accesses: { latest(test: (a: RecordedAccess) => boolean): RecordedAccess | undefined }): Culprit {
  const moment = momentOf(v);
  for (const message of v.messages) {
    const m = DMA_MESSAGE.exec(message);
    if (!m) continue;
    const [cycle, by, write, frame, space, address] = [Number(m[1]), m[2]!, m[3] === 'wrote', Number(m[4]), m[5], parseInt(m[6]!, 16)];
    const named = (a: RecordedAccess) => a.kind === 'dma' && a.cycle === cycle && a.write === write && a.by === by && covers(a, frame);
    const exact = (a: RecordedAccess) => named(a) && (space === 'bus' ? a.bus === address : a.phys === address);
    const beat = flagged.find(exact) ?? accesses.latest(exact) ?? flagged.find(named) ?? accesses.latest(named);
    if (beat) return { kind: 'dma', moment, message, beat: { cycle, by, write, frame, bus: beat.bus, phys: beat.phys, length: beat.length }, recorded: true };
    return { kind: 'dma', moment, message, beat: { cycle, by, write, frame, bus: space === 'bus' ? address : undefined, phys: space === 'phys' ? address : undefined, length: undefined }, recorded: false };
  }
  const frames = [...new Set(v.messages.flatMap((m) => [
    ...[...m.matchAll(FRAME_NAMED)].map((x) => Number(x[1])),
    ...[...m.matchAll(ADDRESS_NAMED)].map((x) => Math.floor(parseInt(x[1]!, 16) / FRAME_SIZE)),
  ]))];
  const access = frames.length === 0 ? undefined : accesses.latest((a) => a.cycle <= moment && frames.some((f) => covers(a, f)));
  return { kind: 'frames', moment, frames, access };
}

/** Whether access `a` reached frame `f`. */
function covers(a: RecordedAccess, f: number): boolean {
  return a.phys >= 0 && Math.floor(a.phys / FRAME_SIZE) <= f && Math.floor((a.phys + a.length - 1) / FRAME_SIZE) >= f;
}

/** A replay being run: build it from a line or a plan, then runTo() a little at a time until done. */
export class ReplayRun {
  /** The world of the run, from the moment it is built (for an --at line, the offset run's: the probe ran in its own). */
  readonly world: ExploreWorld;
  /** For an --at line: the probe run made first, which gave the window. */
  readonly probe: ProbeResult | undefined;
  private readonly stepper: Stepper<ReplayResult>;
  private readonly watcher: ReplayWatcher;
  private readonly run: Run<ReplayResult>;
  private retired = false;
  /** For an --at line: where the probe's map of stops says the action takes effect (undefined: the map cannot say). */
  private readonly actsAt: number | undefined;

  /** The run a replay line names (ReplayLineError if the line names none). */
  static fromLine(line: string, o: ReplayOptions = {}): ReplayRun {
    return new ReplayRun(parseReplayLine(line), o);
  }

  /**
   * The run `plan` names. For an offset, the probe runs first, whole (as `reloaded explore
   * --at` does): its window bounds the checked part of the run, and its map of stops says
   * where the action must take effect. The plan's `explain` is the page's to honour: the
   * culprit and the recent events are always there.
   */
  constructor(readonly plan: ReplayPlan, private readonly o: ReplayOptions = {}) {
    this.watcher = new ReplayWatcher(o.stopAtViolation ?? true);
    if (plan.kind === 'fuzz') {
      this.run = fuzzRun(plan.seed, plan.bug ?? undefined, this.watcher);
    } else {
      const sc = scenarioOf(plan.scenario);
      const c: ScenarioConfig = { seed: plan.seed, bug: plan.bug ?? undefined };
      if (plan.kind === 'probe') {
        this.run = probeRun(sc, c, this.watcher);
      } else {
        if (plan.offset >= sc.end) throw new ReplayLineError(`--at ${plan.offset} is past the scenario's end (cycle ${sc.end - 1} is the last of ${sc.name})`);
        this.probe = probe(sc, c);
        this.actsAt = this.probe.stops.valid ? this.probe.stops.actedAt(plan.offset) : undefined;
        this.run = offsetRun(sc, c, this.probe.window, plan.offset, this.watcher);
      }
    }
    this.world = this.run.world;
    this.stepper = new Stepper(this.run);
  }

  /** The machine's cycle now. */
  get now(): number {
    return this.world.machine.now;
  }

  /** The cycle the run ends at (a fuzz seed's: at the latest, its limits added up; done says when it has ended). */
  get end(): number {
    return this.run.end;
  }

  /** Nothing more to run: the run has ended, or stopped at its violation. */
  get done(): boolean {
    return this.stepper.finished || this.stoppedAtViolation;
  }

  /** The run stopped where a check saw its first violation (with stopAtViolation, the default). */
  get stoppedAtViolation(): boolean {
    return (this.o.stopAtViolation ?? true) && this.watcher.violation !== undefined;
  }

  /** The first violation a check saw, or undefined. */
  get violation(): Violation | undefined {
    return this.watcher.violation;
  }

  /** What to highlight for the violation (undefined until one is seen). */
  get culprit(): Culprit | undefined {
    return this.watcher.culprit;
  }

  /** The cycle the action took effect at (a fuzz seed's first hostile act), once it has. */
  get acted(): number | undefined {
    return this.watcher.acted;
  }

  /** What the run returned at its end (undefined while running, or when it stopped at its violation). */
  get result(): ReplayResult | undefined {
    return this.stepper.result;
  }

  /** The latest events in words, oldest first (at most RECENT_EVENTS). */
  get recent(): readonly RecentEvent[] {
    return this.watcher.recent();
  }

  /** The latest beats and CPU accesses, oldest first (at most RECENT_ACCESSES). */
  get accesses(): readonly RecordedAccess[] {
    return this.watcher.accesses.all();
  }

  /**
   * Advance the run to `cycle` (or the first place after it where the machine can stop: a
   * kernel operation is not cut), doing on the way what the explorer's run does at each
   * point; no further than its end, and not past its first violation.
   */
  runTo(cycle: number): void {
    if (this.retired) throw new Error('ReplayRun: the run was disposed of');
    if (!Number.isFinite(cycle)) throw new RangeError(`ReplayRun.runTo(${cycle}): need a finite cycle`);
    this.stepper.advance(cycle, () => this.stoppedAtViolation);
    const acted = this.watcher.acted;
    if (this.actsAt !== undefined && acted !== undefined && acted !== this.actsAt) {
      // What explore.ts checks of every offset run: the run is not the one the probe mapped.
      throw new Error(`ReplayRun: offset ${this.plan.kind === 'offset' ? this.plan.offset : '?'} acted at cycle ${acted}, where the probe's map of stops says ${this.actsAt} (report this)`);
    }
  }

  /** Advance `cycles` more. */
  runFor(cycles: number): void {
    this.runTo(this.now + cycles);
  }

  /** Give the world's RAM back for the next run (the world cannot be read or run after). */
  dispose(): void {
    if (!this.retired) retireWorld(this.world);
    this.retired = true;
  }
}

function scenarioOf(name: string): Scenario {
  const sc = scenarioNamed(name);
  if (!sc) throw new ReplayLineError(`no scenario '${name}'`);
  return sc;
}
