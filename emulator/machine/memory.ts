// Physical memory: a flat array of RAM from address 0. Accesses outside it are bus errors
// reported to the caller (the CPU reads all ones, a DMA master aborts), never exceptions
// that end the run.

export const FRAME_SIZE = 4096;
export const FRAME_SHIFT = 12;

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  /** @param bytes existing RAM to wrap (another platform's, such as v86's), else fresh zeroed RAM. */
  constructor(readonly size: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % FRAME_SIZE !== 0) {
      throw new RangeError(`memory size must be a positive multiple of ${FRAME_SIZE} bytes, got ${size}`);
    }
    if (bytes && bytes.length < size) throw new RangeError(`wrapped RAM has ${bytes.length} bytes, fewer than ${size}`);
    this.bytes = bytes ? bytes.subarray(0, size) : new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
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
    return this.bytes[a]!;
  }
  read16(a: number): number {
    return this.view.getUint16(a, true);
  }
  read32(a: number): number {
    return this.view.getUint32(a, true);
  }
  write8(a: number, v: number): void {
    this.bytes[a] = v;
  }
  write16(a: number, v: number): void {
    this.view.setUint16(a, v, true);
  }
  write32(a: number, v: number): void {
    this.view.setUint32(a, v >>> 0, true);
  }

  /** Zero one 4 KiB frame. */
  zeroFrame(frame: number): void {
    this.bytes.fill(0, frame * FRAME_SIZE, (frame + 1) * FRAME_SIZE);
  }
}
