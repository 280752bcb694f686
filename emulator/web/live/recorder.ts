// The timeline's recorder: read-only observers on the card's DMA beats, the CPU's accesses and
// the machine's trace (kernel operations, interrupts, switches), turned into spans on lanes.
// A lane's accesses that follow one another closely coalesce into one span (a burst's beats,
// a copy's loads and stores), so a millisecond of a busy machine is a few thousand spans, not
// hundreds of thousands of events; spans split wherever a gap of more than MERGE_GAP cycles
// falls, so zooming to single cycles shows where each burst started and stopped. Observers
// charge no cycle and change nothing, so the run recorded is the run unrecorded (same hash).

import type { CpuAccess } from '../../machine/cpu.js';
import type { DmaBeat } from '../../machine/dma.js';
import { FRAME_SIZE } from '../../machine/memory.js';
import type { TraceEntry } from '../../machine/trace.js';
import type { Net } from '../../cli/scenario/net.js';
import type { Domain } from '../../../guest/kernel/domains.js';
import type { Span } from '../protocol.js';

/** Accesses of one lane (and, for DMA, one frame and direction) closer than this join one span. */
export const MERGE_GAP = 16;
/** Spans kept for the next snapshot; past this the oldest are dropped (the page says so). */
export const PENDING_SPANS = 20_000;

export const LANE_DMA = 'card DMA';
export const LANE_KERNEL = 'kernel (CPU)';
export const LANE_KERNEL_OPS = 'kernel operations';
export const LANE_INTERRUPTS = 'interrupts';

/** Trace kinds left off the timeline: the beats come from the DMA observer, the rest is the PIC's and timer's bookkeeping. */
const UNSHOWN = new Set(['dma.beat', 'irq.ack', 'irq.eoi', 'pit.load', 'ne2k.irq']);
const INTERRUPT_KINDS = new Set(['irq.raise', 'cpu.interrupt']);

/** Test-only: defences of the recorder switched off, so a red-team test can show it sees what they stop. */
export interface RecorderUnsafe {
  /** A domain's lane is its bare name, as it once was: any domain can name a child after another domain or a fixed lane. */
  laneByName?: boolean;
}

/**
 * A domain's lane on the timeline. A domain names the domains it creates as it likes
 * (allocDomain's `name`, any string up to 64 characters), so a name says nothing: a hostile
 * stack's child named `netdriver` or `kernel (CPU)` would have its accesses drawn on the
 * driver's or the kernel's lane, merged into their spans and coloured as theirs. The lane is
 * keyed by the kernel's domain id, which no domain chooses, and the label starts with it (no
 * fixed lane starts with '#'), so two domains never share a lane whatever they are called.
 */
export function domainLane(d: { readonly id: number; readonly name: string }): string {
  return `#${d.id} ${d.name}`;
}

export class Recorder {
  private pending: Span[] = [];
  /** The open span of each lane key: the last one, which the next access may extend. */
  private readonly open = new Map<number | string, Span>();
  dropped = 0;
  private readonly lanes = new Map<Domain, string>();

  constructor(private readonly net: Net, private readonly unsafe: RecorderUnsafe = {}) {
    const m = net.machine;
    m.dma.observers.add((b) => this.beat(b));
    m.cpu.observers.add((a) => this.access(a));
    m.trace.observers.add((e) => this.traced(e));
  }

  /** The spans since the last call; the growing ones end here (a burst across two snapshots is two adjacent spans). */
  take(): Span[] {
    for (const s of this.open.values()) this.push(s);
    this.open.clear();
    const out = this.pending;
    this.pending = [];
    return out;
  }

  // Every beat and every access comes here, so a beat or access that extends a span builds no
  // string: a DMA span is keyed by a number (its frame and direction), a CPU span by its lane,
  // and the words are made only when a span starts.
  private beat(b: DmaBeat): void {
    const frame = b.phys < 0 ? -1 : Math.floor(b.phys / FRAME_SIZE);
    const key = frame * 2 + (b.write ? 1 : 0);
    if (this.extended(key, b.cycle, b.length, b.write)) return;
    const what = b.phys < 0 ? `failed (${b.error ?? 'no memory'}) at bus 0x${b.bus.toString(16)}` : `frame ${frame}`;
    this.start(key, { from: b.cycle, to: b.cycle, lane: LANE_DMA, text: `card ${b.write ? 'writes' : 'reads'} ${what}`, frame, write: b.write, count: 1, bytes: b.length });
  }

  private access(a: CpuAccess): void {
    const d = a.thread ? this.net.kernel.state.byThread.get(a.thread) : undefined;
    const lane = a.mode === 'user' && d ? (this.unsafe.laneByName ? d.name : this.laneOf(d)) : LANE_KERNEL;
    if (this.extended(lane, a.cycle, a.length, a.write)) return;
    const frame = Math.floor(a.phys / FRAME_SIZE);
    const who = a.mode === 'user' ? lane : d ? `kernel, in a system call of ${domainLane(d)}` : 'kernel';
    this.start(lane, { from: a.cycle, to: a.cycle, lane, text: `${who}: accesses from frame ${frame}`, frame, write: a.write, count: 1, bytes: a.length });
  }

  /** A domain's lane (domainLane), with the client it is when it is a client's stack domain (stack0 is client 1's). */
  private laneOf(d: Domain): string {
    let lane = this.lanes.get(d);
    if (lane === undefined) {
      const k = this.net.clients.findIndex((c) => c.domain === d);
      this.lanes.set(d, (lane = k >= 0 ? `${domainLane(d)} (client ${k + 1})` : domainLane(d)));
    }
    return lane;
  }

  private traced(e: TraceEntry): void {
    if (UNSHOWN.has(e.kind)) return;
    const lane = INTERRUPT_KINDS.has(e.kind) ? LANE_INTERRUPTS : e.kind.startsWith('kernel.') || e.kind.startsWith('cpu.') ? LANE_KERNEL_OPS : undefined;
    if (!lane) return;
    this.push({ from: e.cycle, to: e.cycle, lane, text: `${e.kind} ${e.args.join(' ')}`, frame: -1, write: false, count: 1, bytes: 0 });
  }

  /** Whether the open span under `key` took this beat or access (it follows within MERGE_GAP cycles). */
  private extended(key: number | string, cycle: number, length: number, write: boolean): boolean {
    const s = this.open.get(key);
    if (!s || cycle - s.to > MERGE_GAP) return false;
    s.to = Math.max(s.to, cycle);
    s.count++;
    s.bytes += length;
    if (write) s.write = true;
    return true;
  }

  /** A new span under `key`; the one it replaces is done. */
  private start(key: number | string, span: Span): void {
    const s = this.open.get(key);
    if (s) this.push(s);
    this.open.set(key, span);
  }

  private push(s: Span): void {
    this.pending.push(s);
    if (this.pending.length >= 2 * PENDING_SPANS) {
      this.pending.splice(0, PENDING_SPANS);
      this.dropped += PENDING_SPANS;
    }
  }
}
