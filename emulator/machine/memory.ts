// Physical memory: a flat array of RAM from address 0. Accesses outside it are bus errors
// reported to the caller (the CPU reads all ones, a DMA master aborts), never exceptions
// that end the run.

export const FRAME_SIZE = 4096;

export class PhysicalMemory {
  private ram: Uint8Array;
  private view: DataView;

  /** @param bytes existing RAM to wrap (another platform's, such as v86's), else fresh zeroed RAM. */
  constructor(readonly size: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % FRAME_SIZE !== 0) {
      throw new RangeError(`memory size must be a positive multiple of ${FRAME_SIZE} bytes, got ${size}`);
    }
    this.ram = new Uint8Array(0);
    this.view = new DataView(this.ram.buffer);
    this.rebind(bytes ?? new Uint8Array(size));
  }

  /** The RAM bytes (address = index). */
  get bytes(): Uint8Array {
    return this.ram;
  }

  /**
   * Wrap `bytes` instead: the same RAM at a new place, for a platform whose RAM can move
   * (v86 grows its wasm memory, which detaches every view of the old buffer).
   */
  rebind(bytes: Uint8Array): void {
    if (bytes.length < this.size) throw new RangeError(`wrapped RAM has ${bytes.length} bytes, fewer than ${this.size}`);
    this.ram = bytes.subarray(0, this.size);
    this.view = new DataView(this.ram.buffer, this.ram.byteOffset, this.size);
  }

  get frames(): number {
    return this.size / FRAME_SIZE;
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
    this.view.setUint8(a, v);
  }
  write16(a: number, v: number): void {
    this.view.setUint16(a, v, true);
  }
  write32(a: number, v: number): void {
    this.view.setUint32(a, v >>> 0, true);
  }

  /** Zero one 4 KiB frame. */
  zeroFrame(frame: number): void {
    this.ram.fill(0, frame * FRAME_SIZE, (frame + 1) * FRAME_SIZE);
  }
}
