// Physical memory: a flat array of RAM from address 0. Accesses outside it are bus errors
// reported to the caller (the CPU reads all ones, a DMA master aborts), never exceptions
// that end the run.
//
// Every writer of RAM on this platform (the CPU's stores and bulk operations, the MMU setting
// A and D bits, DMA beats, host code using the writers below) notes the frames it writes.
// That costs one byte compare per write and gives two things:
//   - which frames are still as the machine created them, all zero: the kernel's boot need
//     not scan them (knownZero);
//   - write journals: the frames written since a reader last asked, so an invariant check
//     rereads only those (emulator/cli/scenario/incremental.ts).
// RAM wrapped from another platform (v86's) is written by code that notes nothing: nothing
// of it is known zero and it offers no journal (tracksWrites is false).

export const FRAME_SIZE = 4096;

/** The frames written since the last `take()` (each once), for one reader. */
export class WriteJournal {
  private written: number[] = [];
  /** Per frame: 1 while the frame is in `written`. */
  readonly listed: Uint8Array;

  constructor(frames: number, private readonly memory: PhysicalMemory) {
    this.listed = new Uint8Array(frames);
  }

  /** @internal the memory's slow path: frame `f` was written. */
  note(f: number): void {
    if (this.listed[f] === 1) return;
    this.listed[f] = 1;
    this.written.push(f);
  }

  /** The frames written since the last call, in the order they were first written. */
  take(): number[] {
    const out = this.written;
    if (out.length === 0) return out;
    this.written = [];
    for (const f of out) this.listed[f] = 0;
    this.memory.unmark(out);
    return out;
  }
}

export class PhysicalMemory {
  private ram: Uint8Array;
  private view: DataView;
  /**
   * Per frame: 1 once written and noted in every journal (the write fast path is this one
   * compare); 0 sends the next write through `firstWrite`.
   */
  private readonly marks: Uint8Array;
  /** Per frame: 1 once anything wrote it since the machine created it. */
  private readonly touched: Uint8Array;
  private readonly journals: WriteJournal[] = [];
  private own: boolean;

