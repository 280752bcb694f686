// What an explanation (explain.ts) calls the things a run's events touch: a thread by its
// domain's name, a frame by whose it is (the kernel's frame table: owner object -> bank ->
// which client or the driver; free, quarantined, kernel state) and what it is for (the
// driver's records: a session's receive buffer or transmit page, its own ring, header page or
// receive pool; the card's pins on it; where it is mapped), and a card DMA beat by the
// transfer the card was executing (the card's descriptor state and what the driver armed
// the descriptor with, as scenario/transfers.ts reads them).
//
// Everything here only reads the world's records, host-side: it charges no cycle and changes
// nothing, so naming the events of a run leaves the run exactly as it was.

import { describeFaultCode, type CpuAccess } from '../../machine/cpu.js';
import type { DmaBeat } from '../../machine/dma.js';
import { FRAME_SIZE } from '../../machine/memory.js';
import type { TraceEntry } from '../../machine/trace.js';
import type { Thread } from '../../machine/thread.js';
import { DESC_BYTES } from '../../../devices/ne2k/registers.js';
import type { Bank } from '../../../guest/kernel/banks.js';
import { MASTER_VECTOR, SLAVE_VECTOR } from '../../../guest/kernel/interrupts.js';
import type { KObject } from '../../../guest/kernel/objects.js';
import { mappingVa, type Space } from '../../../guest/kernel/spaces.js';
import { BusMasterBackend } from '../../../guest/netdriver/busmaster.js';
import { SLOT_POOL } from '../../../guest/netdriver/config.js';
import { cardPrivilege, driverSlotFrame } from '../scenario/records.js';
import type { Net } from '../scenario/net.js';

export const hex = (n: number) => `0x${n.toString(16)}`;

/** The trace kinds an explanation leaves out: beats come from the DMA observer, the rest is the PIC's and timer's own bookkeeping. */
export const UNNAMED_TRACE: ReadonlySet<string> = new Set(['dma.beat', 'dma.error', 'irq.ack', 'irq.eoi', 'pit.load', 'ne2k.irq']);

/** The PIT's IRQ line on the PC/AT. */
const TIMER_IRQ = 0;
/** Most mappings of one frame a name lists. */
const MAPPINGS_NAMED = 2;

export class WorldNames {
  /** Each space's name while a domain ran in it: a space outlives its domains' names in a run's events. */
  private readonly spaceNames = new Map<Space, string>();

  constructor(private readonly w: Net) {}

  /** A thread by its domain's name (the thread's own name once the domain is gone). */
  thread(t: Thread | undefined): string {
    if (!t) return 'no thread';
    return this.w.kernel.state.byThread.get(t)?.name ?? t.name;
  }

  threadById(id: number): string {
    return this.thread(this.w.machine.cpu.threads[id]);
  }

  /** Whose a bank is: a client, the driver, the kernel (the prime bank), by the nearest of its chain. */
  bank(bank: Bank | undefined): string {
    for (let b = bank; b; b = b.parent) {
      const k = this.w.clients.findIndex((c) => c.bank === b);
      if (k >= 0) return `client ${k + 1}`;
      if (b === this.w.driverBank) return 'the driver';
      if (b === this.w.kernel.primeBank) return 'the kernel';
    }
    return 'no bank';
  }

  /** A space by the first of its domains (its owner; the others share it), or by the name it had once they are gone. */
  space(s: Space): string {
    const d = this.w.kernel.state.domains.find((x) => x.space === s);
    if (d) {
      const name = `${d.name}'s space`;
      this.spaceNames.set(s, name);
      return name;
    }
    const was = this.spaceNames.get(s);
    return was ? `${was} (its domain gone)` : `space #${s.id}`;
  }

  /** The space whose page directory CR3 points at. */
  spaceAt(cr3: number): string {
    const pd = Math.floor(cr3 / FRAME_SIZE);
    if (pd === this.w.kernel.state.kernelPd) return 'the kernel\'s empty directory';
    const d = this.w.kernel.state.domains.find((x) => x.space.pd === pd);
    return d ? this.space(d.space) : `directory frame ${pd}`;
  }

