// The register sequences of Linux's NE2000 driver (drivers/net/ethernet/8390/ne.c and
// lib8390.c), restated as plain port I/O so the conformance suite can drive the card the
// way that driver does: probe, reset, PROM read, NS8390_init, block output and
// trigger_send, ei_receive with get_8390_hdr / block_input, ei_rx_overrun, the multicast
// list and the interrupt loop. (Facts from the driver; not its code.)

import { multicastHashIndex } from '../../devices/ne2k/filter.js';
import type { PortIo } from './rig.js';

// 8390.h
export const E8390_STOP = 0x01;
export const E8390_START = 0x02;
export const E8390_TRANS = 0x04;
export const E8390_RREAD = 0x08;
export const E8390_RWRITE = 0x10;
export const E8390_NODMA = 0x20;
export const E8390_PAGE0 = 0x00;
export const E8390_PAGE1 = 0x40;
export const E8390_RXCONFIG = 0x04;
export const E8390_TXCONFIG = 0x00;
export const E8390_RXOFF = 0x20;
export const E8390_TXOFF = 0x02;
export const ENISR_RX = 0x01;
export const ENISR_TX = 0x02;
export const ENISR_RX_ERR = 0x04;
export const ENISR_TX_ERR = 0x08;
export const ENISR_OVER = 0x10;
export const ENISR_COUNTERS = 0x20;
export const ENISR_RDC = 0x40;
export const ENISR_RESET = 0x80;
export const ENISR_ALL = 0x3f;
export const EN0_STARTPG = 0x01;
export const EN0_STOPPG = 0x02;
export const EN0_BOUNDARY = 0x03;
export const EN0_TSR = 0x04;
export const EN0_TPSR = 0x04;
export const EN0_TCNTLO = 0x05;
export const EN0_TCNTHI = 0x06;
export const EN0_ISR = 0x07;
export const EN0_RSARLO = 0x08;
export const EN0_RSARHI = 0x09;
export const EN0_RCNTLO = 0x0a;
export const EN0_RCNTHI = 0x0b;
export const EN0_RXCR = 0x0c;
export const EN0_TXCR = 0x0d;
export const EN0_COUNTER0 = 0x0d;
export const EN0_DCFG = 0x0e;
export const EN0_COUNTER1 = 0x0e;
export const EN0_IMR = 0x0f;
export const EN0_COUNTER2 = 0x0f;
export const EN1_PHYS = 0x01;
export const EN1_CURPAG = 0x07;
export const EN1_MULT = 0x08;
// ne.c
export const NE_DATAPORT = 0x10;
export const NE_RESET = 0x1f;
export const NESM_START_PG = 0x40;
export const NESM_STOP_PG = 0x80;
export const DCR_VAL = 0x49;
export const TX_PAGES = 12;
const ETH_ZLEN = 60;

export interface ReceivedPacket {
  status: number;
  page: number;
  data: Uint8Array;
}

export class LinuxNe {
  wordLength = 2;
  prom: number[] = [];
  mac = new Uint8Array(6);
  txStartPage = NESM_START_PG;
  stopPage = NESM_STOP_PG;
  rxStartPage = NESM_START_PG + TX_PAGES;
  currentPage = 0;
  word16 = true;
  mcFilter = new Uint8Array(8);
  rxCounters = { frame: 0, crc: 0, missed: 0 };
  overruns = 0;

  constructor(
    readonly io: PortIo,
    readonly base = 0x300,
  ) {}

  private outb(v: number, reg: number): void {
    this.io.outb(this.base + reg, v);
  }
  private inb(reg: number): number {
    return this.io.inb(this.base + reg);
  }

