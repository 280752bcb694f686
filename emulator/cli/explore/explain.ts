// `reloaded explore ... --explain`: what a person needs to understand one violation. The
// replay (one offset, or the probe) is run again with read-only observers on the CPU's
// accesses, the card's DMA beats and the machine's trace (kernel operations, CR3 writes,
// INVLPG, faults, interrupts, switches), each event named as it happens (names.ts: whose
// frame, which domain, which descriptor), and with the action and the failing check marked.
// Like events coalesce into one line (the beats of one burst into one frame, a domain's run
// of accesses to one frame), and a ring keeps only the last lines (bounded memory for any
// run): by default the last 40 up to the violation's moment and a few after it. The
// violation's moment is the earliest cycle its messages name (a DMA beat recorded at once
// but reported by a later check), else the failing check itself; recording stops soon
// after it.
//
// The observers only read and charge no cycle, so the rerun is the replay: it must see the
// very violation (cycle and messages) the replay saw, and says whether it did.

import type { CpuAccess } from '../../machine/cpu.js';
import type { DmaBeat } from '../../machine/dma.js';
import { FRAME_SIZE } from '../../machine/memory.js';
import type { TraceEntry } from '../../machine/trace.js';
import type { BugName } from './bugs.js';
import { Findings } from './findings.js';
import { runFuzzSeed } from './fuzz.js';
import { hex, UNNAMED_TRACE, WorldNames } from './names.js';
import type { SweepReport } from './report.js';
import type { ExploreWorld, Scenario, ScenarioConfig } from './scenario.js';
import { probe, runOffset, type RunWatcher, type Violation } from './sweep.js';

export type EventKind = 'dma' | 'cpu' | 'kernel' | 'machine' | 'device' | 'action' | 'check' | 'omitted';

/** One line of an explanation: an event, or a run of like events coalesced, with its first and last cycle. */
export interface ExplainedEvent {
  readonly from: number;
  readonly to: number;
  readonly kind: EventKind;
  readonly text: string;
}

export interface Explanation {
  readonly scenario: string;
  /** The offset replayed, or null for the probe. */
  readonly offset: number | null;
  /** The cycle the explanation centres on: the earliest its violation's messages name, else the failing check's. */
  readonly moment: number;
  readonly events: readonly ExplainedEvent[];
  /** What the rerun saw, and whether it is exactly what the replay saw. */
  readonly violation: Violation | null;
  readonly reproduced: boolean;
  /** Per invariant the messages name: what its violation means. */
  readonly meanings: readonly string[];
  /** What the events showed by their absence when the check failed (findings.ts): a missing INVLPG, a missing quarantine. */
  readonly findings: readonly string[];
}

export interface ExplainOptions {
  /** Lines kept up to the violation's moment (default 40). */
  readonly before?: number;
  /** Lines kept after it (default 8). */
  readonly after?: number;
}

/** Lines shown up to the violation's moment and after it, by default. */
export const EVENTS_BEFORE = 40;
export const EVENTS_AFTER = 8;
/** How many lines back a new event may join a like line (a copy's reads and writes alternate, beats interleave with accesses). */
const MERGE_REACH = 4;

/** The run to explain: an offset of the sweep (with the probe's window) or the probe. */
export type Replay = { readonly offset: number; readonly window: { readonly from: number; readonly to: number } } | { readonly offset: null };

/** Rerun `replay` with the observers on, centred on `seen` (the violation the replay saw), and explain it. */
export function explainReplay(sc: Scenario, c: ScenarioConfig, replay: Replay, seen: Violation, o: ExplainOptions = {}): Explanation {
  const moment = momentOf(seen);
  const lines = new Lines(moment, o.before ?? EVENTS_BEFORE, o.after ?? EVENTS_AFTER);
  const watcher = new ExplainWatcher(sc.actionIs ?? 'the scenario\'s action', lines);
  const violation = replay.offset === null ? probe(sc, c, watcher).violation : runOffset(sc, c, replay.window, replay.offset, watcher).violation;
  return explanation(sc.name, replay.offset, moment, lines, watcher, violation, seen);
}

