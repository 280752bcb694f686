// Our devices' ports on v86's I/O bus. A device claims a range as on the machine's PortBus
// (emulator/machine/ports.ts), and sees each access with its width: v86 calls the 8-, 16-
// or 32-bit handler registered at the accessed port (src/io.js), so the NE2000 data port
// gets one 16-bit access, never two byte accesses. Before every access the platform's
// clock catches up with v86's instruction count, so device events due before the IN or
// OUT have fired, as on the built-in machine.

import type { PortDevice, PortWidth } from '../../machine/ports.js';
import type { V86Io } from './internals.js';

const PORT_COUNT = 0x10000;

export class V86Ports {
  private readonly owners = new Map<number, PortDevice>();

  constructor(
    private readonly io: V86Io,
    private readonly catchUp: () => void,
  ) {}

  /** Claim ports [base, base+count) for `device`; overlapping claims are configuration errors. */
  claim(base: number, count: number, device: PortDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count <= 0 || base + count > PORT_COUNT) {
      throw new RangeError(`${device.name}: bad port range 0x${base.toString(16)}+${count}`);
    }
    for (let p = base; p < base + count; p++) {
      const other = this.owners.get(p);
      if (other) throw new Error(`${device.name}: port 0x${p.toString(16)} already claimed by ${other.name}`);
    }
    for (let p = base; p < base + count; p++) {
      this.owners.set(p, device);
      const read = (width: PortWidth) => () => {
        this.catchUp();
        return device.portRead(p, width);
      };
      const write = (width: PortWidth) => (value: number) => {
        this.catchUp();
        device.portWrite(p, width === 4 ? value >>> 0 : value & ((1 << (width * 8)) - 1), width);
      };
      this.io.register_read(p, device, read(1), read(2), read(4));
      this.io.register_write(p, device, write(1), write(2), write(4));
    }
  }

  owner(port: number): PortDevice | undefined {
    return this.owners.get(port);
  }
}
