// Invariant checks after every event, at the cost of what the event can have changed.
// `IncrementalChecks.check()` returns exactly what `violations(w, true)` (checks.ts: the full
// check, the zero-before-reuse scan included) would return at that moment, in the same
// order, but reruns a part only when one of its inputs changed since its last call. A cycle
// sweep (DESIGN.md §7) checks a few hundred events per offset, and nearly all of them are a
// DMA beat or a wire byte that changes no page table, no TLB entry, no CR3 and no kernel
// record: those checks cost the change counters and journals below, not a rescan of the
// frame table and of every space's page tables.
//
// What tells a check what changed (each kept on the mutating path, never on a read):
//   kernel records  the CPU's count of supervisor entries (cpu.ts supervisorEntries), less
//                   the system calls that change no record (syscalls.ts RECORDS_UNCHANGED:
//                   IPC, notifications, ports, capability copies; state.ts quietEntries). The
//                   frame table, the banks and their objects, spaces and their mapping
//                   records, pin tokens and domain states are written only by kernel code,
//                   and kernel code runs only inside a supervisor entry (a system call, an
//                   interrupt, a page fault, a composition root's Kernel call). The one
//                   kernel code that runs as a clock event, a wait's timeout (ipc.ts), moves
//                   a domain from waiting to ready, and both count as runnable below.
//   memory          a write journal (memory.ts): every frame written since the last check,
//                   by the CPU, the MMU (A and D bits), DMA or host code using the memory's
//                   writers. A recorded walk of a space's page tables (pagewalk.ts
//                   RecordedWalk) stays valid until one of the frames it read is written.
//   TLB and CR3     the TLB's change count (fills, invalidations, flushes) and CR3's value.
//   the driver      which frames are receive buffers and which domains are trusted are
//                   the driver's records and the kernel's: they change only while guest
//                   or kernel code runs, which the CPU's count of thread resumptions and
//                   of supervisor entries tells; then they are read again (a few dozen
//                   lookups) and the isolation result reused when they match.
//
// Why each skipped part cannot have changed, part by part (items of DESIGN.md §6):
//   item 1 (bus observer, IOMMU), transfers, item 8 (progress): rerun at every check; they
//     are a list read, a walk of pinned frames with the IOMMU on, and a few reads per session.
//   items 2 and 6 (pins, accounting) and item 3's reverse map: inputs are kernel records
//     only, so rerun exactly when the kernel was entered.
//   items 3 and 5 in a space's tables: inputs are kernel records and the tables in memory;
//     rerun for a space when the kernel was entered or a frame its walk read was written
//     (a PTE poked by anyone, an A/D update, a DMA beat into a table: the last is also item
//     1 at the beat). Between those the walk is replayed from its recording.
//   items 3 and 5 in the TLB: inputs are the TLB, CR3, the loaded space's records and tables.
//   item 7 (zero before reuse): a frame's verdict depends on its state and dirty mark
//     (kernel records: on a kernel entry the frames whose state or mark differ from the last
//     check's copy are looked at again) and on its bytes (only the journal's frames are
//     looked at again). So only frames that became free, were marked, or were written since
//     are read, where the full check reads every free frame. A domain can write only frames
//     its PTEs or TLB entries map, which the page-table and TLB checks validate when the PTE
//     appears; a write that lands in a free frame anyway is in the journal.
//   items 4 and 5 (isolation.ts): inputs are the untrusted spaces' tables, kernel records,
//     the trusted domains, the runnable set and the receive buffers; rerun when any changed.
// Writes that bypass the journal (host code writing memory.bytes itself, not through set,
// fill or the writers) are outside this. Kernel records changed by host code directly (a test
// poking the frame table) are seen at the next kernel entry.

import { checkAccounting, checkDma, checkPins, checkReverseMap, checkSpace, checkTlb, checkZero } from '../../../guest/kernel/invariants.js';
import { untrustedSpaces } from '../../../guest/kernel/isolation.js';
import { RecordedWalk, type Walk } from '../../../guest/kernel/pagewalk.js';
import type { FrameState } from '../../../guest/kernel/frames.js';
import type { Domain } from '../../../guest/kernel/domains.js';
import type { Space } from '../../../guest/kernel/spaces.js';
import type { WriteJournal } from '../../machine/memory.js';
import { insideKernelViolations } from './checks.js';
import type { Net } from './net.js';
import { receiveBufferFrames, trustedDomains } from './records.js';

