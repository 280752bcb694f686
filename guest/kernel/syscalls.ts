// The system-call API: `invoke(slot, op, args)` from a domain, decoded and checked here,
// then carried out by the operation modules. Every argument is treated as hostile: any
// malformed value is 'bad-arg', never an exception. The invoked capability is looked up
// first, with the same cost whatever it holds, so a null capability and a void one (version
// mismatch) give the same answer, 'invalid-cap', for every operation, in the same cycles.

import type { DomainBody, Message, Op, PinDirection, Result } from './api/context.js';
import * as alloc from './alloc.js';
import { plainArgs, plainFunction, plainList } from './args.js';
import type { Bank } from './banks.js';
import {
  FULL_RIGHTS, R_DESTROY, R_FREE, R_LIMITS, R_QUERY, R_READ, R_WRITE, capTo, diminish, isValid, lookup, rightsFromNames, rightsToNames,
  type CapSlot, type Capability,
} from './caps.js';
import { portAllowed } from './devpriv.js';
import { SLOT_COUNT, type Domain } from './domains.js';
import { exchange } from './exchange.js';
import { maskIrq } from './interrupts.js';
import { MAX_CAPS, MAX_TIMEOUT, MAX_WORDS, recvFrom, replyTo, sendTo, signal, waitOn, type Deadline } from './ipc.js';
import { isPageVa, mapInRegion, mapInSpace, spaceTable, unmapIn } from './map.js';
import { pin, unpin } from './pin.js';
import { err, ok, type Blocked } from './result.js';
import { destroyBank, freeObject, revokePage } from './revoke.js';
import { allocDomain } from './spawn.js';
import { claimRegion } from './claim.js';
import type { Region } from './spaces.js';
import type { KernelState } from './state.js';
import { pdeIndex } from '../../emulator/machine/paging.js';

type Args = Record<string, unknown>;
type Out = Result<unknown> | Blocked;

const isSlot = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) < SLOT_COUNT;
const isU32 = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff;
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const slotList = (x: unknown, max: number): number[] | undefined => {
  if (x === undefined) return [];
  const l = plainList(x, max);
  return l && l.every(isSlot) ? (l as number[]) : undefined;
};

/** A message's words and capabilities, checked and captured (caps are read now). */
function takeMessage(d: Domain, a: Args): { msg: Message; caps: CapSlot[]; replySlots: number[] } | undefined {
  const words = a.words === undefined ? [] : plainList(a.words, MAX_WORDS);
  if (!isU32(a.label) || !words || !words.every(isU32)) return undefined;
  const capSlots = slotList(a.caps, MAX_CAPS);
  const replySlots = slotList(a.capSlots, MAX_CAPS);
  if (!capSlots || !replySlots) return undefined;
  return { msg: { label: a.label, words: words as number[] }, caps: capSlots.map((s) => d.slots[s] ?? null), replySlots };
}

/** Which kind of capability each operation is invoked on ('any' for the generic ones). */
const TARGET: Record<Op | 'reply', string> = {
  copy: 'any', drop: 'any', identify: 'any',
  allocPage: 'bank', allocSpace: 'bank', allocBank: 'bank', allocEndpoint: 'bank', allocNotification: 'bank', allocDomain: 'bank',
  free: 'bank', destroy: 'bank', setLimit: 'bank', setPinLimit: 'bank', query: 'bank', revokePage: 'bank',
  map: 'space|region', unmap: 'space|region', delegate: 'space', claim: 'region', exchange: 'page',
  call: 'endpoint', send: 'endpoint', recv: 'endpoint', reply: 'none',
  signal: 'notification', wait: 'notification', poll: 'notification',
  in: 'devpriv', out: 'devpriv', bindIrq: 'devpriv', ackIrq: 'devpriv', pin: 'devpriv', unpin: 'devpriv',
};

/** TARGET's kinds as lists, split once: the check runs at every system call. */
const TARGET_KINDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(TARGET).map(([op, kinds]) => [op, kinds.split('|')]));

/**
 * Operations that change no frame, bank, object, mapping, pin or IOMMU entry: capabilities in
 * slots, IPC, notifications, queries, ports and interrupt routing. Whatever their arguments or
 * outcome (a refusal changes nothing either), only domain states, slots, queues and devices
 * move. The incremental invariant checks rely on this list (state.ts quietEntries); an
 * operation added to it wrongly is caught by test/kernel/quiet-entries.test.ts.
 */
const RECORDS_UNCHANGED: ReadonlySet<string> = new Set(['copy', 'drop', 'identify', 'query', 'call', 'send', 'recv', 'reply', 'signal', 'wait', 'poll', 'in', 'out', 'bindIrq', 'ackIrq']);

