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

export class PortBus {
  private readonly owners: (PortDevice | undefined)[] = new Array(PORT_COUNT).fill(undefined);

  /** Claim ports [base, base+count) for `device`; overlapping claims are configuration errors. */
  claim(base: number, count: number, device: PortDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count <= 0 || base + count > PORT_COUNT) {
      throw new RangeError(`${device.name}: bad port range 0x${base.toString(16)}+${count}`);
    }
    for (let p = base; p < base + count; p++) {
      const other = this.owners[p];
      if (other) throw new Error(`${device.name}: port 0x${p.toString(16)} already claimed by ${other.name}`);
    }
    for (let p = base; p < base + count; p++) this.owners[p] = device;
  }

  release(device: PortDevice): void {
    for (let p = 0; p < PORT_COUNT; p++) if (this.owners[p] === device) this.owners[p] = undefined;
  }

  owner(port: number): PortDevice | undefined {
    return this.owners[port & 0xffff];
  }

  read(port: number, width: PortWidth): number {
    const dev = this.owners[port & 0xffff];
    if (!dev) return ALL_ONES[width];
    return dev.portRead(port & 0xffff, width) & ALL_ONES[width];
  }

  write(port: number, value: number, width: PortWidth): void {
    const dev = this.owners[port & 0xffff];
    if (dev) dev.portWrite(port & 0xffff, value & ALL_ONES[width], width);
  }
}
