// What the page's views show, read from the running world as plain data: the frame map (the
// kernel's frame table with whose bank pays for each frame), the domains with their
// capabilities and counters, the sessions, and the card's registers and descriptor rings.
// Everything here only reads, charges no cycle and runs no domain code: what a domain keeps
// itself (a stack's counters, its status word) is read as plain data (scenario/plain.ts),
// so a hostile stack cannot run code in the worker by leaving a getter in them.

import { formatIpv4 } from '../../../guest/net/bytes.js';
import { rightsToNames } from '../../../guest/kernel/caps.js';
import type { Bank } from '../../../guest/kernel/banks.js';
import { mappingVa, type Mapping } from '../../../guest/kernel/spaces.js';
import { total } from '../../../guest/netdriver/counters.js';
import type { Session } from '../../../guest/netdriver/session.js';
import { newStackCounters } from '../../../guest/netstack/counters.js';
import { DESC_BYTES, DESC_CTRL, DESC_STATUS, STATUS_OWN } from '../../../devices/ne2k/registers.js';
import { IOMMU_FAULT } from '../../machine/iommu.js';
import { ipOf, type Net } from '../../cli/scenario/net.js';
import { readPlain, type NumberRecord } from '../../cli/scenario/plain.js';
import type { StackProbe } from '../../../guest/netstack/domain.js';
import { WorldNames } from '../../cli/explore/names.js';
import type { CardMode } from '../../../guest/netdriver/config.js';
import * as P from '../protocol.js';

/** Whose a bank is, as a frame map owner index: the nearest client, the driver or the kernel up its chain. */
export function ownerOf(net: Net, bank: Bank | undefined): number {
  for (let b = bank; b; b = b.parent) {
    const k = net.clients.findIndex((c) => c.bank === b);
    if (k >= 0) return P.OWNER_FIRST_CLIENT + k;
    if (b === net.driverBank) return P.OWNER_DRIVER;
    if (b === net.kernel.primeBank) return P.OWNER_KERNEL;
  }
  return P.OWNER_NONE;
}

export function ownerNames(net: Net): string[] {
  return ['nobody', 'the kernel', 'the driver', ...net.clients.map((_, k) => `client ${k + 1}`)];
}

export function frameMap(net: Net): P.FrameMap {
  const fr = net.kernel.state.frames;
  const n = fr.state.length;
  const state = new Uint8Array(n);
  const owner = new Uint8Array(n);
  // One owner lookup per bank, not per frame: a bank's chain does not change within a snapshot.
  const byBank = new Map<Bank | undefined, number>();
  for (let f = 0; f < n; f++) {
    const s = fr.state[f];
    let code = s === 'free' ? (fr.dirty[f] === 1 ? P.FRAME_FREE_DIRTY : P.FRAME_FREE) : s === 'kernel' ? P.FRAME_KERNEL : s === 'quarantined' ? P.FRAME_QUARANTINED : P.FRAME_ALLOCATED;
    if (fr.pins[f]! > 0) code |= P.FRAME_PINNED;
    if (fr.rmap[f]!.size > 0) code |= P.FRAME_MAPPED;
    state[f] = code;
    const bank = s === 'free' ? undefined : fr.owner[f]?.bank;
    let o = byBank.get(bank);
    if (o === undefined) byBank.set(bank, (o = ownerOf(net, bank)));
    owner[f] = s === 'kernel' && bank === undefined ? P.OWNER_KERNEL : o;
  }
  return { state, owner };
}

/**
 * Most mappings of one frame a frame detail lists. A domain may map one page of its own at
 * every page of its space its page tables cover (1,024 per page table, so some 100,000 with a
 * stack's bank): listed whole, each hover over that frame made the worker name them all and
 * the tab draw them all, a line each, which wedged both. The count says how many there are.
 */
export const MAPPINGS_SHOWN = 32;

export function frameDetail(net: Net, names: WorldNames, frame: number, unsafe: { everyMapping?: boolean } = {}): P.FrameDetail {
  const fr = net.kernel.state.frames;
  if (!(Number.isInteger(frame) && frame >= 0 && frame < fr.state.length)) throw new RangeError(`inspect: frame ${frame} does not exist (0 to ${fr.state.length - 1})`);
  const rmap = fr.rmap[frame]!;
  const shown: Mapping[] = [];
  for (const m of rmap) {
    if (!unsafe.everyMapping && shown.length >= MAPPINGS_SHOWN) break;
    shown.push(m);
  }
  return {
    frame,
    text: names.frameOwner(frame),
    pinCount: fr.pins[frame]!,
    mappings: shown.map((m) => ({ space: names.space(m.table.space), va: mappingVa(m), rights: m.writable ? 'rw' : 'ro' })),
    mappingCount: rmap.size,
  };
}

