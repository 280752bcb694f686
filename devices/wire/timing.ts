// Exact wire timing: how many CPU cycles `b` byte-times take at a bit rate, as an integer
// rational with no drift. Byte k after a transmitter's origin cycle s is complete at
// s + floor(k * 8 * cpuHz / bitRate); 100 Mbit/s at 133 MHz is 10.64 cycles per byte.
//
// Per frame (IEEE 802.3 §4.2.3, §4.4.2): 7 bytes preamble + 1 byte SFD before the frame,
// then the frame with its FCS, then an inter-frame gap of 96 bit times (12 bytes).

export const PREAMBLE_BYTES = 8;
export const IFG_BYTES = 12;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class WireTiming {
  /** cycles per byte = num / den, reduced. */
  readonly num: number;
  readonly den: number;
  private readonly bigNum: bigint;
  private readonly bigDen: bigint;
  /** Largest byte count for which b * num is exact in a double. */
  private readonly exactUpTo: number;

  constructor(
    readonly cpuHz: number,
    readonly bitRate: number,
  ) {
    if (!Number.isSafeInteger(cpuHz) || cpuHz <= 0) throw new RangeError(`wire: cpuHz must be a positive integer, got ${cpuHz}`);
    if (!Number.isSafeInteger(bitRate) || bitRate <= 0) throw new RangeError(`wire: bit rate must be a positive integer, got ${bitRate}`);
    const g = gcd(8 * cpuHz, bitRate);
    this.num = (8 * cpuHz) / g;
    this.den = bitRate / g;
    this.bigNum = BigInt(this.num);
    this.bigDen = BigInt(this.den);
    this.exactUpTo = Math.floor(Number.MAX_SAFE_INTEGER / this.num);
  }

  /** Cycles that `bytes` byte-times last, rounded down. */
  cycles(bytes: number): number {
    if (bytes <= this.exactUpTo) return Math.floor((bytes * this.num) / this.den);
    return Number((BigInt(bytes) * this.bigNum) / this.bigDen);
  }

  /** Byte-times complete within `cycles` cycles: the largest b with cycles(b) <= cycles. */
  bytesBy(cycles: number): number {
    if (cycles < 0) return -1;
    // floor(b*num/den) <= c  <=>  b*num < (c+1)*den  <=>  b <= ceil((c+1)*den/num) - 1
    return Number(((BigInt(cycles) + 1n) * this.bigDen + this.bigNum - 1n) / this.bigNum) - 1;
  }
}
