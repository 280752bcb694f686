// checkInvariants(): DESIGN.md §6 items 1, 2, 3, 5 (rights), 6 and 7, checked against the
// kernel's records *and* against what the hardware would actually do: the page tables are
// read from physical memory (pagewalk.ts) and the TLB's cached entries (frames and rights)
// are compared with them. Items 4 and 5 by frame identity, which need the composition's word
// on whom to trust and what is a receive buffer, are isolation.ts. Reads are host-side peeks
// and charge no cycles. Returns the violations (empty when all hold).
// The parts are exported for a checker that reruns only those whose inputs changed since
// its last call (emulator/cli/scenario/incremental.ts); their order in checkInvariants is
// the order of the violations it returns.

import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import { PTE_P, PTE_RW, PTE_US, pdeIndex, pteIndex } from '../../emulator/machine/paging.js';
import type { Bank } from './banks.js';
import type { KObject } from './objects.js';
import { entryFrame, walkPresent, type Walk } from './pagewalk.js';
import { isCurrent, mappingVa, pdeAddress, pteAddress, type PageTable, type Space } from './spaces.js';
import type { KernelState } from './state.js';

export interface InvariantOptions {
  /** Scan every free frame for non-zero bytes (item 7); on by default. */
  zeroScan?: boolean;
  /**
   * The check runs inside a kernel operation (a device event fired between two of its
   * charged steps, DESIGN.md §3): only what must hold at every instant is checked, items 1
   * and 2 (DMA lands in pinned frames; a pinned frame is never free or reallocated). The
   * rest holds when the operation returns (§6 item 3: "when a revoking operation returns").
   */
  insideKernel?: boolean;
}

export function checkInvariants(k: KernelState, opts: InvariantOptions = {}): string[] {
  const bad: string[] = [];
  checkDma(k, bad);
  if (opts.insideKernel) {
    checkPinnedFrames(k, bad);
    return bad;
  }
  checkPins(k, bad);
  const spaces = checkAccounting(k, bad);
  for (const s of spaces) checkSpace(k, s, bad);
  checkReverseMap(k, bad);
  checkTlb(k, spaces, bad);
  if (opts.zeroScan !== false) for (let f = 0; f < k.frames.state.length; f++) checkZero(k, f, bad);
  return bad;
}

/** Item 1: what the bus observer saw, and the IOMMU maps only pinned frames. */
export function checkDma(k: KernelState, bad: string[]): void {
  for (const v of k.busViolations) bad.push(`1 dma: ${v}`);
  const iommu = k.hw.machine.iommu;
  if (!iommu.enabled) return;
  let pinned = 0;
  for (let f = 0; f < k.frames.state.length; f++) {
    if (k.frames.pins[f]! > 0) pinned++;
    if (iommu.isMapped(f) !== k.frames.pins[f]! > 0) bad.push(`1 iommu: frame ${f} mapped=${iommu.isMapped(f)} with ${k.frames.pins[f]} pins`);
  }
  if (iommu.mappings !== pinned) bad.push(`1 iommu: ${iommu.mappings} entries for ${pinned} pinned frames`);
}