/**
 * Test-only: a change signal ignored, to show that the agreement test catches a checker that
 * skips too much (test/security/incremental-checks.test.ts). No product code sets them.
 */
export interface UnsafeIncremental {
  /** Never look at the TLB's change count or CR3 (a stale TLB entry goes unseen). */
  readonly ignoreTlb?: boolean;
  /** Never read the write journal (a write into a free frame or a page table goes unseen). */
  readonly ignoreWrites?: boolean;
  /** Rerun the record-based parts only at the first check (a kernel operation goes unseen). */
  readonly ignoreKernelEntries?: boolean;
}

/** What the isolation result was computed from (all compared at the next check). */
interface IsolationInputs {
  readonly trusted: readonly Domain[];
  readonly receiveBuffers: ReadonlySet<number>;
  readonly untrusted: ReadonlyMap<Space, readonly Domain[]>;
}

export class IncrementalChecks {
  private readonly journal: WriteJournal;
  /** Supervisor entries, TLB changes and CR3 at the last check (-1: never checked). */
  private entries = -1;
  private resumes = -1;
  private tlbChanges = -1;
  private cr3 = -1;
  /** The results of the parts, as of the last time each ran. */
  private pins: string[] = [];
  private accounting: string[] = [];
  private liveSpaces: Space[] = [];
  private reverseMap: string[] = [];
  private tlb: string[] = [];
  private readonly spaceBad = new Map<Space, string[]>();
  private isolation: string[] = [];
  private isolationInputs: IsolationInputs | undefined;
  /** Item 7 violations by frame. */
  private readonly zeroBad = new Map<number, string>();
  /** Recorded walks by space, and the spaces whose walk read each frame. */
  private readonly walks = new Map<Space, RecordedWalk>();
  private readonly readers = new Map<number, Set<Space>>();
  /** Frame states and dirty marks as of the last check (item 7's record inputs). */
  private readonly stateSeen: FrameState[];
  private readonly dirtySeen: Uint8Array;

  constructor(
    private readonly w: Net,
    private readonly unsafe: UnsafeIncremental = {},
  ) {
    this.journal = w.machine.memory.openJournal();
    const fr = w.kernel.state.frames;
    this.stateSeen = [...fr.state];
    this.dirtySeen = new Uint8Array(fr.dirty);
  }

  /** The violations now: what violations(w, true) returns, computed from what changed since the last call. */
  check(): string[] {
    const w = this.w;
    const cpu = w.machine.cpu;
    // Inside a kernel operation only items 1 and 2 hold (checks.ts); the journals keep
    // collecting for the next check outside.
    if (cpu.mode === 'supervisor') return insideKernelViolations(w);
    const k = w.kernel.state;
    const first = this.entries < 0;
    // Entries that may have changed kernel records: all but the quiet system calls (state.ts quietEntries).
    const recordEntries = cpu.supervisorEntries - k.quietEntries;
    const entered = first || (recordEntries !== this.entries && !this.unsafe.ignoreKernelEntries);
    this.entries = recordEntries;
    const written = this.unsafe.ignoreWrites ? [] : this.journal.take();
    const stale = this.staleWalks(written);

    const bad: string[] = [];
    checkDma(k, bad);
    if (entered) {
      this.pins = [];
      checkPins(k, this.pins);
      this.accounting = [];
      this.liveSpaces = checkAccounting(k, this.accounting);
      this.reverseMap = [];
      checkReverseMap(k, this.reverseMap);
      this.forgetDeadSpaces();
    }
    bad.push(...this.pins, ...this.accounting);
    for (const s of this.liveSpaces) {
      let sb = this.spaceBad.get(s);
      if (entered || sb === undefined || stale.has(s)) {
        sb = [];
        checkSpace(k, s, sb, this.walkOf(s));
        this.spaceBad.set(s, sb);
      }
      bad.push(...sb);
    }
    bad.push(...this.reverseMap);
    const tlb = w.machine.mmu.tlb;
    const tlbChanged = !this.unsafe.ignoreTlb && (tlb.changes !== this.tlbChanges || w.machine.mmu.cr3 !== this.cr3);
    if (entered || stale.size > 0 || tlbChanged) {
      this.tlb = [];
      checkTlb(k, this.liveSpaces, this.tlb);
      this.tlbChanges = tlb.changes;
      this.cr3 = w.machine.mmu.cr3;
    }
    bad.push(...this.tlb);
    bad.push(...this.zero(first ? undefined : written, entered));
    bad.push(...w.watch.transfers.violations);
    const ran = entered || cpu.resumes !== this.resumes;
    this.resumes = cpu.resumes;
    bad.push(...this.isolate(entered, ran, stale));
    bad.push(...w.watch.progress.check());
    return bad;
  }