  /** ne_probe1 up to (not including) the IRQ probe. Returns why it failed, or undefined. */
  probe(): string | undefined {
    const reg0 = this.inb(0);
    if (reg0 === 0xff) return 'reg0 reads 0xff';
    this.outb(E8390_NODMA + E8390_PAGE1 + E8390_STOP, 0);
    const regd = this.inb(0x0d);
    this.outb(0xff, 0x0d);
    this.outb(E8390_NODMA + E8390_PAGE0, 0);
    this.inb(EN0_COUNTER0);
    if (this.inb(EN0_COUNTER0) !== 0) {
      this.outb(reg0, 0);
      this.outb(regd, 0x0d);
      return 'CNTR0 did not clear on read';
    }
    if (!this.resetAck()) return 'no reset ack';
    this.outb(0xff, EN0_ISR);
    const seq: [number, number][] = [
      [E8390_NODMA + E8390_PAGE0 + E8390_STOP, 0],
      [0x48, EN0_DCFG],
      [0, EN0_RCNTLO],
      [0, EN0_RCNTHI],
      [0, EN0_IMR],
      [0xff, EN0_ISR],
      [E8390_RXOFF, EN0_RXCR],
      [E8390_TXOFF, EN0_TXCR],
      [32, EN0_RCNTLO],
      [0, EN0_RCNTHI],
      [0, EN0_RSARLO],
      [0, EN0_RSARHI],
      [E8390_RREAD + E8390_START, 0],
    ];
    for (const [v, r] of seq) this.outb(v, r);
    const sa: number[] = [];
    this.wordLength = 2;
    for (let i = 0; i < 32; i += 2) {
      sa[i] = this.inb(NE_DATAPORT);
      sa[i + 1] = this.inb(NE_DATAPORT);
      if (sa[i] !== sa[i + 1]) this.wordLength = 1;
    }
    if (this.wordLength === 2) {
      for (let i = 0; i < 16; i++) sa[i] = sa[i + i]!;
      this.outb(DCR_VAL, EN0_DCFG);
    }
    this.prom = sa.slice(0, 16);
    if (sa[14] !== 0x57 || sa[15] !== 0x57) return `invalid signature ${sa[14]} ${sa[15]}`;
    this.mac = Uint8Array.from(sa.slice(0, 6));
    this.word16 = this.wordLength === 2;
    return undefined;
  }

  /** ne_reset_8390's handshake: read the reset port, write it back, wait for ISR.RST. */
  resetAck(maxPolls = 100): boolean {
    this.io.outb(this.base + NE_RESET, this.io.inb(this.base + NE_RESET));
    for (let i = 0; i < maxPolls; i++) if (this.inb(EN0_ISR) & ENISR_RESET) return true;
    return false;
  }

  reset(): boolean {
    const ok = this.resetAck();
    this.outb(ENISR_RESET, EN0_ISR);
    return ok;
  }

  /** The autoirq probe: enable RDC|CNT, start a zero-count remote read. Returns ISR after it. */
  irqProbe(): number {
    this.outb(0x50, EN0_IMR);
    this.outb(0, EN0_RCNTLO);
    this.outb(0, EN0_RCNTHI);
    this.outb(E8390_RREAD + E8390_START, 0);
    const isr = this.inb(EN0_ISR);
    this.outb(0, EN0_IMR);
    return isr;
  }

