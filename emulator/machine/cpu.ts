// The CPU: runs guest threads as coroutines with the current CR3 and privilege, and gives
// them a memory API in which every access is translated by the MMU, charged in cycles from
// the cost table, and preceded by a catch-up of the devices, so that a DMA beat due at
// cycle t lands between the CPU accesses before and after t (an access at cycle c sees
// every beat due at or before c).
//
// Bulk operations (read, write, copy, checksum, zero) go 32-byte line by line; each line is
// a preemption point in the generator forms, and a device catch-up point in every form. The
// kernel is non-preemptible, so it uses the *Sync forms: it still charges cycles line by
// line and DMA proceeds meanwhile. A preemption point of the CPU's generators must reach the
// run loop: a thread that steps one past it by hand gets SwallowedPreemption (passPoint).
//
// Page faults go to a supervisor handler (onPageFault) with the error code and CR2; if it
// does not resolve the fault, the access throws a PageFault into the guest code. Interrupts
// are taken at preemption points when enabled, and handled by onInterrupt in supervisor mode.
//
// Single accesses and compute are synchronous here; code that wants every call to be a
// preemption point without paying a scheduler pass per call (the domain context) asks
// `preemptionDue()` after each one and yields only when it says so: an interrupt is pending,
// the kernel asked for a switch (`preempt()`), or run() has reached its limit; it charges
// a long computation in slices that end where device events are due (`computeSlice`).

import { LINE_SIZE, type DataCache } from './cache.js';
import type { Clock } from './clock.js';
import type { CostTable } from './costs.js';
import type { PhysicalMemory } from './memory.js';
import { TRANSLATION_FAULT, type Mmu } from './mmu.js';
import { CR0_PG, CR4_PSE, PAGE_SIZE, PF_P, PF_RSVD, PF_U, PF_W } from './paging.js';
import type { PortBus, PortWidth } from './ports.js';
import { BLOCK, Thread, type GuestCode, type Mode } from './thread.js';
import type { Trace } from './trace.js';

/** The interrupt controller as the CPU sees it: the INTR pin and the INTA cycle. */
export interface InterruptSource {
  readonly interruptPending: boolean;
  acknowledge(): number;
}

export class PageFault extends Error {
  constructor(
    readonly linear: number,
    readonly errorCode: number,
    readonly cycle: number,
  ) {
    super(`page fault at 0x${linear.toString(16).padStart(8, '0')} (${describeFaultCode(errorCode)}) at cycle ${cycle}`);
    this.name = 'PageFault';
  }
}

/**
 * A thread stepped a preemption point's generator itself (resumed it, or left it and went on)
 * instead of yielding to the run loop: it would keep the CPU. Thrown into the guest code at
 * the point, and at every preemption point after it until the thread yields to the CPU.
 */
export class SwallowedPreemption extends Error {
  override name = 'SwallowedPreemption';
}

export function describeFaultCode(code: number): string {
  return [
    code & PF_P ? 'protection' : 'not present',
    code & PF_W ? 'write' : 'read',
    code & PF_U ? 'user' : 'supervisor',
    ...(code & PF_RSVD ? ['reserved bit'] : []),
  ].join(', ');
}

/** Where run() could stop (Cpu.stops). */
export interface StopObserver {
  /** run(until) with until ≤ cycle, reaching here, stops here (unless it stopped before). */
  point(cycle: number): void;
  /** run(until) with until in [from, to], reaching here, stops exactly at until. */
  span(from: number, to: number): void;
}

/** One CPU access to physical memory, as observers see it. */
export interface CpuAccess {
  readonly cycle: number;
  readonly thread: Thread | undefined;
  readonly mode: Mode;
  /** Linear address, or -1 for a physical access by the kernel. */
  readonly va: number;
  readonly phys: number;
  readonly length: number;
  readonly write: boolean;
}
export type CpuObserver = (a: CpuAccess) => void;

type BulkKind = 'read' | 'write' | 'copy' | 'checksum' | 'zero';

/** An address for the bulk operations: linear (translated) or physical (kernel only). */
interface Span {
  addr: number;
  physical: boolean;
}