/** Rerun fuzz seed `seed` with the observers on, centred on `seen`, and explain it (its hostile acts are the ACTION lines). */
export function explainFuzzSeed(seed: number, bug: BugName | undefined, seen: Violation, o: ExplainOptions = {}): Explanation {
  const moment = momentOf(seen);
  const lines = new Lines(moment, o.before ?? EVENTS_BEFORE, o.after ?? EVENTS_AFTER);
  const watcher = new ExplainWatcher('a hostile act', lines);
  const violation = runFuzzSeed(seed, bug, watcher).violation;
  return explanation(`fuzz seed ${seed}`, null, moment, lines, watcher, violation, seen);
}

function explanation(scenario: string, offset: number | null, moment: number, lines: Lines, watcher: ExplainWatcher, violation: Violation | undefined, seen: Violation): Explanation {
  return {
    scenario,
    offset,
    moment,
    events: lines.events(),
    violation: violation ?? null,
    reproduced: violation !== undefined && sameViolation(violation, seen),
    meanings: meaningsOf(seen.messages),
    findings: watcher.findings,
  };
}

/** The report of a replay (`--at N` or `--probe`), explained; undefined when the replay saw no violation. */
export function explainReport(sc: Scenario, c: ScenarioConfig, r: SweepReport, probeOnly: boolean, o: ExplainOptions = {}): Explanation | undefined {
  if (probeOnly) {
    const pv = r.probe.violation;
    return pv ? explainReplay(sc, c, { offset: null }, pv, o) : undefined;
  }
  const v = r.violations[0]?.first;
  return v ? explainReplay(sc, c, { offset: v.offset, window: r.window }, v, o) : undefined;
}

export function sameViolation(a: Violation, b: Violation): boolean {
  return a.cycle === b.cycle && a.messages.length === b.messages.length && a.messages.every((m, i) => m === b.messages[i]);
}

/** The earliest cycle a violation's messages name ("cycle N"), if before the check that saw it, else that check's cycle. */
export function momentOf(v: Violation): number {
  let moment = v.cycle;
  for (const m of v.messages) for (const x of m.matchAll(/\bcycle (\d+)\b/g)) moment = Math.min(moment, Number(x[1]));
  return moment;
}

/** What a violation of each invariant means (DESIGN.md §6), by the item number and label that start its messages. */
const MEANINGS: Readonly<Record<string, string>> = {
  '1 dma': 'a DMA beat of the card reached a frame no live pin let it reach: a free frame, or one reallocated since its pin',
  '1 dma transfer': 'a DMA beat reached a frame other than the one pinned for the transfer the card was executing (another session\'s buffer, another descriptor\'s, or against the pin\'s direction)',
  '1 iommu': 'the IOMMU let the card reach a frame that no pin allowed, or did not map a pinned one',
  '2 pin': 'a frame with a live pin was freed or reallocated: the card can still write it while it is nobody\'s, or someone else\'s',
  '3 revocation': 'when the revoking operation returned, a PTE or a TLB entry still granted access to the revoked frame',
  '4 isolation': 'bytes one client wrote became readable by another, or went out as another client\'s',
  '5 receive buffer': 'a stack\'s space maps a receive buffer writable: the stack could change a frame after the driver checked it',
  '5 rights': 'a PTE or TLB entry grants more than the capability it was made from',
  '5 transmit check': 'a frame went on the wire with headers the driver did not check: the stack rewrote them after the check (DESIGN.md §5: the driver copies the headers before it checks them)',
  '6 accounting': 'a bank\'s usage differs from what it allocated, or exceeds a limit',
  '7 zero': 'a frame still held its last owner\'s bytes when it was handed to the next',
  '8 liveness': 'another client\'s traffic stopped flowing: a session\'s work waited past its bound, or its frames were lost',
  crash: 'the machine, the kernel or a device threw: an assertion of the kernel or an impossible device state',
  capabilities: 'a stack did what its capabilities should not let it: receive on the driver\'s endpoint (DESIGN.md §4: a stack holds it send-only)',
  'driver down': 'the shared driver stopped serving: one client\'s action took every client\'s network away',
  'lost frame': 'a frame vanished: neither delivered nor counted as dropped',
};

