// The kernel side of the domain context (api/context.ts): the object handed to a domain's
// body. Memory operations run on the CPU in user mode through the domain's own page tables
// (the CPU has loaded its CR3 when it switched to the thread). Capability invocations enter
// the kernel (charged as INT + IRET) and, when they must wait, block the thread until the
// kernel wakes it with the result.
//
// Preemption: every operation that costs cycles ends in a preemption point. Bulk operations
// yield after every line; the others (single loads and stores, compute, an invoke or reply
// that does not block) yield only when the CPU says a preemption is due (an interrupt is
// pending, or the kernel wants to switch: Cpu.preemptionDue), since an untaken point costs
// nothing and a taken one a pass of the scheduler. So a domain that loops calling its context
// is interrupted by the timer within one call, like code on a real CPU between two
// instructions. The point must reach the CPU: a domain that steps an operation's generator by
// hand, swallowing the yield, gets the CPU's SwallowedPreemption and can make no further call
// until it yields to the CPU.

import { PageFault } from '../../emulator/machine/cpu.js';
import { realmHardened } from '../../emulator/machine/realm.js';
import { BLOCK, type GuestCode } from '../../emulator/machine/thread.js';
import type { DomainContext, KernelConstants, Message, Op, Ops, Result } from './api/context.js';
import { MAX_PRIORITY, SLOT_COUNT, type Domain } from './domains.js';
import { FAULT_LABEL, MAX_CAPS, MAX_TIMEOUT, MAX_WORDS, NOTIFY_LABEL } from './ipc.js';
import { BLOCKED } from './result.js';
import type { KernelState } from './state.js';
import { syscall } from './syscalls.js';

export const CONSTANTS: KernelConstants = Object.freeze({ slots: SLOT_COUNT, maxWords: MAX_WORDS, maxCaps: MAX_CAPS, faultLabel: FAULT_LABEL, notifyLabel: NOTIFY_LABEL, maxPriority: MAX_PRIORITY, maxTimeout: MAX_TIMEOUT });

/** Largest bulk access a domain may ask for in one call (bigger requests are a domain bug). */
const MAX_BULK = 1 << 24;
/** Linear addresses are 32 bits: an access must lie within [0, 2^32). */
const LINEAR_END = 2 ** 32;

export class DomainStopped extends Error {
  override name = 'DomainStopped';
}

/**
 * A memory operation with a malformed operand: an address or length that is not an integer,
 * is negative, or runs past 2^32 (no wrap-around), or write data that is not a Uint8Array.
 * Thrown into the domain code before any byte is touched; catchable like a page fault.
 */
export class BadAccess extends RangeError {
  override name = 'BadAccess';
}

/**
 * A second entry into the kernel by a domain already inside it or waiting in it (a hand-
 * stepped invoke generator, or an invoke from a getter the kernel is reading). Thrown into
 * the domain code; the first system call is unaffected.
 */
export class KernelReentry extends Error {
  override name = 'KernelReentry';
}

/** A context used on a thread other than its own domain's (thrown into the code that called it). */
export class ForeignThread extends Error {
  override name = 'ForeignThread';
}

/** Describe a hostile operand without running any of its code (no toString, no getters). */
const show = (x: unknown): string => (typeof x === 'number' ? String(x) : typeof x);

/** Check a linear range [va, va+len) once, before any access. */
function checkRange(what: string, va: unknown, len: unknown, max = MAX_BULK): asserts va is number {
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > max) throw new BadAccess(`${what}: bad length ${show(len)} (need an integer from 0 to ${max})`);
  if (typeof va !== 'number' || !Number.isInteger(va) || va < 0 || va >= LINEAR_END || va + len > LINEAR_END) {
    throw new BadAccess(`${what}: bad address ${show(va)} for ${len} bytes (need an integer with the whole range within 0 .. 2^32-1)`);
  }
}

// The intrinsic typed-array accessors, taken once: called on the domain's object they read its
// internal slots and run none of its code (no overridden length, subarray, constructor or
// Symbol.species, which Uint8Array.prototype.slice would consult).
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayName = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag)!.get!;
const typedArrayLength = Object.getOwnPropertyDescriptor(TypedArrayProto, 'length')!.get!;
const setBytes = Uint8Array.prototype.set;

/** A private copy of a domain's write data (its length read once); BadAccess for anything but a Uint8Array. */
function privateCopy(data: unknown): Uint8Array {
  if (typedArrayName.call(data) !== 'Uint8Array') throw new BadAccess(`write: data must be a Uint8Array, got ${show(data)}`);
  const len = typedArrayLength.call(data) as number;
  if (len > MAX_BULK) throw new BadAccess(`write: bad length ${len} (need an integer from 0 to ${MAX_BULK})`);
  const own = new Uint8Array(len);
  try {
    setBytes.call(own, data as Uint8Array);
  } catch {
    throw new BadAccess('write: data cannot be read (detached buffer)');
  }
  return own;
}