export class Cpu {
  /** The CPU's own time. The clock's `now` catches up to it before every access. */
  cycle = 0;
  mode: Mode = 'supervisor';
  interruptsEnabled = false;
  current: Thread | undefined;
  readonly threads: Thread[] = [];
  readonly observers = new Set<CpuObserver>();
  /** Cycles spent halted with nothing to run. */
  idleCycles = 0;
  /**
   * Every page fault this CPU raised, with its words as raised. A fault is thrown into guest
   * code, which may catch it, change it and throw it on, or throw something else of its own
   * (a proxy, an object whose prototype claims PageFault): whoever classifies an error a
   * thread ended with asks here, which runs none of the thrower's code and reads none of
   * what it may have changed.
   */
  private readonly raised = new WeakMap<object, { readonly linear: number; readonly errorCode: number }>();
  /**
   * Entries into supervisor mode (system calls, interrupts, page faults): the only way kernel
   * code runs on this CPU, so a reader that saw the same count twice knows no kernel code ran
   * in between (an incremental invariant check skips the kernel's records then).
   */
  supervisorEntries = 0;
  /** Supervisor handler for a hardware interrupt vector. */
  onInterrupt: ((vector: number) => void) | undefined;
  /** Supervisor handler for a page fault; return true if it resolved it (the access retries). */
  onPageFault: ((fault: PageFault, thread: Thread | undefined) => boolean) | undefined;
  /** Called when a thread's body returns or throws. */
  onThreadExit: ((thread: Thread) => void) | undefined;
  /**
   * Told every cycle at which run() could stop if its limit were there (an observer's map of
   * the run: explore/instants.ts): a preemption point that only the limit would end, the run
   * loop's turn, and spans in which the CPU computes or sleeps and would stop at the limit
   * itself. Only reads: the run is the same with it or without.
   */
  stops: StopObserver | undefined;
  /** Called each time the CPU leaves the kernel (a system call or an interrupt returns): an observer's point to check what the kernel changed. */
  afterKernelExit: (() => void) | undefined;
  /** Picks the next thread to run; the default is round-robin over runnable threads. */
  scheduler: (() => Thread | undefined) | undefined;
  /** Times the run loop has resumed a thread: unchanged means no guest code ran in between. */
  resumes = 0;
  /** `resumes` when a thread last reached a preemption point of the CPU's generators (reachPoint). */
  private pointAt = -1;
  private preemptRequested = false;
  /** The cycle run() is running to: a host boundary, not a machine event (see preemptionDue). */
  private runLimit = Infinity;
  /** Inside run(): stopSoon() has a run to stop. */
  private running = false;
  /** The thread yields only because run() reached its limit: that yield is not charged. */
  private pausing = false;
  private readonly kinds;

  constructor(
    readonly clock: Clock,
    readonly memory: PhysicalMemory,
    readonly mmu: Mmu,
    readonly cache: DataCache,
    readonly ports: PortBus,
    readonly pic: InterruptSource,
    readonly costs: Readonly<CostTable>,
    readonly trace: Trace,
  ) {
    this.kinds = {
      cr3: trace.kind('cpu.cr3'),
      invlpg: trace.kind('cpu.invlpg'),
      fault: trace.kind('cpu.fault'),
      irq: trace.kind('cpu.interrupt'),
      switch: trace.kind('cpu.switch'),
      exit: trace.kind('cpu.exit'),
      busError: trace.kind('cpu.bus-error'),
    };
  }

  // ---- time ----

  /** Fire every device event due by now. */
  sync(): void {
    if (this.cycle >= this.clock.nextAt) this.clock.runUntil(this.cycle);
    else this.clock.now = this.cycle;
  }

  /** Charge `units` of abstract compute. */
  compute(units: number): void {
    this.cycle += this.computeCycles(units);
  }

  /**
   * Charge up to `cycles` of compute, stopping where the next device event (or run()'s limit)
   * is due; returns the cycles left. Preemptible code charges a long computation this way with
   * a preemption point after each slice, so a timer tick interrupts it on time, as it would a
   * long instruction stream; without a preemption the total is that of compute().
   */
  computeSlice(cycles: number): number {
    const slice = Math.min(cycles, Math.max(1, Math.min(this.clock.nextAt, this.runLimit) - this.cycle));
    this.stops?.span(this.cycle + 1, this.cycle + slice);
    this.cycle += slice;
    return cycles - slice;
  }