  /**
   * @param bytes existing RAM to wrap (another platform's, such as v86's), else fresh zeroed RAM.
   * @param pool where fresh RAM may come from: a buffer a finished machine gave back, zeroed.
   */
  constructor(readonly size: number, bytes?: Uint8Array, pool?: RamPool) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % FRAME_SIZE !== 0) {
      throw new RangeError(`memory size must be a positive multiple of ${FRAME_SIZE} bytes, got ${size}`);
    }
    this.ram = new Uint8Array(0);
    this.view = new DataView(this.ram.buffer);
    this.marks = new Uint8Array(size / FRAME_SIZE);
    this.touched = new Uint8Array(size / FRAME_SIZE);
    this.own = bytes === undefined;
    this.bind(bytes ?? pool?.take(size) ?? new Uint8Array(size));
  }

  /**
   * @internal RamPool.give: zero what was written, hand the buffer over and keep no RAM (any
   * later access throws). Only the machine's own RAM can be given back.
   */
  surrender(): Uint8Array {
    if (!this.own) throw new Error('only RAM the machine made can be given back, not wrapped RAM');
    const ram = this.ram;
    for (let f = 0; f < this.touched.length; f++) if (this.touched[f] === 1) ram.fill(0, f * FRAME_SIZE, (f + 1) * FRAME_SIZE);
    this.ram = new Uint8Array(0);
    this.view = new DataView(this.ram.buffer);
    this.own = false;
    return ram;
  }

  /** The RAM bytes (address = index), to read. Host code writes through set, fill or the writers below (they note the write). */
  get bytes(): Uint8Array {
    return this.ram;
  }

  /**
   * Wrap `bytes` instead: the same RAM at a new place, for a platform whose RAM can move
   * (v86 grows its wasm memory, which detaches every view of the old buffer). Its writers
   * are not this platform's: from now on nothing is known zero and writes are not tracked.
   */
  rebind(bytes: Uint8Array): void {
    this.own = false;
    this.bind(bytes);
  }

  private bind(bytes: Uint8Array): void {
    if (bytes.length < this.size) throw new RangeError(`wrapped RAM has ${bytes.length} bytes, fewer than ${this.size}`);
    this.ram = bytes.subarray(0, this.size);
    this.view = new DataView(this.ram.buffer, this.ram.byteOffset, this.size);
  }

  get frames(): number {
    return this.size / FRAME_SIZE;
  }

  /** Whether every write to this RAM is noted (it is the machine's own, not wrapped). */
  get tracksWrites(): boolean {
    return this.own;
  }

  /** Whether frame `f` is certainly zero without looking: the machine's own RAM, never written. */
  knownZero(f: number): boolean {
    return this.own && this.touched[f] === 0;
  }

  /** A journal of the frames written from now on; refused for RAM whose writes are not tracked. */
  openJournal(): WriteJournal {
    if (!this.own) throw new Error('write journal on wrapped RAM: its writers note nothing');
    const j = new WriteJournal(this.frames, this);
    this.journals.push(j);
    this.marks.fill(0); // every frame's next write reaches the new journal too
    return j;
  }

  /** @internal a journal gave back `frames`: their next writes must reach it again. */
  unmark(frames: readonly number[]): void {
    for (const f of frames) this.marks[f] = 0;
  }

  /** Note a write of `len` bytes at `addr` (already checked with `contains`). */
  noteWrite(addr: number, len: number): void {
    const last = (addr + len - 1) >>> 12;
    for (let f = addr >>> 12; f <= last; f++) if (this.marks[f] === 0) this.firstWrite(f);
  }

  private firstWrite(f: number): void {
    this.marks[f] = 1;
    this.touched[f] = 1;
    for (const j of this.journals) j.note(f);
  }

  /** Whether [addr, addr+len) lies wholly in RAM. */
  contains(addr: number, len = 1): boolean {
    return addr >= 0 && len >= 0 && addr + len <= this.size;
  }

  // The unchecked accessors below are for callers that already checked `contains`.
  read8(a: number): number {
    return this.ram[a]!;
  }
  read16(a: number): number {
    return this.view.getUint16(a, true);
  }
  read32(a: number): number {
    return this.view.getUint32(a, true);
  }
  write8(a: number, v: number): void {
    if (this.marks[a >>> 12] === 0) this.firstWrite(a >>> 12);
    this.view.setUint8(a, v);
  }
  write16(a: number, v: number): void {
    this.noteWrite(a, 2);
    this.view.setUint16(a, v, true);
  }
  write32(a: number, v: number): void {
    this.noteWrite(a, 4);
    this.view.setUint32(a, v >>> 0, true);
  }

  /** Host code: copy `data` into RAM at `addr` (must lie in RAM). */
  set(data: ArrayLike<number>, addr: number): void {
    if (data.length > 0) this.noteWrite(addr, data.length);
    this.ram.set(data, addr);
  }

  /** Host code: fill [start, end) of RAM with `value`. */
  fill(value: number, start: number, end: number): void {
    if (end > start) this.noteWrite(start, end - start);
    this.ram.fill(value, start, end);
  }

  /** Zero one 4 KiB frame. */
  zeroFrame(frame: number): void {
    this.noteWrite(frame * FRAME_SIZE, FRAME_SIZE);
    this.ram.fill(0, frame * FRAME_SIZE, (frame + 1) * FRAME_SIZE);
  }
}

/**
 * RAM buffers of machines that are done, for new machines of the same size: a cycle sweep
 * builds one machine per offset, and zeroing only the frames the last run wrote is cheaper
 * than allocating (and collecting) all of RAM each time. A buffer given back is zero again,
 * so the new machine's RAM is as fresh (known zero, memory.ts) as a new buffer.
 */
export class RamPool {
  private readonly spare = new Map<number, Uint8Array[]>();

  /** A zeroed buffer of `size` bytes, if one was given back. */
  take(size: number): Uint8Array | undefined {
    return this.spare.get(size)?.pop();
  }

  /** Give back the RAM of a machine that will not run again; the memory keeps none (any later access throws). */
  give(memory: PhysicalMemory): void {
    const ram = memory.surrender();
    const list = this.spare.get(ram.length);
    if (list) list.push(ram);
    else this.spare.set(ram.length, [ram]);
  }
}