export function syscall(k: KernelState, d: Domain, slot: unknown, op: unknown, rawArgs: unknown): Out {
  k.counters.syscalls++;
  if (typeof op === 'string' && RECORDS_UNCHANGED.has(op)) k.quietEntries++;
  k.hw.compute(k.hw.costs.syscallDecode);
  if (typeof op !== 'string' || !Object.hasOwn(TARGET, op)) return err('bad-arg');
  // Read every argument exactly once, as plain data (args.ts: no domain code runs), before checking any of them.
  const a = k.unsafe.trustArguments ? ({ ...(rawArgs as object) } as Args) : plainArgs(rawArgs);
  if (!a) return err('bad-arg');
  if (op === 'reply') {
    const m = takeMessage(d, a);
    return m ? replyTo(k, d, m.msg, m.caps) : err('bad-arg');
  }
  if (!isSlot(slot)) return err('bad-arg');
  const cap = d.slots[slot] ?? null;
  if (op === 'drop') {
    d.slots[slot] = null;
    return ok();
  }
  const target = TARGET[op as Op];
  if (!isValid(cap) || (target !== 'any' && !TARGET_KINDS.get(op)!.includes(cap.obj.kind))) return err('invalid-cap');
  switch (cap.obj.kind) {
    case 'bank':
      if (target === 'bank') return bankOp(k, d, cap, cap.obj, op as Op, a);
      break;
    case 'space':
    case 'region':
      if (op === 'claim') return claimOp(k, d, cap, a);
      if (target !== 'any') return spaceOp(k, d, cap, op as Op, a);
      break;
    case 'page':
      if (op === 'exchange') return exchangeOp(k, d, cap, a);
      break;
    case 'endpoint':
      if (target === 'endpoint') return endpointOp(k, d, cap, op as Op, a);
      break;
    case 'notification':
      if (target === 'notification') return notificationOp(k, d, cap, op as Op, a);
      break;
    case 'devpriv':
      if (target === 'devpriv') return devprivOp(k, d, cap, op as Op, a);
      break;
  }
  return genericOp(d, cap, op as Op, a);
}

/** Operations on any valid capability: copy (diminish, badge once), identify. */
function genericOp(d: Domain, cap: Capability, op: Op, a: Args): Out {
  if (op === 'identify') return ok({ kind: cap.obj.kind, rights: rightsToNames(cap.rights), badge: cap.badge });
  if (!isSlot(a.dst)) return err('bad-arg');
  const mask = a.rights === undefined ? cap.rights : rightsFromNames(a.rights);
  if (mask === undefined || (a.badge !== undefined && !isU32(a.badge))) return err('bad-arg');
  // A badge is set once, on an unbadged capability: a badge can never be changed to another's.
  if (a.badge !== undefined && cap.badge !== 0 && a.badge !== cap.badge) return err('no-rights');
  d.slots[a.dst] = diminish(cap, mask, (a.badge as number | undefined) ?? cap.badge);
  return ok();
}

function bankOp(k: KernelState, d: Domain, cap: Capability, bank: Bank, op: Op, a: Args): Out {
  const needs: Partial<Record<Op, number>> = { destroy: R_DESTROY, free: R_FREE, revokePage: R_FREE, setLimit: R_LIMITS, setPinLimit: R_LIMITS, query: R_QUERY };
  const need = needs[op] ?? 0;
  if ((cap.rights & need) !== need) return err('no-rights');
  const put = (r: Result<{ kind: string } & object>): Out => {
    if (r.ok) d.slots[a.dst as number] = capTo(r.value as never);
    return r.ok ? ok() : r;
  };
  switch (op) {
    case 'allocPage':
    case 'allocSpace':
    case 'allocEndpoint':
    case 'allocNotification':
      if (!isSlot(a.dst)) return err('bad-arg');
      return put(alloc[op](k, bank));
    case 'allocBank': {
      const pinLimit = a.pinLimit === undefined ? a.limit : a.pinLimit;
      if (!isSlot(a.dst) || !isCount(a.limit) || !isCount(pinLimit)) return err('bad-arg');
      return put(alloc.allocBank(k, bank, a.limit, pinLimit));
    }
    case 'allocDomain':
      return allocDomainOp(k, d, bank, a);
    case 'free': {
      if (!isSlot(a.target)) return err('bad-arg');
      const t = d.slots[a.target];
      if (!isValid(t)) return err('invalid-cap');
      return freeObject(k, bank, t.obj);
    }
    case 'destroy':
      if (!bank.parent) return err('no-rights'); // the prime bank is the machine's, not anyone's
      destroyBank(k, bank);
      return ok();
    case 'setLimit':
    case 'setPinLimit': {
      if (!isCount(a.limit)) return err('bad-arg');
      if (a.limit < (op === 'setLimit' ? bank.usage + bank.reserved : bank.pins)) return err('limit');
      if (op === 'setLimit') bank.limit = a.limit;
      else bank.pinLimit = a.limit;
      return ok();
    }
    case 'query':
      return ok({ usage: bank.usage, reserved: bank.reserved, limit: bank.limit, pins: bank.pins, pinLimit: bank.pinLimit });
    case 'revokePage': {
      if (!isSlot(a.target)) return err('bad-arg');
      const t = d.slots[a.target] ?? null;
      const page = lookup(t, 'page');
      if (!page) return err('invalid-cap');
      if (page.bank !== bank) return err('not-owner');
      const r = revokePage(k, page);
      if (r.ok) d.slots[a.target] = capTo(page, t!.rights, t!.badge);
      return r;
    }
  }
  return err('invalid-cap');
}

