// The DP8390 receive buffer ring in the card's 16 KiB buffer memory: pages PSTART..PSTOP-1,
// each packet starting on a page with a 4-byte header (receive status, next page, byte
// count low, high; the count includes the header), the data wrapping from PSTOP to PSTART.
// CURR is where the next packet goes; BNRY is the last page the driver has read (Linux's
// convention, ei_receive: the next packet to read is at BNRY+1). The NIC aborts a reception
// rather than write into the BNRY page: then the ring is full (DP8390 datasheet, "Buffer
// Ring Overflow").

import { PAGE_BYTES, RING_HEADER_BYTES } from './registers.js';

export interface RingRegs {
  pstart: number;
  pstop: number;
  bnry: number;
  curr: number;
}

/** Whether the ring registers describe a usable ring. */
export function ringValid(r: RingRegs): boolean {
  return r.pstart < r.pstop && r.curr >= r.pstart && r.curr < r.pstop;
}

/** The page after `page` in the ring. */
export function nextPage(r: RingRegs, page: number): number {
  const n = page + 1;
  return n >= r.pstop ? r.pstart : n;
}

/**
 * BNRY as the overflow check sees it. Linux writes BNRY = next_frame - 1, which is PSTART-1
 * when the next frame is at PSTART: that is the page before PSTART in ring order, PSTOP-1.
 */
function boundaryPage(r: RingRegs): number {
  return r.bnry >= r.pstart && r.bnry < r.pstop ? r.bnry : r.pstop - 1;
}

/**
 * Store a received packet (`data`, FCS included) with status `rsr` at CURR; returns false
 * (nothing stored, CURR unchanged) when the ring would run into BNRY.
 */
export function ringStore(r: RingRegs, mem: Uint8Array, data: Uint8Array, rsr: number): boolean {
  const total = data.length + RING_HEADER_BYTES;
  const pages = Math.ceil(total / PAGE_BYTES);
  const bnry = boundaryPage(r);
  let page = r.curr;
  for (let i = 0; i < pages; i++) {
    if (page === bnry) return false;
    page = nextPage(r, page);
  }
  const start = r.curr * PAGE_BYTES;
  mem[start] = rsr;
  mem[start + 1] = page;
  mem[start + 2] = total & 0xff;
  mem[start + 3] = total >> 8;
  let addr = start + RING_HEADER_BYTES;
  const stop = r.pstop * PAGE_BYTES;
  // Two whole-range copies around the wrap: per-byte stores into a typed array are slow in a hardened realm.
  const first = Math.min(data.length, stop - addr);
  mem.set(data.subarray(0, first), addr);
  mem.set(data.subarray(first), r.pstart * PAGE_BYTES);
  r.curr = page;
  return true;
}
