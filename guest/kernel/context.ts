// The kernel side of the domain context (api/context.ts): the object handed to a domain's
// body. Memory operations run on the CPU in user mode through the domain's own page tables
// (the CPU has loaded its CR3 when it switched to the thread). Capability invocations enter
// the kernel (charged as INT + IRET) and, when they must wait, block the thread until the
// kernel wakes it with the result.

import { PageFault } from '../../emulator/machine/cpu.js';
import { BLOCK, type GuestCode } from '../../emulator/machine/thread.js';
import type { DomainContext, KernelConstants, Message, Op, Ops, Result } from './api/context.js';
import { MAX_PRIORITY, SLOT_COUNT, type Domain } from './domains.js';
import { FAULT_LABEL, MAX_CAPS, MAX_WORDS, NOTIFY_LABEL } from './ipc.js';
import { BLOCKED } from './result.js';
import type { KernelState } from './state.js';
import { syscall } from './syscalls.js';

export const CONSTANTS: KernelConstants = Object.freeze({ slots: SLOT_COUNT, maxWords: MAX_WORDS, maxCaps: MAX_CAPS, faultLabel: FAULT_LABEL, notifyLabel: NOTIFY_LABEL, maxPriority: MAX_PRIORITY });

/** Largest bulk access a domain may ask for in one call (bigger requests are a domain bug). */
const MAX_BULK = 1 << 24;

export class DomainStopped extends Error {
  override name = 'DomainStopped';
}

export function makeContext(k: KernelState, d: Domain): DomainContext {
  const cpu = k.hw.cpu;
  const live = () => {
    if (d.state === 'stopped') throw new DomainStopped(`domain ${d.name} was stopped`);
  };
  const bulk = (len: number) => {
    live();
    if (!Number.isSafeInteger(len) || len < 0 || len > MAX_BULK) throw new RangeError(`bad length ${len}`);
  };

  function* enter<T>(fn: () => Result<T> | typeof BLOCKED): GuestCode<Result<T>> {
    live();
    const r = cpu.kernelEntry(fn);
    // A domain that just rescinded itself (or its space) never runs again.
    while (d.state === 'stopped') yield BLOCK;
    if (r === BLOCKED) return (yield BLOCK) as Result<T>;
    return r;
  }

  return {
    name: d.name,
    constants: CONSTANTS,
    now: () => cpu.cycle,
    compute: (units) => {
      if (Number.isFinite(units) && units > 0) cpu.compute(Math.min(units, MAX_BULK));
    },
    load8: (va) => (live(), cpu.load8(va)),
    load16: (va) => (live(), cpu.load16(va)),
    load32: (va) => (live(), cpu.load32(va)),
    store8: (va, v) => (live(), cpu.store8(va, v)),
    store16: (va, v) => (live(), cpu.store16(va, v)),
    store32: (va, v) => (live(), cpu.store32(va, v)),
    *read(va, len) {
      bulk(len);
      return yield* cpu.read(va, len);
    },
    *write(va, data) {
      bulk(data.length);
      yield* cpu.write(va, data);
    },
    *copy(dst, src, len) {
      bulk(len);
      yield* cpu.copy(dst, src, len);
    },
    *checksum(va, len) {
      bulk(len);
      return yield* cpu.checksum(va, len);
    },
    *zero(va, len) {
      bulk(len);
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
}