function allocDomainOp(k: KernelState, d: Domain, bank: Bank, a: Args): Out {
  const priority = a.priority === undefined ? d.priority - 1 : a.priority;
  const caps = slotList(a.caps, SLOT_COUNT);
  const name = a.name === undefined ? `${d.name}.child` : a.name;
  if (!isSlot(a.dst) || !isSlot(a.space) || !plainFunction(a.body) || !caps || typeof name !== 'string' || name.length > 64) return err('bad-arg');
  // A domain creates domains only below its own priority: hostile code can neither starve its
  // betters nor take more turns among its equals by splitting itself into many domains.
  if (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) >= d.priority) return err('bad-arg');
  if (a.keeper !== undefined && !isSlot(a.keeper)) return err('bad-arg');
  k.hw.compute(k.hw.costs.capLookup);
  const spaceCap = d.slots[a.space] ?? null;
  const space = lookup(spaceCap, 'space');
  if (!space) return err('invalid-cap');
  if ((spaceCap!.rights & R_WRITE) === 0) return err('no-rights');
  const keeper = a.keeper === undefined ? null : (d.slots[a.keeper] ?? null);
  const r = allocDomain(k, bank, {
    name, space, body: a.body as DomainBody, priority: priority as number, keeper,
    caps: caps.map((s) => d.slots[s] ?? null),
  });
  if (!r.ok) return r;
  d.slots[a.dst] = capTo(r.value);
  return ok();
}

function spaceOp(k: KernelState, d: Domain, cap: Capability, op: Op, a: Args): Out {
  if ((cap.rights & R_WRITE) === 0) return err('no-rights');
  if (!isPageVa(a.va)) return err('bad-arg');
  const obj = cap.obj;
  if (op === 'delegate') {
    if (obj.kind !== 'space' || a.va % (1 << 22) !== 0 || !isSlot(a.bank) || !isSlot(a.dst)) return err('bad-arg');
    k.hw.compute(k.hw.costs.capLookup);
    const bank = lookup(d.slots[a.bank], 'bank');
    if (!bank) return err('invalid-cap');
    const r = alloc.delegateRegion(k, obj, pdeIndex(a.va), bank);
    if (r.ok) d.slots[a.dst] = capTo(r.value);
    return r.ok ? ok() : r;
  }
  if (op === 'unmap') {
    if (obj.kind === 'region') return pdeIndex(a.va) === obj.table.pdIndex ? unmapIn(k, obj.table, a.va) : err('bad-arg');
    if (obj.kind !== 'space') return err('invalid-cap');
    const t = spaceTable(obj, a.va);
    return t === 'delegated' ? err('delegated') : unmapIn(k, t, a.va);
  }
  // map
  if (!isSlot(a.page)) return err('bad-arg');
  const ask = rightsFromNames(a.rights);
  if (ask === undefined || (ask & R_READ) === 0 || (ask & ~FULL_RIGHTS.page) !== 0) return err('bad-arg');
  k.hw.compute(k.hw.costs.capLookup);
  const pageCap = d.slots[a.page] ?? null;
  const page = lookup(pageCap, 'page');
  if (!page) return err('invalid-cap');
  if ((pageCap!.rights & R_READ) === 0) return err('no-rights');
  return obj.kind === 'region' ? mapInRegion(k, obj, a.va, page, ask, pageCap!.rights) : obj.kind === 'space' ? mapInSpace(k, obj, a.va, page, ask, pageCap!.rights) : err('invalid-cap');
}

/** `claim` on a region (claim.ts): every other capability to it goes void; the fresh one goes to `dst`. */
function claimOp(k: KernelState, d: Domain, cap: Capability, a: Args): Out {
  if ((cap.rights & R_WRITE) === 0) return err('no-rights');
  if (!isSlot(a.dst)) return err('bad-arg');
  claimRegion(k, cap.obj as Region);
  d.slots[a.dst] = capTo(cap.obj, cap.rights);
  return ok();
}