/** DESIGN.md §6's items by number: the meaning of a label not in MEANINGS. */
const ITEMS = ['', 'DMA lands only where it was aimed', 'no reuse while pinned', 'revocation is complete', 'isolation', 'read-only receive buffers', 'accounting', 'zero before reuse', 'liveness of others'];

function meaningsOf(messages: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const m of messages) {
    // "3 revocation: ...", "crash: ...", "lost frame: ..."; a bare item number otherwise.
    const label = /^(\d [a-z][a-z ]*?|[a-z][a-z ]*?):/.exec(m)?.[1] ?? /^\d/.exec(m)?.[0];
    if (label !== undefined) seen.add(label);
  }
  const item = (label: string) => ITEMS[Number(label[0])];
  return [...seen].map((label) => `${label}: ${MEANINGS[label] ?? (item(label) ? `DESIGN.md §6 item ${label[0]} (${item(label)}) does not hold` : 'see DESIGN.md §6')}`);
}

/** One line being built: a single event, or a run of like accesses (`key` set) that later ones may join. */
class Line {
  to: number;
  count = 1;
  bytes: number;
  /** Byte offsets within the frame, [lo, hi), and the linear addresses, [vaLo, vaHi) (-1: physical). */
  lo: number;
  hi: number;
  vaLo: number;
  vaHi: number;

  constructor(
    readonly kind: EventKind,
    /** Lines with the same key coalesce; undefined: a line nothing joins or merges across. */
    readonly key: string | undefined,
    readonly from: number,
    private readonly render: (l: Line) => string,
    span: { phys: number; length: number; va: number } = { phys: 0, length: 0, va: -1 },
  ) {
    this.to = from;
    this.bytes = span.length;
    this.lo = span.phys % FRAME_SIZE;
    this.hi = this.lo + span.length;
    this.vaLo = span.va;
    this.vaHi = span.va < 0 ? -1 : span.va + span.length;
  }

  join(cycle: number, phys: number, length: number, va: number): void {
    this.to = Math.max(this.to, cycle);
    this.count++;
    this.bytes += length;
    const lo = phys % FRAME_SIZE;
    this.lo = Math.min(this.lo, lo);
    this.hi = Math.max(this.hi, lo + length);
    if (va >= 0) {
      this.vaLo = Math.min(this.vaLo, va);
      this.vaHi = Math.max(this.vaHi, va + length);
    }
  }

  event(): ExplainedEvent {
    return { from: this.from, to: this.to, kind: this.kind, text: this.render(this) };
  }
}

const fixed = (text: string) => () => text;
const omitted = (cycle: number, text: string) => new Line('omitted', undefined, cycle, fixed(text));

/**
 * The lines of a run, kept bounded: a ring of the last `before` lines up to the moment, then
 * up to `after` lines, then only the action and the check if they come later. The action's
 * line is kept even when the ring has moved past it.
 */
class Lines {
  private readonly ring: Line[] = [];
  private readonly later: Line[] = [];
  private readonly tail: Line[] = [];
  private phase: 'before' | 'after' | 'done' = 'before';
  private action: Line | undefined;
  /** Lines the ring dropped before the action's line, and after it (all of them in `dropped` while it is in the ring or never came). */
  private droppedBeforeAction = 0;
  private dropped = 0;
  private actionDropped = false;

  constructor(
    private readonly moment: number,
    private readonly before: number,
    private readonly after: number,
  ) {}

  /** No event is wanted any more except the action and the check (the observers may stop naming things). */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** Past the moment: the ring is closed, lines go after it. */
  private advance(cycle: number): void {
    if (this.phase === 'before' && cycle > this.moment) this.phase = 'after';
  }

  private get current(): Line[] {
    return this.phase === 'before' ? this.ring : this.later;
  }

  /** An access that joins a like line among the last few since the last single event, or starts one. */
  access(kind: 'dma' | 'cpu', key: string, cycle: number, phys: number, length: number, va: number, render: (l: Line) => string): void {
    this.advance(cycle);
    if (this.done) return;
    const lines = this.current;
    for (let i = lines.length - 1; i >= Math.max(0, lines.length - MERGE_REACH); i--) {
      const l = lines[i]!;
      if (l.key === undefined) break;
      if (l.key === key) return l.join(cycle, phys, length, va);
    }
    this.push(new Line(kind, key, cycle, render, { phys, length, va }));
  }