/** Item 2: a pinned frame is never free or reused; pin counts equal the live tokens. */
export function checkPins(k: KernelState, bad: string[]): void {
  const fr = k.frames;
  let promised = 0;
  // Tokens per frame, and those of them that let the device write (typed arrays: this runs at every check).
  const count = new Int32Array(fr.state.length);
  const writable = new Int32Array(fr.state.length);
  for (const dp of k.devprivs) {
    for (const t of dp.tokens.values()) {
      count[t.frame]!++;
      if (t.writable) writable[t.frame]!++;
      if (t.epoch !== fr.epoch[t.frame]) bad.push(`2 pin: token ${t.id} frame ${t.frame} reallocated since its pin`);
      const now = fr.owner[t.frame];
      if (fr.state[t.frame] === 'allocated' && now !== t.page) bad.push(`2 pin: token ${t.id} frame ${t.frame} pinned for page #${t.page.id} now backs ${now ? `${now.kind} #${now.id}` : 'nothing'}`);
    }
  }
  // The frame table's arrays in locals: this loop visits every frame at every check.
  const { state: states, pins: pinCounts } = fr;
  const { writablePins, reserveBank } = k;
  for (let f = 0; f < states.length; f++) {
    const pins = pinCounts[f]!;
    const state = states[f];
    if (pins !== count[f]) bad.push(`2 pin: frame ${f} count ${pins}, tokens ${count[f]}`);
    if (writablePins[f] !== writable[f]) bad.push(`2 pin: frame ${f} writable count ${writablePins[f]}`);
    if (pins > 0 && state !== 'allocated' && state !== 'quarantined') bad.push(`2 pin: pinned frame ${f} is ${state}`);
    if (state === 'quarantined' && pins === 0) bad.push(`2 pin: quarantined frame ${f} has no pin`);
    if ((pins > 0) !== (reserveBank[f] !== undefined)) bad.push(`2 pin: frame ${f} with ${pins} pins has ${reserveBank[f] ? 'a' : 'no'} reserve charge`);
    if (pins > 0 && state === 'allocated') promised++;
  }
  // Every pinned frame still in use has a free frame promised for its quarantine (pin.ts).
  if (fr.pinReserve !== promised) bad.push(`2 pin: ${fr.pinReserve} frames promised for ${promised} pinned frames`);
  if (fr.freeCount < fr.pinReserve) bad.push(`2 pin: ${fr.freeCount} free frames for ${fr.pinReserve} promised`);
}

/**
 * Item 2 at any instant: every pinned frame is allocated or quarantined, and not reallocated
 * since its pin. It runs after every event inside a kernel operation, so it visits only the
 * pinned frames (state.ts `pinned`, which pin.ts keeps), in frame order.
 */
function checkPinnedFrames(k: KernelState, bad: string[]): void {
  const fr = k.frames;
  for (const f of [...k.pinned].sort((a, b) => a - b)) {
    if (fr.pins[f] === 0) continue;
    if (fr.state[f] !== 'allocated' && fr.state[f] !== 'quarantined') bad.push(`2 pin: pinned frame ${f} is ${fr.state[f]}`);
    if (k.pinEpoch[f] !== fr.epoch[f]) bad.push(`2 pin: pinned frame ${f} reallocated since its pin`);
  }
}

/** Frames an object holds. */
function framesOf(o: KObject): number[] {
  switch (o.kind) {
    case 'page':
      return [o.frame];
    case 'space': {
      // A loop rather than spread, filter and map: this runs for every space at every check.
      const frames = [o.pd];
      for (const t of o.tables.values()) if (!t.region) frames.push(t.frame);
      return frames;
    }
    case 'region':
      return [o.table.frame];
    case 'domain':
    case 'endpoint':
    case 'notification':
      return [o.frame];
    case 'bank':
      return o.frame === undefined ? [] : [o.frame];
    case 'devpriv':
      return [];
  }
}

/**
 * Item 6: usage equals what was allocated, reserved equals the pinned frames below the bank
 * (pin.ts), usage + reserved stays within the limit on every chain, frames have one owner.
 * Returns the live spaces.
 */
export function checkAccounting(k: KernelState, bad: string[]): Space[] {
  const spaces: Space[] = [];
  const held = new Map<number, KObject>();
  const pinsBelow = new Map<Bank, number>();
  for (const dp of k.devprivs) for (const t of dp.tokens.values()) for (let b: Bank | undefined = t.bank; b; b = b.parent) pinsBelow.set(b, (pinsBelow.get(b) ?? 0) + 1);
  const reservedBelow = new Map<Bank, number>();
  for (const rb of k.reserveBank) for (let b = rb; b; b = b.parent) reservedBelow.set(b, (reservedBelow.get(b) ?? 0) + 1);
  const visit = (bank: Bank): number => {
    let usage = 0;
    for (const o of bank.objects) {
      if (!o.live) bad.push(`6 accounting: dead object ${o.kind}#${o.id} still in bank #${bank.id}`);
      if (o.bank !== bank) bad.push(`6 accounting: ${o.kind}#${o.id} listed in bank #${bank.id} but allocated by another`);
      if (o.kind === 'space') spaces.push(o);
      const frames = framesOf(o);
      for (const f of frames) {
        const prev = held.get(f);
        if (prev) bad.push(`6 accounting: frame ${f} held by ${prev.kind}#${prev.id} and ${o.kind}#${o.id}`);
        held.set(f, o);
        const want = o.kind === 'page' ? 'allocated' : 'kernel';
        if (k.frames.state[f] !== want) bad.push(`6 accounting: frame ${f} of ${o.kind}#${o.id} is ${k.frames.state[f]}`);
      }
      usage += frames.length;
      if (o.kind === 'bank') usage += visit(o);
    }
    if (usage !== bank.usage) bad.push(`6 accounting: bank #${bank.id} usage ${bank.usage}, allocated ${usage}`);
    if (bank.reserved !== (reservedBelow.get(bank) ?? 0)) bad.push(`6 accounting: bank #${bank.id} reserved ${bank.reserved}, pinned frames below it ${reservedBelow.get(bank) ?? 0}`);
    if (bank.usage + bank.reserved > bank.limit) bad.push(`6 accounting: bank #${bank.id} usage ${bank.usage} + reserved ${bank.reserved} over limit ${bank.limit}`);
    if (bank.pins !== (pinsBelow.get(bank) ?? 0)) bad.push(`6 accounting: bank #${bank.id} pins ${bank.pins}, tokens ${pinsBelow.get(bank) ?? 0}`);
    if (bank.pins > bank.pinLimit) bad.push(`6 accounting: bank #${bank.id} pins ${bank.pins} over limit ${bank.pinLimit}`);
    return usage;
  };
  visit(k.primeBank);
  let inUse = 0;
  const { state, owner } = k.frames;
  for (let f = 0; f < state.length; f++) if (state[f] === 'allocated' || (state[f] === 'kernel' && owner[f])) inUse++;
  if (inUse !== held.size) bad.push(`6 accounting: ${inUse} frames in use, ${held.size} held by live objects`);
  return spaces;
}

/**
 * Items 3 and 5 in memory: every recorded table and mapping is present; every present PDE of
 * a live space is a table the kernel made, and every present PTE in it is recorded, maps a
 * live page's frame, with the recorded rights. `walk` reads the space's tables (by default
 * from memory now; a RecordedWalk while none of its frames was written).
 */
export function checkSpace(k: KernelState, s: Space, bad: string[], walk: Walk = (pde, pte) => walkPresent(k.hw, s.pd, pde, pte)): void {
  const hw = k.hw;
  for (const t of s.tables.values()) {
    if ((hw.peek32(pdeAddress(s, t.pdIndex)) & PTE_P) === 0) bad.push(`3 revocation: space #${s.id} table ${t.pdIndex} not in its directory`);
    else for (const m of t.mappings.values()) if ((hw.peek32(pteAddress(t, m.index)) & PTE_P) === 0) bad.push(`3 revocation: space #${s.id} va 0x${mappingVa(m).toString(16)} recorded but not present`);
  }
  let t: PageTable | undefined;
  walk((i, pde) => {
    t = s.tables.get(i);
    if (!t || entryFrame(pde) !== t.frame) {
      bad.push(`3 revocation: space #${s.id} PDE ${i} = 0x${(pde >>> 0).toString(16)} is not a table the kernel made`);
      return false;
    }
    if (t.region && !t.region.live) bad.push(`3 revocation: space #${s.id} PDE ${i} is a dead region's table`);
    return true;
  }, (va, pte) => {
    const m = t!.mappings.get(pteIndex(va));
    const f = entryFrame(pte);
    const owner = k.frames.owner[f];
    if (!m || m.frame !== f || !k.frames.rmap[f]!.has(m)) bad.push(`3 revocation: space #${s.id} va 0x${va.toString(16)} maps frame ${f} without a record`);
    if (k.frames.state[f] !== 'allocated' || owner?.kind !== 'page' || !owner.live || owner.frame !== f) {
      bad.push(`3 revocation: space #${s.id} va 0x${va.toString(16)} maps frame ${f} (${k.frames.state[f]}) that no live page holds`);
    }
    if (m && ((pte & PTE_RW) !== 0) !== m.writable) bad.push(`5 rights: space #${s.id} va 0x${va.toString(16)} R/W bit differs from the granted rights`);
  });
}

/** Item 3 in the reverse map: no frame is still reverse-mapped into a dead space. */
export function checkReverseMap(k: KernelState, bad: string[]): void {
  const rmaps = k.frames.rmap;
  for (let f = 0; f < rmaps.length; f++) {
    const rmap = rmaps[f]!;
    if (rmap.size === 0) continue; // most frames: no iterator made for them
    for (const m of rmap) if (!m.table.space.live) bad.push(`3 revocation: frame ${f} reverse-mapped in dead space #${m.table.space.id}`);
  }
}

/**
 * Items 3 and 5 in the TLB: every cached translation agrees with a present PTE of the loaded
 * space (same frame), and grants no more than the page tables do now: a writable entry needs
 * R/W in both the PDE and the PTE, a user entry needs U/S in both (the TLB caches their AND).
 */
export function checkTlb(k: KernelState, spaces: Space[], bad: string[]): void {
  const cur = spaces.find((s) => isCurrent(k.hw, s));
  for (const e of k.hw.machine.mmu.tlb.cachedFrames()) {
    const t = cur?.tables.get(pdeIndex(e.va));
    const m = t?.mappings.get(pteIndex(e.va));
    if (e.large || !t || !m || m.frame * FRAME_SIZE !== e.base) {
      bad.push(`3 revocation: TLB entry va 0x${e.va.toString(16)} -> 0x${e.base.toString(16)} has no matching PTE in the loaded space`);
      continue;
    }
    const pde = k.hw.peek32(cur!.pd * FRAME_SIZE + pdeIndex(e.va) * 4);
    const pte = k.hw.peek32(t.frame * FRAME_SIZE + pteIndex(e.va) * 4);
    const rights = pde & pte;
    if (e.writable && (rights & PTE_RW) === 0) bad.push(`5 rights: TLB entry va 0x${e.va.toString(16)} is writable over a read-only PTE`);
    if (e.user && (rights & PTE_US) === 0) bad.push(`5 rights: TLB entry va 0x${e.va.toString(16)} is user-accessible over a supervisor PTE`);
  }
}

/** Item 7 for frame `f`: a free frame is zero, so nobody's old bytes reach a new owner. */
export function checkZero(k: KernelState, f: number, bad: string[]): void {
  // A free frame is zero unless it is marked dirty (then allocate() zeroes it before anyone gets it).
  if (k.frames.state[f] === 'free' && k.frames.dirty[f] === 0 && !k.hw.frameIsZero(f)) bad.push(`7 zero: free frame ${f} is not zero and not marked dirty`);
}