function exchangeOp(k: KernelState, d: Domain, cap: Capability, a: Args): Out {
  if (!isSlot(a.other)) return err('bad-arg');
  k.hw.compute(k.hw.costs.capLookup);
  const otherCap = d.slots[a.other] ?? null;
  const b = lookup(otherCap, 'page');
  if (!b) return err('invalid-cap');
  if ((cap.rights & R_WRITE) === 0 || (otherCap!.rights & R_WRITE) === 0) return err('no-rights');
  return exchange(k, cap.obj as never, b);
}

function endpointOp(k: KernelState, d: Domain, cap: Capability, op: Op, a: Args): Out {
  const ep = cap.obj as never;
  if (op === 'recv') {
    if ((cap.rights & R_READ) === 0) return err('no-rights');
    const slots = slotList(a.capSlots, MAX_CAPS);
    if (!slots || !isTimeout(a.timeout) || (a.notification !== undefined && !isSlot(a.notification))) return err('bad-arg');
    let n;
    if (a.notification !== undefined) {
      k.hw.compute(k.hw.costs.capLookup);
      const nCap = d.slots[a.notification] ?? null;
      n = lookup(nCap, 'notification');
      if (!n) return err('invalid-cap');
      if ((nCap!.rights & R_READ) === 0) return err('no-rights');
    }
    return recvFrom(k, d, ep, slots, n, deadline(a.timeout, err('timeout')));
  }
  if ((cap.rights & R_WRITE) === 0) return err('no-rights');
  const m = takeMessage(d, a);
  if (!m) return err('bad-arg');
  return sendTo(k, d, ep, cap.badge, m.msg, m.caps, op === 'call', m.replySlots);
}

function notificationOp(k: KernelState, d: Domain, cap: Capability, op: Op, a: Args): Out {
  const n = cap.obj as never;
  if (op === 'signal') {
    if ((cap.rights & R_WRITE) === 0) return err('no-rights');
    if (!isU32(a.bits)) return err('bad-arg');
    signal(k, n, a.bits);
    return ok();
  }
  if ((cap.rights & R_READ) === 0) return err('no-rights');
  if (!isTimeout(a.timeout)) return err('bad-arg');
  return waitOn(k, d, n, op === 'wait', deadline(a.timeout, ok(0)));
}

/** A wait timeout: absent, or 1 .. MAX_TIMEOUT cycles (ipc.ts). */
const isTimeout = (x: unknown): x is number | undefined => x === undefined || (Number.isSafeInteger(x) && (x as number) > 0 && (x as number) <= MAX_TIMEOUT);

const deadline = (timeout: number | undefined, result: Result<unknown>): Deadline | undefined => (timeout === undefined ? undefined : { cycles: timeout, result });

function devprivOp(k: KernelState, d: Domain, cap: Capability, op: Op, a: Args): Out {
  if ((cap.rights & R_WRITE) === 0) return err('no-rights');
  const dp = cap.obj as import('./devpriv.js').DevPriv;
  const cpu = k.hw.cpu;
  switch (op) {
    case 'in':
    case 'out': {
      const width = a.width;
      if ((width !== 1 && width !== 2 && width !== 4) || !portAllowed(dp, a.port as number, width)) return err('bad-arg');
      if (op === 'in') return ok(cpu.in(a.port as number, width));
      if (!isU32(a.value)) return err('bad-arg');
      cpu.out(a.port as number, a.value, width);
      return ok();
    }
    case 'bindIrq': {
      if (dp.irq < 0 || !isSlot(a.notification) || !isU32(a.bits)) return err('bad-arg');
      k.hw.compute(k.hw.costs.capLookup);
      const nCap = d.slots[a.notification] ?? null;
      const n = lookup(nCap, 'notification');
      if (!n) return err('invalid-cap');
      if ((nCap!.rights & R_WRITE) === 0) return err('no-rights');
      dp.irqTarget = { n, version: n.version, bits: a.bits };
      maskIrq(k, dp.irq, false);
      return ok();
    }
    case 'ackIrq':
      if (dp.irq < 0) return err('bad-arg');
      maskIrq(k, dp.irq, false);
      return ok();
    case 'pin': {
      if (!isSlot(a.page) || (a.dir !== 'to-device' && a.dir !== 'from-device')) return err('bad-arg');
      k.hw.compute(k.hw.costs.capLookup);
      const pageCap = d.slots[a.page] ?? null;
      const page = lookup(pageCap, 'page');
      if (!page) return err('invalid-cap');
      return pin(k, dp, page, pageCap!.rights, a.dir as PinDirection);
    }
    case 'unpin':
      return isCount(a.token) ? unpin(k, dp, a.token) : err('bad-token');
  }
  return err('invalid-cap');
}

