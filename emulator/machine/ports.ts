// The x86 I/O port bus: 65,536 byte-addressed ports, accessed 8, 16 or 32 bits wide.
// A device claims a range and sees every access in it with its width (the NE2000 data
// port must see one 16-bit access, not two byte accesses). An unclaimed port reads all
// ones, as on a PC where nothing drives the data lines.

export type PortWidth = 1 | 2 | 4;

export interface PortDevice {
  readonly name: string;
  /** Read `width` bytes at `port` (which lies in the claimed range). */
  portRead(port: number, width: PortWidth): number;
  /** Write `value` (`width` bytes) at `port`. */
  portWrite(port: number, value: number, width: PortWidth): void;
}

const PORT_COUNT = 0x10000;
const ALL_ONES: Record<PortWidth, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

/** Ports per page of the owner table: a page is made when a device first claims a port in it. */
const PAGE = 0x100;

export class PortBus {
  /** Owner of each port, in pages of 256 (a machine claims a few ranges: no 64 K-entry table per machine). */
  private readonly pages: ((PortDevice | undefined)[] | undefined)[] = new Array(PORT_COUNT / PAGE).fill(undefined);

  /** Claim ports [base, base+count) for `device`; overlapping claims are configuration errors. */
  claim(base: number, count: number, device: PortDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count <= 0 || base + count > PORT_COUNT) {
      throw new RangeError(`${device.name}: bad port range 0x${base.toString(16)}+${count}`);
    }
    for (let p = base; p < base + count; p++) {
      const other = this.owner(p);
      if (other) throw new Error(`${device.name}: port 0x${p.toString(16)} already claimed by ${other.name}`);
    }
    for (let p = base; p < base + count; p++) (this.pages[p >>> 8] ??= new Array<PortDevice | undefined>(PAGE).fill(undefined))[p & 0xff] = device;
  }

  release(device: PortDevice): void {
    for (const page of this.pages) if (page) for (let i = 0; i < PAGE; i++) if (page[i] === device) page[i] = undefined;
  }

  owner(port: number): PortDevice | undefined {
    return this.pages[(port & 0xffff) >>> 8]?.[port & 0xff];
  }

  read(port: number, width: PortWidth): number {
    const dev = this.owner(port);
    if (!dev) return ALL_ONES[width];
    return dev.portRead(port & 0xffff, width) & ALL_ONES[width];
  }

  write(port: number, value: number, width: PortWidth): void {
    const dev = this.owner(port);
    if (dev) dev.portWrite(port & 0xffff, value & ALL_ONES[width], width);
  }
}