  /** The cycles `units` of compute take. */
  computeCycles(units: number): number {
    if (!(units >= 0)) throw new RangeError(`compute(${units}): units must be non-negative`);
    return Math.ceil(units * this.costs.computeUnit);
  }

  /**
   * Whether the running thread should stop at the preemption point it has reached (devices
   * caught up first): an enabled interrupt is pending at the PIC, the kernel asked for a
   * switch, or the time has reached run()'s limit. The last is the host's boundary, not the
   * machine's: the thread yields so that run() can return, and that yield costs no cycles.
   */
  preemptionDue(): boolean {
    this.sync();
    if (this.preemptRequested || (this.interruptsEnabled && this.pic.interruptPending)) return true;
    this.stops?.point(this.cycle);
    if (this.cycle < this.runLimit) return false;
    this.pausing = true;
    return true;
  }

  /** A preemption point: yields to the run loop, which must be what resumes the thread (passPoint). */
  *point(): GuestCode {
    this.passPoint(yield this.reachPoint());
  }

  /** Note that the running thread is at a preemption point; returns what it yields there. */
  private reachPoint(): undefined {
    this.pointAt = this.resumes;
    return undefined;
  }

  /**
   * Throws SwallowedPreemption if the running thread's last preemption point did not reach
   * the run loop: the thread resumed it itself, or left it and went on. Checked after every
   * point of the CPU's generators, and by callers at the start of each operation.
   */
  passPoint(_resumedWith?: unknown): void {
    if (this.pointAt === this.resumes) throw new SwallowedPreemption(`${this.current?.name ?? 'a thread'} stepped past a preemption point by hand instead of yielding to the CPU`);
  }

  // ---- control registers ----

  writeCr3(value: number): void {
    this.sync();
    this.cycle += this.costs.writeCr3;
    this.mmu.writeCr3(value);
    this.trace.record(this.cycle, this.kinds.cr3, value);
  }

  invlpg(va: number): void {
    this.sync();
    this.cycle += this.costs.invlpg;
    this.mmu.invalidatePage(va);
    this.trace.record(this.cycle, this.kinds.invlpg, va);
  }

  /** Write CR0; a change of PG flushes the TLB (WP is checked at each access, so it needs no flush). */
  writeCr0(value: number): void {
    if (((this.mmu.cr0 ^ value) & CR0_PG) !== 0) this.mmu.tlb.flush();
    this.mmu.cr0 = value >>> 0;
  }

  /** Write CR4; a change of PSE flushes the TLB. */
  writeCr4(value: number): void {
    if (((this.mmu.cr4 ^ value) & CR4_PSE) !== 0) this.mmu.tlb.flush();
    this.mmu.cr4 = value >>> 0;
  }

  // ---- translation ----

  /** Translate for the current mode, delivering faults to the handler; throws PageFault if unresolved. */
  /** The words of a page fault this CPU raised, if `e` is one (WeakMap lookup: no code of `e`'s runs). */
  raisedFault(e: unknown): { readonly linear: number; readonly errorCode: number } | undefined {
    return (typeof e === 'object' && e !== null) || typeof e === 'function' ? this.raised.get(e as object) : undefined;
  }

  private translate(va: number, write: boolean): number {
    const mmu = this.mmu;
    const user = this.mode === 'user';
    let pa = mmu.translate(va, write, user);
    this.cycle += mmu.walkCycles;
    while (pa === TRANSLATION_FAULT) {
      const fault = new PageFault(mmu.cr2, mmu.faultCode, this.cycle);
      this.raised.set(fault, Object.freeze({ linear: fault.linear, errorCode: fault.errorCode }));
      this.trace.record(this.cycle, this.kinds.fault, mmu.cr2, mmu.faultCode, this.current?.id ?? -1);
      this.cycle += this.costs.interruptEntry;
      const resolved = this.inSupervisor(() => this.onPageFault?.(fault, this.current) ?? false);
      this.cycle += this.costs.interruptReturn;
      if (!resolved) throw fault;
      pa = mmu.translate(va, write, user);
      this.cycle += mmu.walkCycles;
    }
    return pa;
  }