  /** The spaces whose recorded walk read a frame in `written`: their recordings are dropped. */
  private staleWalks(written: readonly number[]): Set<Space> {
    const stale = new Set<Space>();
    for (const f of written) for (const s of this.readers.get(f) ?? []) stale.add(s);
    for (const s of stale) this.forget(s);
    return stale;
  }

  /** The space's walk: its recording, made now if there is none. */
  private walkOf(s: Space): Walk {
    let rec = this.walks.get(s);
    if (!rec) {
      rec = new RecordedWalk(this.w.kernel.state.hw, s.pd);
      this.walks.set(s, rec);
      for (const f of rec.frames) {
        let set = this.readers.get(f);
        if (!set) this.readers.set(f, (set = new Set()));
        set.add(s);
      }
    }
    return rec.walk;
  }

  private forget(s: Space): void {
    const rec = this.walks.get(s);
    if (!rec) return;
    this.walks.delete(s);
    for (const f of rec.frames) this.readers.get(f)?.delete(s);
  }

  /** After a kernel entry: drop what is kept for spaces that are gone (a new walk is made if one is walked again). */
  private forgetDeadSpaces(): void {
    // No copy of the keys: deleting the entry a Map iteration is at is defined (the iteration
    // goes on with the next one), and this runs after every kernel entry.
    for (const s of this.walks.keys()) if (!s.live) this.forget(s);
    for (const s of this.spaceBad.keys()) if (!s.live) this.spaceBad.delete(s);
  }

  /**
   * Item 7: look again at the frames written since the last check and, after a kernel entry,
   * at those whose state or dirty mark changed; every frame at the first check.
   */
  private zero(written: readonly number[] | undefined, entered: boolean): string[] {
    const k = this.w.kernel.state;
    const fr = k.frames;
    const look = (f: number) => {
      const b: string[] = [];
      checkZero(k, f, b);
      if (b.length > 0) this.zeroBad.set(f, b[0]!);
      else this.zeroBad.delete(f);
    };
    if (written === undefined) for (let f = 0; f < fr.state.length; f++) look(f);
    else for (const f of written) look(f);
    if (entered) {
      // The arrays in locals: this loop visits every frame after every kernel entry.
      const { state, dirty } = fr;
      const { stateSeen, dirtySeen } = this;
      for (let f = 0; f < state.length; f++) {
        if (state[f] === stateSeen[f] && dirty[f] === dirtySeen[f]) continue;
        stateSeen[f] = state[f]!;
        dirtySeen[f] = dirty[f]!;
        look(f);
      }
    }
    if (this.zeroBad.size === 0) return [];
    return [...this.zeroBad].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  /**
   * Items 4 and 5 from the frame table (isolation.ts), rerun when any of its inputs changed.
   * The inputs other than the tables are kernel records and the driver's: unless guest or
   * kernel code `ran` since the last check, only the untrusted spaces' tables can have.
   */
  private isolate(entered: boolean, ran: boolean, stale: ReadonlySet<Space>): string[] {
    const w = this.w;
    const k = w.kernel.state;
    const before = this.isolationInputs;
    if (!ran && before && ![...before.untrusted.keys()].some((s) => stale.has(s))) return this.isolation;
    const trusted = trustedDomains(w);
    const now: IsolationInputs = { trusted, receiveBuffers: receiveBufferFrames(w), untrusted: untrustedSpaces(k, trusted) };
    const changed = entered || !before || [...now.untrusted.keys()].some((s) => stale.has(s)) || !sameInputs(before, now);
    if (changed) {
      this.isolation = w.kernel.checkIsolation({ trusted, receiveBuffers: now.receiveBuffers }, (s) => this.walkOf(s));
      this.isolationInputs = now;
    }
    return this.isolation;
  }
}

function sameInputs(a: IsolationInputs, b: IsolationInputs): boolean {
  if (!sameList(a.trusted, b.trusted) || a.receiveBuffers.size !== b.receiveBuffers.size || a.untrusted.size !== b.untrusted.size) return false;
  for (const f of a.receiveBuffers) if (!b.receiveBuffers.has(f)) return false;
  const bs = [...b.untrusted];
  return [...a.untrusted].every(([s, ds], i) => bs[i]![0] === s && sameList(ds, bs[i]![1]));
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