  /** A single event: nothing joins it, nothing joins a line across it. */
  single(kind: EventKind, cycle: number, text: string): void {
    this.advance(cycle);
    if (this.done) return;
    this.push(new Line(kind, undefined, cycle, fixed(text)));
  }

  acted(cycle: number, text: string): void {
    this.advance(cycle);
    const l = new Line('action', undefined, cycle, fixed(`ACTION: ${text}`));
    this.action = l;
    if (this.phase === 'done') return this.pushTail(l);
    this.push(l);
  }

  /** The check that saw the violation. */
  checked(v: Violation): void {
    const l = new Line('check', undefined, v.cycle, fixed(`CHECK FAILED: ${v.messages.length} violation${v.messages.length === 1 ? '' : 's'} (below)`));
    if (this.phase === 'before') {
      this.push(l);
      this.phase = 'after';
    } else if (this.phase === 'after') {
      this.push(l);
    } else {
      this.pushTail(l);
    }
  }

  private push(l: Line): void {
    if (this.phase === 'before') {
      this.ring.push(l);
      if (this.ring.length > this.before) {
        const gone = this.ring.shift()!;
        if (gone === this.action) {
          this.actionDropped = true;
          this.droppedBeforeAction = this.dropped;
          this.dropped = 0;
        } else {
          this.dropped++;
        }
      }
      return;
    }
    this.later.push(l);
    if (this.later.length >= this.after) this.phase = 'done';
  }

  /** A line come once done: after a mark that the events between are not shown. */
  private pushTail(l: Line): void {
    const last = this.later[this.later.length - 1];
    if (this.tail.length === 0 && last) this.tail.push(omitted(last.to, `... events after cycle ${last.to} not shown ...`));
    this.tail.push(l);
  }

  events(): ExplainedEvent[] {
    const first = this.ring[0]?.from ?? this.moment;
    const gap = (n: number, at: number, which: string) => (n > 0 ? [omitted(at, `... ${n} ${which} line${n === 1 ? '' : 's'} not shown ...`)] : []);
    const head = this.actionDropped ? [...gap(this.droppedBeforeAction, this.action!.from, 'earlier'), this.action!, ...gap(this.dropped, first, 'more')] : gap(this.dropped, first, 'earlier');
    return [...head, ...this.ring, ...this.later, ...this.tail].map((l) => l.event());
  }
}

/** The observers of one rerun: they name each event as it happens and hand it to the lines. Never throws into the machine. */
class ExplainWatcher implements RunWatcher {
  private names: WorldNames | undefined;
  private w: ExploreWorld | undefined;
  private failed = false;
  private tracker: Findings | undefined;
  /** What the tracker showed when the check failed. */
  findings: readonly string[] = [];

  constructor(
    /** The action in words, when the run does not name it. */
    private readonly actionIs: string,
    private readonly lines: Lines,
  ) {}

  built(w: ExploreWorld): void {
    this.w = w;
    this.names = new WorldNames(w);
    const tracker = (this.tracker = new Findings(w, this.names));
    w.machine.cpu.observers.add((a) => this.guard(() => this.cpu(a)));
    w.machine.dma.observers.add((b) => this.guard(() => this.dma(b)));
    // The findings follow the whole run (few events, cheap), the lines only up to a little after the moment.
    w.machine.trace.observers.add((e) => this.guard(() => tracker.saw(e), true));
    w.machine.trace.observers.add((e) => this.guard(() => this.trace(e)));
  }

  acting(w: ExploreWorld, what?: string): void {
    this.lines.acted(w.machine.now, what ?? this.actionIs);
  }

  violated(v: Violation): void {
    this.lines.checked(v);
    this.guard(() => (this.findings = this.tracker?.now() ?? []), true);
  }