  /** Who drives IRQ line `irq`: the timer, or the device whose privilege owns the line. */
  irq(irq: number): string {
    if (irq === TIMER_IRQ) return 'the timer';
    const dp = this.w.kernel.state.irqOwners.get(irq);
    return dp ? `the ${dp.name} card` : 'no device';
  }

  /** An interrupt vector by its IRQ line and device. */
  vector(v: number): string {
    const irq = v >= MASTER_VECTOR && v < SLAVE_VECTOR + 8 ? v - MASTER_VECTOR : -1;
    return irq < 0 ? `vector ${hex(v)}` : `vector ${hex(v)}: IRQ ${irq}, ${this.irq(irq)}`;
  }

  /** A frame and whose it is now: "frame 295 (client 1's page: session #1's receive buffer 0; pinned token 19 for the card to write)". */
  frame(f: number): string {
    return `frame ${f} (${this.frameOwner(f)})`;
  }

  /** Whose frame `f` is and what it is for, without its number. */
  frameOwner(f: number): string {
    const fr = this.w.kernel.state.frames;
    const state = fr.state[f];
    if (state === undefined) return 'not RAM';
    const parts = [this.holder(f)];
    const role = this.role(f);
    if (role) parts.push(role);
    const pins = this.pinsOf(f);
    if (pins) parts.push(pins);
    const maps = this.mapped(f);
    if (maps) parts.push(maps);
    return parts.join('; ');
  }

  /** The frame's state and owner from the kernel's frame table. */
  private holder(f: number): string {
    const fr = this.w.kernel.state.frames;
    switch (fr.state[f]) {
      case 'free':
        return fr.dirty[f] === 1 ? 'free, not yet zeroed' : 'free';
      case 'quarantined':
        return 'quarantined';
      case 'kernel':
        return `kernel: ${this.kernelObject(f, fr.owner[f])}`;
      default: {
        const o = fr.owner[f];
        return o ? `${this.bank(o.bank)}'s ${o.kind}` : 'allocated, no owner';
      }
    }
  }

  private kernelObject(f: number, o: KObject | undefined): string {
    if (!o) return 'boot';
    switch (o.kind) {
      case 'space':
        return `${o.pd === f ? 'page directory' : 'page table'} of ${this.space(o)}`;
      case 'region':
        return `delegated page table in ${this.space(o.table.space)}, paid by ${this.bank(o.bank)}`;
      case 'domain':
        return `${o.name}'s domain state`;
      default:
        return `${this.bank(o.bank)}'s ${o.kind}`;
    }
  }

  /** What the driver uses the frame for, by its records (slots -> kernel pages -> frames; its own pins). */
  private role(f: number): string | undefined {
    const d = this.w.view.driver;
    if (!d) return undefined;
    const at = (slot: number) => driverSlotFrame(this.w, slot) === f;
    for (const s of d.sessions) {
      const rx = s.slots.rx.findIndex(at);
      if (rx >= 0) return `session #${s.id}'s receive buffer ${rx}`;
      const tx = s.slots.tx.findIndex(at);
      if (tx >= 0) return `session #${s.id}'s transmit page ${tx}`;
      if (at(s.slots.control)) return `session #${s.id}'s control page`;
    }
    const own = d.ownPins;
    const pinnedAt = (bus: number | undefined) => bus !== undefined && Math.floor(bus / FRAME_SIZE) === f;
    if (pinnedAt(own.ring?.bus)) return 'the driver\'s descriptor ring page';
    if (pinnedAt(own.header?.bus)) return 'the driver\'s header page';
    for (let k = 0; k < d.rxSlots; k++) if (at(SLOT_POOL + k)) return `the driver's receive pool buffer ${k}`;
    return undefined;
  }