  private inSupervisor<T>(fn: () => T): T {
    this.supervisorEntries++;
    const prev = this.mode;
    this.mode = 'supervisor';
    try {
      return fn();
    } finally {
      this.mode = prev;
    }
  }

  private observe(va: number, phys: number, length: number, write: boolean): void {
    const a: CpuAccess = { cycle: this.cycle, thread: this.current, mode: this.mode, va, phys, length, write };
    for (const o of this.observers) o(a);
  }

  // ---- single accesses ----

  load8(va: number): number {
    return this.load(va, 1);
  }
  load16(va: number): number {
    return this.load(va, 2);
  }
  load32(va: number): number {
    return this.load(va, 4);
  }
  store8(va: number, v: number): void {
    this.store(va, 1, v);
  }
  store16(va: number, v: number): void {
    this.store(va, 2, v);
  }
  store32(va: number, v: number): void {
    this.store(va, 4, v);
  }

  /** A linear load of 1, 2 or 4 bytes, little-endian. A load crossing a page is split into bytes. */
  load(va: number, size: 1 | 2 | 4): number {
    va >>>= 0;
    if ((va & 0xfff) > PAGE_SIZE - size) return this.splitLoad(va, size);
    this.sync();
    const pa = this.translate(va, false);
    return this.physLoad(va, pa, size);
  }

  store(va: number, size: 1 | 2 | 4, v: number): void {
    va >>>= 0;
    if ((va & 0xfff) > PAGE_SIZE - size) return this.splitStore(va, size, v);
    this.sync();
    const pa = this.translate(va, true);
    this.physStore(va, pa, size, v);
  }

  /** A kernel load from a physical address (the kernel's identity view of RAM). */
  loadPhys(pa: number, size: 1 | 2 | 4): number {
    this.sync();
    return this.physLoad(-1, pa, size);
  }

  storePhys(pa: number, size: 1 | 2 | 4, v: number): void {
    this.sync();
    this.physStore(-1, pa, size, v);
  }

  private physLoad(va: number, pa: number, size: 1 | 2 | 4): number {
    const mem = this.memory;
    this.cycle += this.cache.load(pa) ? this.costs.cacheHit : this.costs.lineFill;
    if (this.observers.size > 0) this.observe(va, pa, size, false);
    if (!mem.contains(pa, size)) return this.busError(pa, size);
    return size === 4 ? mem.read32(pa) : size === 2 ? mem.read16(pa) : mem.read8(pa);
  }

  private physStore(va: number, pa: number, size: 1 | 2 | 4, v: number): void {
    const mem = this.memory;
    this.cycle += this.cache.store(pa) ? this.costs.cacheHit : this.costs.storeMiss;
    if (this.observers.size > 0) this.observe(va, pa, size, true);
    if (!mem.contains(pa, size)) {
      this.busError(pa, size);
      return;
    }
    if (size === 4) mem.write32(pa, v);
    else if (size === 2) mem.write16(pa, v);
    else mem.write8(pa, v);
  }