  /** An error of ours must not become the run's: note it and stop observing. `always`: even once the lines are done. */
  private guard(body: () => void, always = false): void {
    if (this.failed || (this.lines.done && !always)) return;
    try {
      body();
    } catch (e) {
      this.failed = true;
      this.lines.single('omitted', this.w!.machine.now, `(the explanation stopped here: ${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private cpu(a: CpuAccess): void {
    const n = this.names!;
    const f = Math.floor(a.phys / FRAME_SIZE);
    const owner = n.frameOwner(f);
    const d = a.thread && this.w!.kernel.state.byThread.get(a.thread);
    const user = a.mode === 'user';
    const who = n.accessor(a);
    const stale = user && d !== undefined && a.va >= 0 && !n.mapsPage(d.space, a.va, f);
    const op = a.write ? 'wrote' : 'read';
    const how = stale ? ` THROUGH A STALE TLB ENTRY (no PTE of ${n.space(d.space)} maps it there)` : '';
    const key = `cpu|${who}|${user}|${op}|${a.va < 0}|${f}|${owner}|${stale}`;
    this.lines.access('cpu', key, a.cycle, a.phys, a.length, a.va, (l) => {
      const at = l.vaLo < 0 ? 'physical memory' : `va ${range(l.vaLo, l.vaHi)}`;
      const size = l.count > 1 ? `${l.count} accesses, ${l.bytes} bytes` : `${l.bytes} bytes`;
      return `${who} ${op} ${at} (${size}) -> frame ${f} +${range(l.lo, l.hi)}${how} (${owner})`;
    });
  }

  private dma(b: DmaBeat): void {
    const n = this.names!;
    const master = b.master === this.w!.card.name ? 'card' : b.master;
    if (b.phys < 0) return this.lines.single('dma', b.cycle, `${master} ${b.write ? 'write' : 'read'} at bus ${hex(b.bus)} failed: ${b.error ?? 'no memory'}`);
    const f = Math.floor(b.phys / FRAME_SIZE);
    const owner = n.frameOwner(f);
    const transfer = n.transfer(b);
    const op = b.write ? 'wrote' : 'read';
    const key = `dma|${master}|${op}|${f}|${owner}|${transfer}`;
    this.lines.access('dma', key, b.cycle, b.phys, b.length, -1, (l) =>
      `${master} ${op} ${l.count} beat${l.count === 1 ? '' : 's'} (${l.bytes} bytes) ${b.write ? 'into' : 'from'} frame ${f} +${range(l.lo, l.hi)} (${owner}) for ${transfer}`);
  }

  private trace(e: TraceEntry): void {
    if (UNNAMED_TRACE.has(e.kind)) return;
    const text = this.names!.event(e);
    this.lines.single(e.kind.startsWith('kernel.') ? 'kernel' : e.kind.startsWith('ne2k.') ? 'device' : 'machine', e.cycle, text);
  }
}

/** A byte range [lo, hi) as hex, inclusive of its last byte. */
function range(lo: number, hi: number): string {
  return hi - lo <= 1 ? hex(lo) : `${hex(lo)}-${hex(hi - 1)}`;
}

/** The explanation for a person (null: the replay saw no violation). */
export function formatExplanation(x: Explanation | null): string {
  if (!x) return 'explanation: the replay saw no violation to explain';
  const cycles = (e: ExplainedEvent) => (e.from === e.to ? `${e.from}` : `${e.from}-${e.to}`);
  const width = Math.max(0, ...x.events.map((e) => cycles(e).length));
  const lines = [
    `explanation of ${x.offset === null ? 'the probe run' : `offset ${x.offset}`}: the events up to cycle ${x.moment} (the violation's moment) and a few after`,
    ...x.events.map((e) => `  ${(e.kind === 'omitted' ? '' : cycles(e)).padStart(width)}  ${e.text}`),
    '',
    x.violation ? `  violation at cycle ${x.violation.cycle}:` : '  the rerun saw no violation',
    ...(x.violation?.messages.map((m) => `    ${m}`) ?? []),
  ];
  if (!x.reproduced) lines.push('  NOT REPRODUCED: the rerun with observers did not see the replay\'s violation (a bug of the explainer)');
  lines.push('  what this means:', ...x.meanings.map((m) => `    ${m}`));
  if (x.findings.length > 0) lines.push('  what the events show:', ...x.findings.map((f) => `    ${f}`));
  return lines.join('\n');
}