  /** The card's live pins of the frame, in words ("pinned token 19 for the card to write"), or undefined when none. */
  pinsOf(f: number): string | undefined {
    const tokens = cardPrivilege(this.w)?.tokens;
    const mine = tokens ? [...tokens.values()].filter((t) => t.frame === f) : [];
    const count = this.w.kernel.state.frames.pins[f] ?? 0;
    if (mine.length === 0) return count > 0 ? `pin count ${count}` : undefined;
    return `pinned ${mine.map((t) => `token ${t.id} for the card to ${t.writable ? 'write' : 'read'}`).join(', ')}`;
  }

  /** Where the frame is mapped (the kernel's reverse map). */
  private mapped(f: number): string | undefined {
    const rmap = this.w.kernel.state.frames.rmap[f];
    if (!rmap || rmap.size === 0) return undefined;
    const ms = [...rmap].slice(0, MAPPINGS_NAMED).map((m) => `${m.writable ? 'rw' : 'ro'} at ${hex(mappingVa(m))} in ${this.space(m.table.space)}`);
    return `mapped ${ms.join(', ')}${rmap.size > MAPPINGS_NAMED ? ` and ${rmap.size - MAPPINGS_NAMED} more` : ''}`;
  }

  /** Whether a PTE of `s` maps the page of `va` to `frame` now (false: an access there went through a stale TLB entry). */
  mapsPage(s: Space, va: number, frame: number): boolean {
    return s.tables.get(va >>> 22)?.mappings.get((va >>> 12) & 0x3ff)?.frame === frame;
  }

  /** A trace entry (a kernel operation, CR3, INVLPG, a fault, an interrupt, a switch, the card's doings) in words, its frames and threads named as they are now. */
  event(e: TraceEntry): string {
    const n = this;
    const [a = 0, b = 0, c = 0] = e.args;
    switch (e.kind) {
      case 'kernel.pin':
        return `kernel pins ${n.frame(a)} for the card to ${c ? 'write' : 'read'}: token ${b}`;
      case 'kernel.unpin':
        return `kernel unpins token ${b} of ${n.frame(a)}: ${c} pin${c === 1 ? '' : 's'} left`;
      case 'kernel.quarantine':
        return `kernel quarantines frame ${a}: still pinned (${b}), held until its last unpin`;
      case 'kernel.revoke':
        return `kernel revokes the ${b} mapping${b === 1 ? '' : 's'} of ${n.frame(a)}`;
      case 'kernel.exchange':
        return `kernel exchanges ${n.frame(a)} and ${n.frame(b)}`;
      case 'kernel.claim':
        return `kernel: region #${a} claimed (${b} mapping${b === 1 ? '' : 's'})`;
      case 'kernel.fault': {
        const d = this.w.kernel.state.domains.find((x) => x.id === a);
        return `kernel: domain #${a}${d ? ` (${d.name})` : ''} ended by a fault (${hex(b)}, ${hex(c)})`;
      }
      case 'cpu.cr3':
        return `CR3 <- ${n.spaceAt(a)} (directory frame ${Math.floor(a / FRAME_SIZE)})`;
      case 'cpu.invlpg':
        return `INVLPG va ${hex(a)}`;
      case 'cpu.fault':
        return `page fault: ${n.threadById(c)} at va ${hex(a)} (${describeFaultCode(b)})`;
      case 'cpu.interrupt':
        return `interrupt ${n.vector(a)}`;
      case 'cpu.switch':
        return `switch to ${n.threadById(a)}`;
      case 'cpu.exit':
        return `${n.threadById(a)} ${b ? 'faulted' : 'ended'}`;
      case 'cpu.bus-error':
        return `CPU bus error at physical ${hex(a)} (${b} bytes)`;
      case 'irq.raise':
        return `IRQ ${a} raised by ${n.irq(a)}`;
      case 'ne2k.bm.rx':
        return `card received a ${a}-byte frame into receive descriptor ${(c - this.w.card.bm.regs.rdba) / DESC_BYTES} (status ${hex(b)})`;
      case 'ne2k.bm.tx':
        return `card sent a frame of ${a} fragment${a === 1 ? '' : 's'} (status ${hex(b)})`;
      case 'ne2k.bm.miss':
        return `card missed a ${a}-byte frame: no receive descriptor ready`;
      case 'ne2k.tx':
        return `card puts a ${a}-byte frame on the wire`;
      case 'ne2k.rx':
        return `card stored a ${a}-byte frame in its ring (status ${hex(b)})`;
      case 'ne2k.drop':
        return `card dropped a ${a}-byte frame (status ${hex(b)})`;
      case 'ne2k.bm.error':
        return `card bus-master error (${a ? 'fatal' : 'not fatal'}, ${b} bytes moved, ${c ? 'transmit' : 'receive'})`;
      default:
        return `${e.kind} ${e.args.join(' ')}`;
    }
  }