  /** __NS8390_init. */
  init(startp: boolean, flags: { promisc?: boolean; allmulti?: boolean; multicast?: Uint8Array[] } = {}): void {
    const endcfg = this.word16 ? 0x48 | 0x01 : 0x48;
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_STOP, 0);
    this.outb(endcfg, EN0_DCFG);
    this.outb(0, EN0_RCNTLO);
    this.outb(0, EN0_RCNTHI);
    this.outb(E8390_RXOFF, EN0_RXCR);
    this.outb(E8390_TXOFF, EN0_TXCR);
    this.outb(this.txStartPage, EN0_TPSR);
    this.outb(this.rxStartPage, EN0_STARTPG);
    this.outb(this.stopPage - 1, EN0_BOUNDARY);
    this.currentPage = this.rxStartPage;
    this.outb(this.stopPage, EN0_STOPPG);
    this.outb(0xff, EN0_ISR);
    this.outb(0, EN0_IMR);
    this.outb(E8390_NODMA + E8390_PAGE1 + E8390_STOP, 0);
    for (let i = 0; i < 6; i++) this.outb(this.mac[i]!, EN1_PHYS + i);
    this.outb(this.rxStartPage, EN1_CURPAG);
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_STOP, 0);
    if (startp) {
      this.outb(0xff, EN0_ISR);
      this.outb(ENISR_ALL, EN0_IMR);
      this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START, 0);
      this.outb(E8390_TXCONFIG, EN0_TXCR);
      this.outb(E8390_RXCONFIG, EN0_RXCR);
      this.setMulticastList(flags, false);
    }
  }

  /** do_set_multicast_list. */
  setMulticastList(flags: { promisc?: boolean; allmulti?: boolean; multicast?: Uint8Array[] }, running = true): void {
    const list = flags.multicast ?? [];
    this.mcFilter.fill(0);
    if (flags.promisc || flags.allmulti) this.mcFilter.fill(0xff);
    else for (const a of list) {
      const h = multicastHashIndex(a);
      this.mcFilter[h >> 3]! |= 1 << (h & 7);
    }
    if (running) this.outb(E8390_RXCONFIG, EN0_RXCR);
    this.outb(E8390_NODMA + E8390_PAGE1, 0);
    for (let i = 0; i < 8; i++) this.outb(this.mcFilter[i]!, EN1_MULT + i);
    this.outb(E8390_NODMA + E8390_PAGE0, 0);
    if (flags.promisc) this.outb(E8390_RXCONFIG | 0x18, EN0_RXCR);
    else if (flags.allmulti || list.length > 0) this.outb(E8390_RXCONFIG | 0x08, EN0_RXCR);
    else this.outb(E8390_RXCONFIG, EN0_RXCR);
  }

  /** ne_block_output; returns whether RDC came. */
  blockOutput(buf: Uint8Array, startPage: number): boolean {
    let count = buf.length;
    if (this.word16 && count & 1) count++;
    this.outb(E8390_PAGE0 + E8390_START + E8390_NODMA, 0);
    this.outb(ENISR_RDC, EN0_ISR);
    this.outb(count & 0xff, EN0_RCNTLO);
    this.outb(count >> 8, EN0_RCNTHI);
    this.outb(0, EN0_RSARLO);
    this.outb(startPage, EN0_RSARHI);
    this.outb(E8390_RWRITE + E8390_START, 0);
    if (this.word16) for (let i = 0; i < count; i += 2) this.io.outw(this.base + NE_DATAPORT, (buf[i] ?? 0) | ((buf[i + 1] ?? 0) << 8));
    else for (let i = 0; i < count; i++) this.io.outb(this.base + NE_DATAPORT, buf[i]!);
    let rdc = false;
    for (let i = 0; i < 10 && !rdc; i++) rdc = (this.inb(EN0_ISR) & ENISR_RDC) !== 0;
    this.outb(ENISR_RDC, EN0_ISR);
    return rdc;
  }

  /** NS8390_trigger_send; false if the transmitter was busy. */
  triggerSend(length: number, startPage: number): boolean {
    this.outb(E8390_NODMA + E8390_PAGE0, 0);
    if (this.inb(0) & E8390_TRANS) return false;
    this.outb(length & 0xff, EN0_TCNTLO);
    this.outb(length >> 8, EN0_TCNTHI);
    this.outb(startPage, EN0_TPSR);
    this.outb(E8390_NODMA + E8390_TRANS + E8390_START, 0);
    return true;
  }

  /** ei_start_xmit (single transmit buffer): mask, pad, copy, trigger, unmask. */
  startXmit(frame: Uint8Array): boolean {
    const len = Math.max(ETH_ZLEN, frame.length);
    const buf = new Uint8Array(len);
    buf.set(frame);
    this.outb(0, EN0_IMR);
    const rdc = this.blockOutput(buf, this.txStartPage);
    const ok = this.triggerSend(len, this.txStartPage);
    this.outb(ENISR_ALL, EN0_IMR);
    return rdc && ok;
  }

  /** ne_get_8390_hdr. */
  getHeader(page: number): { status: number; next: number; count: number } {
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START, 0);
    this.outb(4, EN0_RCNTLO);
    this.outb(0, EN0_RCNTHI);
    this.outb(0, EN0_RSARLO);
    this.outb(page, EN0_RSARHI);
    this.outb(E8390_RREAD + E8390_START, 0);
    const h: number[] = [];
    if (this.word16) for (let i = 0; i < 2; i++) {
      const w = this.io.inw(this.base + NE_DATAPORT);
      h.push(w & 0xff, w >> 8);
    }
    else for (let i = 0; i < 4; i++) h.push(this.io.inb(this.base + NE_DATAPORT));
    this.outb(ENISR_RDC, EN0_ISR);
    return { status: h[0]!, next: h[1]!, count: h[2]! | (h[3]! << 8) };
  }

  /** ne_block_input. */
  blockInput(count: number, ringOffset: number): Uint8Array {
    const out = new Uint8Array(count);
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START, 0);
    this.outb(count & 0xff, EN0_RCNTLO);
    this.outb(count >> 8, EN0_RCNTHI);
    this.outb(ringOffset & 0xff, EN0_RSARLO);
    this.outb(ringOffset >> 8, EN0_RSARHI);
    this.outb(E8390_RREAD + E8390_START, 0);
    if (this.word16) {
      for (let i = 0; i + 1 < count; i += 2) {
        const w = this.io.inw(this.base + NE_DATAPORT);
        out[i] = w & 0xff;
        out[i + 1] = w >> 8;
      }
      if (count & 1) out[count - 1] = this.io.inb(this.base + NE_DATAPORT);
    } else for (let i = 0; i < count; i++) out[i] = this.io.inb(this.base + NE_DATAPORT);
    this.outb(ENISR_RDC, EN0_ISR);
    return out;
  }

  /** ei_receive: take packets off the ring until CURR. */
  receive(): ReceivedPacket[] {
    const got: ReceivedPacket[] = [];
    for (let n = 1; n < 10; n++) {
      this.outb(E8390_NODMA + E8390_PAGE1, 0);
      const rxing = this.inb(EN1_CURPAG);
      this.outb(E8390_NODMA + E8390_PAGE0, 0);
      let thisFrame = this.inb(EN0_BOUNDARY) + 1;
      if (thisFrame >= this.stopPage) thisFrame = this.rxStartPage;
      if (thisFrame === rxing) break;
      const hdr = this.getHeader(thisFrame);
      const pktLen = hdr.count - 4;
      let next = thisFrame + 1 + ((pktLen + 4) >> 8);
      if (pktLen < 60 || pktLen > 1518) throw new Error(`bogus packet size ${pktLen} status ${hdr.status} next ${hdr.next}`);
      if (hdr.next !== next && hdr.next !== next + 1 && hdr.next !== next - (this.stopPage - this.rxStartPage) && hdr.next !== next + 1 - (this.stopPage - this.rxStartPage)) {
        throw new Error(`bogus packet header: next ${hdr.next} expected about ${next}`);
      }
      if ((hdr.status & 0x0f) === 0x01) got.push({ status: hdr.status, page: thisFrame, data: this.blockInput(pktLen, (thisFrame << 8) + 4) });
      next = hdr.next;
      if (next >= this.stopPage) next = this.rxStartPage;
      this.currentPage = next;
      this.outb(next - 1, EN0_BOUNDARY);
    }
    this.outb(ENISR_RX + ENISR_RX_ERR, EN0_ISR);
    return got;
  }

  /** ei_rx_overrun (without the 10 ms delay, which the emulated card does not need). */
  rxOverrun(): ReceivedPacket[] {
    const wasTxing = this.inb(0) & E8390_TRANS;
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_STOP, 0);
    this.overruns++;
    this.outb(0, EN0_RCNTLO);
    this.outb(0, EN0_RCNTHI);
    let mustResend = false;
    if (wasTxing) mustResend = (this.inb(EN0_ISR) & (ENISR_TX + ENISR_TX_ERR)) === 0;
    this.outb(E8390_TXOFF, EN0_TXCR);
    this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START, 0);
    const got = this.receive();
    this.outb(ENISR_OVER, EN0_ISR);
    this.outb(E8390_TXCONFIG, EN0_TXCR);
    if (mustResend) this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START + E8390_TRANS, 0);
    return got;
  }

  /** __ei_interrupt's loop. */
  interrupt(): { packets: ReceivedPacket[]; txStatus: number[]; serviced: number } {
    const packets: ReceivedPacket[] = [];
    const txStatus: number[] = [];
    this.outb(E8390_NODMA + E8390_PAGE0, 0);
    let serviced = 0;
    let interrupts: number;
    while ((interrupts = this.inb(EN0_ISR)) !== 0 && ++serviced < 12) {
      if (interrupts & ENISR_OVER) packets.push(...this.rxOverrun());
      else if (interrupts & (ENISR_RX + ENISR_RX_ERR)) packets.push(...this.receive());
      if (interrupts & ENISR_TX) {
        txStatus.push(this.inb(EN0_TSR));
        this.outb(ENISR_TX, EN0_ISR);
      } else if (interrupts & ENISR_TX_ERR) {
        txStatus.push(this.inb(EN0_TSR));
        this.outb(ENISR_TX_ERR, EN0_ISR);
      }
      if (interrupts & ENISR_COUNTERS) {
        this.readCounters();
        this.outb(ENISR_COUNTERS, EN0_ISR);
      }
      if (interrupts & ENISR_RDC) this.outb(ENISR_RDC, EN0_ISR);
      this.outb(E8390_NODMA + E8390_PAGE0 + E8390_START, 0);
    }
    return { packets, txStatus, serviced };
  }

  /** __ei_get_stats: the tally counters, cleared by reading. */
  readCounters(): void {
    this.rxCounters.frame += this.inb(EN0_COUNTER0);
    this.rxCounters.crc += this.inb(EN0_COUNTER1);
    this.rxCounters.missed += this.inb(EN0_COUNTER2);
  }
}