/** The numbers of a record, nested ones flattened with dotted keys. */
function flatten(x: NumberRecord, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  for (const [k, v] of Object.entries(x)) {
    if (typeof v === 'number') out[prefix + k] = v;
    else flatten(v, `${prefix}${k}.`, out);
  }
  return out;
}

/**
 * The domains. `probes`: what each client's stack domain reports of itself (the boot
 * scenario's stacks; an explored world's raw stacks report nothing).
 */
export function domainViews(net: Net, names: WorldNames, probes: readonly (StackProbe | undefined)[] = []): P.DomainView[] {
  return net.kernel.state.domains.map((d) => {
    const k = net.clients.findIndex((c) => c.domain === d);
    let counters: Record<string, number> = {};
    if (d === net.driverDomain && net.view.driver) {
      const g = net.view.driver.counters;
      counters = { received: g.received, missed: g.missed, delivered: g.delivered, transmitted: g.transmitted, dropped: total(g.dropped), rejected: total(g.rejected), sessionsOpened: g.sessionsOpened, sessionsClosed: g.sessionsClosed, pinnedNow: g.pinnedNow };
    } else if (k >= 0) {
      const read = readPlain(probes[k]?.counters, newStackCounters() as unknown as NumberRecord);
      counters = read ? flatten(read) : {};
    }
    return {
      id: d.id,
      name: d.name,
      priority: d.priority,
      state: d.state,
      cycles: d.thread?.cycles ?? 0,
      bank: names.bank(d.bank),
      caps: d.slots.flatMap((c, slot) => (c ? [{ slot, kind: c.obj.kind, rights: rightsToNames(c.rights), badge: c.badge }] : [])),
      counters,
    };
  });
}

/** One row per client; `status`: what a client's status says (default: open while the driver serves its session). */
export function sessionViews(net: Net, sessions: ReadonlyMap<number, Session>, status?: (client: number) => string): P.SessionView[] {
  const served = new Set(net.view.driver?.sessions.map((s) => s.badge) ?? []);
  return net.clients.map((c, i) => {
    const s = sessions.get(i + 1);
    const k = s?.counters;
    return {
      client: i + 1,
      ip: formatIpv4(ipOf(i)),
      status: status ? status(i + 1) : served.has(i + 1) ? 'open' : s ? 'closed' : 'no session',
      bankUsage: c.bank.usage,
      bankLimit: c.bank.limit,
      delivered: k?.delivered ?? 0,
      transmitted: k?.transmitted ?? 0,
      dropped: k ? total(k.dropped) : 0,
      rejected: k ? total(k.rejected) : 0,
      pinned: k?.pinnedNow ?? 0,
    };
  });
}

/** Per client, the frames the driver has dropped or rejected for its session so far (the charts' drops). */
export function dropsBy(net: Net, sessions: ReadonlyMap<number, Session>): number[] {
  return net.clients.map((_, k) => {
    const c = sessions.get(k + 1)?.counters;
    return c ? total(c.dropped) + total(c.rejected) : 0;
  });
}

/** The descriptors of one ring as the card would read them (through the IOMMU when it is on). */
function ring(net: Net, base: number, length: number, head: number): P.DescriptorView[] {
  const { memory, iommu } = net.machine;
  const out: P.DescriptorView[] = [];
  for (let i = 0; i < length; i++) {
    const bus = base + i * DESC_BYTES;
    const phys = iommu.translate(bus, false);
    if (phys === IOMMU_FAULT || !memory.contains(phys, DESC_BYTES)) {
      out.push({ index: i, addr: 0, ctrl: 0, status: 0, own: false, head: i === head });
      continue;
    }
    const status = memory.read32(phys + DESC_STATUS);
    out.push({ index: i, addr: memory.read32(phys), ctrl: memory.read32(phys + DESC_CTRL), status, own: (status & STATUS_OWN) !== 0, head: i === head });
  }
  return out;
}

/** Most descriptors of a ring shown (RDLEN and TDLEN are programmed by the driver, bounded by the card). */
const RING_SHOWN = 64;

export function cardView(net: Net, mode: CardMode): P.CardView {
  const card = net.card;
  const regs: Record<string, number> = {};
  for (const [k, v] of Object.entries(card.regs)) if (typeof v === 'number') regs[k] = v;
  const bm: Record<string, number> = { ...card.bm.regs };
  const r = card.bm.regs;
  const t = card.totals;
  return {
    mode,
    regs,
    bm,
    rx: ring(net, r.rdba, Math.min(r.rdlen, RING_SHOWN), r.rdh),
    tx: ring(net, r.tdba, Math.min(r.tdlen, RING_SHOWN), r.tdh),
    totals: { received: t.received, transmitted: t.transmitted, missed: t.missed },
  };
}