  /** Who made a CPU access: the domain of a user-mode access, else the kernel (in a system call of a domain, or not). */
  accessor(a: CpuAccess): string {
    if (a.mode === 'user') return this.thread(a.thread);
    const d = a.thread && this.w.kernel.state.byThread.get(a.thread);
    return d?.inKernel ? `kernel (system call of ${d.name})` : 'kernel';
  }

  /** What the card was executing when it made beat `b`: a receive or transmit descriptor (with what the driver armed it with), a descriptor fetch or status write, or nothing. */
  transfer(b: DmaBeat): string {
    const bm = this.w.card.bm;
    const backend = this.w.view.driver?.backend;
    const driver = backend instanceof BusMasterBackend ? backend : undefined;
    const rx = b.write ? bm.rxExecuting : undefined;
    if (rx && within(b.bus, rx.buf, rx.cap)) {
      const i = (rx.desc - bm.regs.rdba) / DESC_BYTES;
      const t = driver?.armedRx(i);
      if (!t) return `receive descriptor ${i} (the driver armed no buffer in it)`;
      const token = t.session ? t.token : this.w.view.driver?.ownPins.pool[t.index]?.token;
      const pin = token === undefined ? undefined : cardPrivilege(this.w)?.tokens.get(token);
      const buffer = t.session ? `session #${t.session.id}'s buffer ${t.index}` : `the driver's pool buffer ${t.index}`;
      const pinned = token === undefined ? 'no pin' : pin ? `pin token ${token} on frame ${pin.frame}` : `pin token ${token}, not live`;
      return `receive descriptor ${i}, armed by the driver with ${buffer} (${pinned}${t.bus !== rx.buf ? `; armed at ${hex(t.bus)}, the card fetched ${hex(rx.buf)}` : ''})`;
    }
    const tx = b.write ? undefined : bm.txReading;
    if (tx && within(b.bus, tx.addr, tx.length)) {
      const a = driver?.armedTx(tx.index);
      const what = !a ? 'no frame of the driver' : a.header ? 'the driver\'s checked copy of the headers' : a.frame.headerBus === a.bus ? 'the headers, in the stack\'s own page' : 'the payload';
      return `transmit descriptor ${tx.index} (session #${a?.frame.session?.id ?? '?'}'s frame: ${what})`;
    }
    const r = bm.regs;
    if (within(b.bus, r.rdba, r.rdlen * DESC_BYTES)) return `receive descriptor ${Math.floor((b.bus - r.rdba) / DESC_BYTES)} itself (${b.write ? 'status write' : 'fetch'})`;
    if (within(b.bus, r.tdba, r.tdlen * DESC_BYTES)) return `transmit descriptor ${Math.floor((b.bus - r.tdba) / DESC_BYTES)} itself (${b.write ? 'status write' : 'fetch'})`;
    return 'no transfer the card is executing';
  }
}

function within(bus: number, base: number, length: number): boolean {
  return bus >= base && bus < base + length;
}