  /** A PC reads all ones where no memory answers, and drops the write; the trace records it. */
  private busError(pa: number, size: number): number {
    this.trace.record(this.cycle, this.kinds.busError, pa, size);
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  private splitLoad(va: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.load((va + i) >>> 0, 1) << (8 * i);
    return v >>> 0;
  }

  private splitStore(va: number, size: number, v: number): void {
    for (let i = 0; i < size; i++) this.store((va + i) >>> 0, 1, (v >>> (8 * i)) & 0xff);
  }

  // ---- bulk operations ----
  // Guest code may pass anything: every operand is checked once at entry, linear addresses
  // wrap at 2^32 as on the x86, and write data is copied first so the caller cannot change
  // or forge it mid-operation (a subclass overriding subarray, a length that grows).

  /** Read `len` bytes at linear `va`. */
  *read(va: number, len: number): GuestCode<Uint8Array> {
    checkOperands(va, len, false);
    const out = new Uint8Array(len);
    for (let off = 0; off < len; this.passPoint(yield this.reachPoint())) off += this.bulkChunk('read', linear(va + off), undefined, len - off, out, off);
    return out;
  }
  *write(va: number, data: Uint8Array): GuestCode {
    const own = ownCopy(data);
    checkOperands(va, own.length, false);
    for (let off = 0; off < own.length; this.passPoint(yield this.reachPoint())) off += this.bulkChunk('write', linear(va + off), undefined, own.length - off, own, off);
  }
  *copy(dstVa: number, srcVa: number, len: number): GuestCode {
    checkOperands(dstVa, len, false);
    checkOperands(srcVa, len, false);
    for (let off = 0; off < len; this.passPoint(yield this.reachPoint())) off += this.bulkChunk('copy', linear(dstVa + off), linear(srcVa + off), len - off);
  }
  /** Internet checksum (RFC 1071) of `len` bytes at `va`: the folded 16-bit ones' complement sum. */
  *checksum(va: number, len: number): GuestCode<number> {
    checkOperands(va, len, false);
    const acc = { sum: 0 };
    for (let off = 0; off < len; this.passPoint(yield this.reachPoint())) off += this.bulkChunk('checksum', linear(va + off), undefined, len - off, undefined, off, acc);
    return foldChecksum(acc.sum);
  }
  *zero(va: number, len: number): GuestCode {
    checkOperands(va, len, false);
    for (let off = 0; off < len; this.passPoint(yield this.reachPoint())) off += this.bulkChunk('zero', linear(va + off), undefined, len - off);
  }

  // Non-preemptible forms for kernel paths; `physical` selects the kernel's identity view.
  readSync(addr: number, len: number, physical = false): Uint8Array {
    checkOperands(addr, len, physical);
    const out = new Uint8Array(len);
    for (let off = 0; off < len; ) off += this.bulkChunk('read', span(addr + off, physical), undefined, len - off, out, off);
    return out;
  }
  writeSync(addr: number, data: Uint8Array, physical = false): void {
    const own = ownCopy(data);
    checkOperands(addr, own.length, physical);
    for (let off = 0; off < own.length; ) off += this.bulkChunk('write', span(addr + off, physical), undefined, own.length - off, own, off);
  }
  copySync(dst: number, src: number, len: number, physical = false): void {
    checkOperands(dst, len, physical);
    checkOperands(src, len, physical);
    for (let off = 0; off < len; ) off += this.bulkChunk('copy', span(dst + off, physical), span(src + off, physical), len - off);
  }
  zeroSync(addr: number, len: number, physical = false): void {
    checkOperands(addr, len, physical);
    for (let off = 0; off < len; ) off += this.bulkChunk('zero', span(addr + off, physical), undefined, len - off);
  }

  /**
   * One step of a bulk operation: at most one 32-byte line of each operand, never crossing a
   * page. Catches the devices up, translates, charges, moves the bytes. Returns the byte count.
   */
  private bulkChunk(
    kind: BulkKind, dst: Span, src: Span | undefined, remaining: number,
    buf?: Uint8Array, bufOff = 0, acc?: { sum: number },
  ): number {
    let n = Math.min(remaining, LINE_SIZE - (dst.addr % LINE_SIZE));
    if (src) n = Math.min(n, LINE_SIZE - (src.addr % LINE_SIZE));
    this.sync();
    const writes = kind === 'write' || kind === 'copy' || kind === 'zero';
    const dpa = dst.physical ? dst.addr : this.translate(dst.addr, writes);
    const spa = src ? (src.physical ? src.addr : this.translate(src.addr, false)) : -1;
    const mem = this.memory;
    const c = this.costs;
    const readPa = kind === 'copy' ? spa : dpa;
    switch (kind) {
      case 'read':
      case 'copy':
        this.cycle += Math.ceil(n * (this.cache.load(readPa) ? c.copyCachePerByte : c.copyMemoryPerByte));
        break;
      case 'checksum':
        this.cycle += Math.ceil(n * c.checksumPerByte) + (this.cache.load(readPa) ? 0 : c.lineFill);
        break;
      case 'write':
      case 'zero':
        this.cycle += Math.ceil(n / 4) * (this.cache.store(dpa) ? c.cacheHit : c.storeMiss);
        break;
    }
    if (this.observers.size > 0) {
      if (src) this.observe(src.physical ? -1 : src.addr, spa, n, false);
      this.observe(dst.physical ? -1 : dst.addr, dpa, n, writes);
    }
    const dOk = mem.contains(dpa, n);
    const sOk = spa < 0 || mem.contains(spa, n);
    if (!dOk || !sOk) {
      this.busError(dOk ? spa : dpa, n);
      if (kind === 'read' && buf) buf.fill(0xff, bufOff, bufOff + n);
      return n;
    }
    const bytes = mem.bytes;
    if (writes) mem.noteWrite(dpa, n);
    // Reads and writes move at most a line (32 bytes) in a loop: a subarray for a typed-array
    // copy would make a new view object per line, which costs more than the loop.
    switch (kind) {
      case 'read':
        for (let i = 0; i < n; i++) buf![bufOff + i] = bytes[dpa + i]!;
        break;
      case 'write':
        for (let i = 0; i < n; i++) bytes[dpa + i] = buf![bufOff + i]!;
        break;
      case 'copy':
        bytes.copyWithin(dpa, spa, spa + n);
        break;
      case 'zero':
        bytes.fill(0, dpa, dpa + n);
        break;
      case 'checksum':
        acc!.sum += partialChecksum(bytes, dpa, n, bufOff);
        break;
    }
    return n;
  }

  // ---- port I/O ----

  in(port: number, width: PortWidth): number {
    this.sync();
    this.cycle += this.costs.portIo;
    return this.ports.read(port, width);
  }

  out(port: number, value: number, width: PortWidth): void {
    this.sync();
    this.cycle += this.costs.portIo;
    this.ports.write(port, value, width);
  }

  // ---- threads ----

  spawn(name: string, mode: Mode, cr3: number, body: GuestCode<unknown>): Thread {
    const t = new Thread(this.threads.length, name, mode, cr3, body);
    this.threads.push(t);
    return t;
  }

  /** Make a blocked thread runnable; `value` is what its `yield BLOCK` evaluates to. */
  wake(t: Thread, value?: unknown): void {
    if (t.state !== 'blocked') return;
    t.state = 'ready';
    t.resumeValue = value;
  }

  /** Ask for a switch at the current thread's next preemption point (the request lasts until the next scheduling decision). */
  preempt(): void {
    this.preemptRequested = true;
  }

  /** Enter the kernel (a system call): charged like INT and IRET, run in supervisor mode. */
  kernelEntry<T>(fn: () => T): T {
    this.cycle += this.costs.interruptEntry;
    try {
      return this.inSupervisor(fn);
    } finally {
      this.cycle += this.costs.interruptReturn;
      if (this.mode !== 'supervisor') this.afterKernelExit?.();
    }
  }

  private defaultPick(): Thread | undefined {
    const cur = this.current;
    if (cur && cur.runnable && !this.preemptRequested) return cur;
    this.preemptRequested = false;
    const n = this.threads.length;
    const start = cur ? cur.id + 1 : 0;
    for (let i = 0; i < n; i++) {
      const t = this.threads[(start + i) % n]!;
      if (t.runnable) return t;
    }
    return undefined;
  }

  private takeInterrupt(): void {
    const vector = this.pic.acknowledge();
    this.trace.record(this.cycle, this.kinds.irq, vector);
    this.kernelEntry(() => this.onInterrupt?.(vector));
  }

  private switchTo(t: Thread): void {
    this.current = t;
    this.trace.record(this.cycle, this.kinds.switch, t.id);
    if (t.cr3 !== this.mmu.cr3 && (this.mmu.cr0 & CR0_PG) !== 0) this.writeCr3(t.cr3);
  }

  /** Resume `t` until its next preemption point. */
  private resume(t: Thread): void {
    if (this.current !== t) this.switchTo(t);
    this.mode = t.mode;
    const start = this.cycle;
    const value = t.resumeValue;
    t.resumeValue = undefined;
    this.resumes++;
    this.pausing = false;
    try {
      const r = t.body.next(value);
      if (r.done) t.state = 'done';
      else if (r.value === BLOCK) t.state = 'blocked';
      else if (this.pausing) this.pausing = false;
      else this.cycle += this.costs.preemptionPoint;
    } catch (e) {
      t.state = 'faulted';
      t.error = e;
    }
    t.cycles += this.cycle - start;
    if (!t.runnable && t.state !== 'blocked') {
      this.trace.record(this.cycle, this.kinds.exit, t.id, t.state === 'faulted' ? 1 : 0);
      this.onThreadExit?.(t);
    }
  }

  /**
   * Run until the CPU's time reaches `untilCycle` (checked at preemption points) or nothing
   * is left to do: no runnable thread and no pending event. Returns why it stopped.
   */
  run(untilCycle = Infinity): 'until' | 'idle' {
    this.runLimit = untilCycle;
    this.running = true;
    try {
      return this.runLoop();
    } finally {
      this.runLimit = Infinity;
      this.running = false;
    }
  }

  /**
   * Make the current run() return at the next place it could stop (its limit brought down to
   * now: a preemption point, the run loop's turn, a cycle of compute or sleep), as if it had
   * been called with that limit: the host's stop, so the run stays the same run (an observer
   * that has seen what it waited for: explore/replay-run.ts). Outside run() it does nothing.
   */
  stopSoon(): void {
    if (this.running) this.runLimit = Math.min(this.runLimit, this.cycle);
  }

  private runLoop(): 'until' | 'idle' {
    while (this.cycle < this.runLimit) {
      this.stops?.point(this.cycle);
      this.sync();
      if (this.interruptsEnabled && this.pic.interruptPending) {
        this.takeInterrupt();
        continue;
      }
      const t = this.scheduler ? this.scheduler() : this.defaultPick();
      this.preemptRequested = false; // the scheduler has decided
      if (t) {
        this.resume(t);
        continue;
      }
      // Halt: nothing runnable; sleep until the next device event.
      const next = this.clock.nextAt;
      if (next === Infinity) return 'idle';
      const wake = Math.min(next, this.runLimit);
      this.stops?.span(this.cycle + 1, wake);
      this.idleCycles += Math.max(0, wake - this.cycle);
      this.cycle = Math.max(this.cycle, wake);
    }
    this.sync();
    return 'until';
  }
}

/** A bulk operand error: the caller passed an address or length no CPU could use. */
export class OperandError extends RangeError {
  override name = 'OperandError';
}

function checkOperands(addr: number, len: number, physical: boolean): void {
  if (!Number.isSafeInteger(len) || len < 0 || len > 2 ** 32) throw new OperandError(`bad length ${String(len)}: need an integer from 0 to 2^32`);
  if (!Number.isSafeInteger(addr)) throw new OperandError(`bad address ${String(addr)}: need an integer`);
  if (physical && (addr < 0 || addr + len > 2 ** 32)) throw new OperandError(`bad physical range 0x${addr.toString(16)}+${len}`);
}

// %TypedArray%.prototype[@@toStringTag] reads the internal slot, so no user code can fake it.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;

/**
 * A private copy of caller-supplied bytes. Only a real Uint8Array is accepted, and it is
 * copied through its internal slots: no method or getter of the caller's runs.
 */
function ownCopy(data: Uint8Array): Uint8Array {
  if (typedArrayTag.call(data) !== 'Uint8Array') throw new OperandError('write data must be a Uint8Array');
  return new Uint8Array(data);
}

function linear(addr: number): Span {
  return { addr: addr >>> 0, physical: false };
}

function span(addr: number, physical: boolean): Span {
  return physical ? { addr, physical } : linear(addr);
}

function partialChecksum(bytes: Uint8Array, pa: number, n: number, streamOffset: number): number {
  // Bytes at even offsets of the checksummed stream are the high half of a 16-bit word.
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (streamOffset + i) % 2 === 0 ? bytes[pa + i]! << 8 : bytes[pa + i]!;
  return sum;
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}