export function makeContext(k: KernelState, d: Domain): DomainContext {
  const cpu = k.hw.cpu;
  const preemptible = k.unsafe.noPreemptionPoints !== true;
  const live = () => {
    if (d.state === 'stopped') throw new DomainStopped(`domain ${d.name} was stopped`);
    // A context acts for its own domain only: called from another domain's thread (a function
    // a hostile domain left where another would call it), it would use that domain's page tables.
    if (cpu.current !== d.thread) throw new ForeignThread(`the context of ${d.name} used on the thread of ${cpu.current?.name ?? 'nobody'}`);
    cpu.passPoint();
  };
  /** After a call's work is charged: whether its preemption point is taken. */
  const due = (): boolean => preemptible && cpu.preemptionDue();
  const single = (what: string, va: unknown, size: number): number => {
    live();
    checkRange(what, va, size, 4);
    return va;
  };
  const value = (what: string, v: unknown): number => {
    if (typeof v !== 'number') throw new BadAccess(`${what}: value must be a number, got ${show(v)}`);
    return v;
  };

  function* enter<T>(fn: () => Result<T> | typeof BLOCKED): GuestCode<Result<T>> {
    live();
    // One system call at a time: a domain waiting in the kernel, or inside it, cannot enter
    // again (it would wait in two queues at once, and only one would be left when it stops).
    if (d.inKernel || d.state === 'waiting') throw new KernelReentry(`domain ${d.name} is already ${d.inKernel ? 'in' : 'waiting in'} the kernel: one system call at a time`);
    d.inKernel = true;
    let r: Result<T> | typeof BLOCKED;
    try {
      r = cpu.kernelEntry(fn);
    } finally {
      d.inKernel = false;
    }
    // A domain that just rescinded itself (or its space) never runs again.
    while (d.state === 'stopped') yield BLOCK;
    if (r === BLOCKED) return (yield BLOCK) as Result<T>;
    if (due()) yield* cpu.point();
    return r;
  }

  const ctx: DomainContext = {
    name: d.name,
    constants: CONSTANTS,
    now: () => cpu.cycle,
    *compute(units) {
      live();
      if (!(Number.isFinite(units) && units > 0)) return;
      const n = Math.min(units, MAX_BULK);
      if (!preemptible) return cpu.compute(n);
      for (let left = cpu.computeCycles(n); left > 0; ) {
        left = cpu.computeSlice(left);
        if (cpu.preemptionDue()) yield* cpu.point();
      }
    },
    *load8(va) {
      const v = cpu.load8(single('load8', va, 1));
      if (due()) yield* cpu.point();
      return v;
    },
    *load16(va) {
      const v = cpu.load16(single('load16', va, 2));
      if (due()) yield* cpu.point();
      return v;
    },
    *load32(va) {
      const v = cpu.load32(single('load32', va, 4));
      if (due()) yield* cpu.point();
      return v;
    },
    *store8(va, v) {
      cpu.store8(single('store8', va, 1), value('store8', v));
      if (due()) yield* cpu.point();
    },
    *store16(va, v) {
      cpu.store16(single('store16', va, 2), value('store16', v));
      if (due()) yield* cpu.point();
    },
    *store32(va, v) {
      cpu.store32(single('store32', va, 4), value('store32', v));
      if (due()) yield* cpu.point();
    },
    *read(va, len) {
      live();
      checkRange('read', va, len);
      return yield* cpu.read(va, len);
    },
    *write(va, data) {
      live();
      const own = privateCopy(data);
      checkRange('write', va, own.length);
      yield* cpu.write(va, own);
    },
    *copy(dst, src, len) {
      live();
      checkRange('copy', dst, len);
      checkRange('copy', src, len);
      yield* cpu.copy(dst, src, len);
    },
    *checksum(va, len) {
      live();
      checkRange('checksum', va, len);
      return yield* cpu.checksum(va, len);
    },
    *zero(va, len) {
      live();
      checkRange('zero', va, len);
      yield* cpu.zero(va, len);
    },
    isFault: (e): e is never => e instanceof PageFault,
    invoke<K extends Op>(slot: number, op: K, args: Ops[K]['args']) {
      return enter(() => syscall(k, d, slot, op, args)) as GuestCode<Result<Ops[K]['value']>>;
    },
    reply(msg: Message) {
      return enter(() => syscall(k, d, -1, 'reply', msg)) as GuestCode<Result>;
    },
  };
  // Frozen with everything reachable from it (its methods, their generator prototypes): a
  // domain cannot change what its context does, nor leave anything in it for the kernel to find.
  return realmHardened() ? harden(ctx) : ctx;
}
