// The domain context: the one object a domain's code receives, and the whole of what it can
// do (DESIGN.md §2: the import boundary is the protection boundary). Domain code imports
// this file *as types only*; every value it uses comes through the context at run time.
//
// - Every operation that costs cycles is a generator (`const v = yield* ctx.load32(va)`) and
//   ends in a preemption point: there the timer's interrupt is taken and the kernel may switch
//   to another domain, as a real CPU can be interrupted between any two instructions. Bulk
//   operations stop at one after every 32-byte line; the single accesses, compute, and an
//   invoke or reply that does not block, only when a preemption is due (an interrupt pending,
//   a domain of higher priority woken), which costs nothing otherwise. So no loop that calls
//   the context can keep the CPU past its quantum, nor a higher-priority domain waiting beyond
//   one call. A generator must be run by `yield*`: stepping one by hand past its preemption
//   point throws SwallowedPreemption into the domain code, and so does every call after it
//   until the domain yields to the CPU. Code that never calls its context (a plain JavaScript
//   loop) is outside the model: time passes only through the context.
// - Memory: loads, stores and bulk operations through the domain's own address space, in
//   user mode, charged like any CPU access. A page fault throws a `MemoryFault` into the
//   domain code (the access is aborted). Code that can survive it (the driver copying into
//   client memory the client may revoke) catches it and goes on; a fault that escapes the
//   domain's body ends the domain and is delivered to its keeper as a message
//   (label FAULT_LABEL, words [linear address, error code]).
// - Capabilities: `invoke(slot, op, args)` names a capability by slot. A null or void
//   capability (or one of the wrong type) gives { ok: false, error: 'invalid-cap' } for every
//   operation, always the same way. Operations that wait (call, recv, wait) block the domain.
// - IPC: call/send/recv/reply carry a label, up to MAX_WORDS words and MAX_CAPS capabilities;
//   a received message carries the badge of the endpoint capability it was sent through.
// - One system call at a time: invoking while a call of this domain is still in the kernel
//   or waiting there (a hand-stepped invoke generator, an invoke from a getter of the
//   arguments) throws a KernelReentry error into the domain code.
// - A memory operation with a malformed operand (an address or length that is not an
//   integer, negative, or running past 2^32; write data that is not a Uint8Array) throws a
//   BadAccess error (a RangeError) before touching any byte. Write data is copied first.

import type { GuestCode } from '../../../emulator/machine/thread.js';

export type { GuestCode };

/** Index of a capability slot in the domain's slot table (0 .. SLOT_COUNT-1). */
export type Slot = number;

export type ObjectKind = 'page' | 'bank' | 'space' | 'region' | 'domain' | 'endpoint' | 'notification' | 'devpriv';

/**
 * Rights of a capability. Pages, endpoints and notifications: read (map readable / receive /
 * wait) and write (map writable / send / signal). Spaces, regions and device privileges: write.
 * Banks: allocation needs no right; destroy, free, limits (change limits) and query are the
 * rights an opaque bank lacks.
 */
export type Right = 'read' | 'write' | 'destroy' | 'free' | 'limits' | 'query';

export type ErrorCode =
  | 'invalid-cap' // null, void, or not the kind the operation needs
  | 'no-rights' // the capability lacks a right the operation needs
  | 'bad-arg' // an argument is malformed (slot out of range, unaligned address, ...)
  | 'limit' // a bank limit (frames or pins) would be exceeded at the bank or an ancestor
  | 'no-memory' // no free frame in the machine
  | 'not-owner' // the bank did not allocate that object
  | 'busy' // the frame is pinned (exchange), or a notification already has a waiter
  | 'delegated' // the 4 MiB region belongs to a delegated page table
  | 'bad-token' // unknown or already used pin token
  | 'no-caller' // reply with nobody waiting for one
  | 'timeout'; // recv's timeout expired

export type Result<T = void> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorCode };

export interface Message {
  readonly label: number;
  /** Up to MAX_WORDS 32-bit words. */
  readonly words?: readonly number[];
  /** Slots of the sender's capabilities to transfer (up to MAX_CAPS). */
  readonly caps?: readonly Slot[];
}

export interface Received {
  readonly label: number;
  readonly words: readonly number[];
  /** Badge of the endpoint capability the message came through (0 for kernel messages). */
  readonly badge: number;
  /** Slots where the transferred capabilities were placed. */
  readonly caps: readonly Slot[];
}

export interface BankUsage {
  /** Frames held by objects allocated from the bank and its sub-banks. */
  readonly usage: number;
  /** Frames held for pinned pages below the bank (one per pinned frame); usage + reserved <= limit. */
  readonly reserved: number;
  readonly limit: number;
  readonly pins: number;
  readonly pinLimit: number;
}

export type PinDirection = 'to-device' | 'from-device';

/** The body of a domain: a generator run as a user-mode thread. */
export type DomainBody = (ctx: DomainContext) => GuestCode<unknown>;

/** Every capability operation: its arguments and the value it returns on success. */
export interface Ops {
  // any capability
  copy: { args: { dst: Slot; rights?: readonly Right[]; badge?: number }; value: void };
  drop: { args: Record<string, never>; value: void };
  identify: { args: Record<string, never>; value: { kind: ObjectKind; rights: Right[]; badge: number } };
  // space banks
  allocPage: { args: { dst: Slot }; value: void };
  allocSpace: { args: { dst: Slot }; value: void };
  allocBank: { args: { dst: Slot; limit: number; pinLimit?: number }; value: void };
  allocEndpoint: { args: { dst: Slot }; value: void };
  allocNotification: { args: { dst: Slot }; value: void };
  /** A new domain, always below the caller's priority (default: one below); 'bad-arg' at or above it. */
  allocDomain: {
    args: { dst: Slot; space: Slot; body: DomainBody; priority?: number; keeper?: Slot; caps?: readonly Slot[]; name?: string };
    value: void;
  };
  free: { args: { target: Slot }; value: void };
  destroy: { args: Record<string, never>; value: void };
  setLimit: { args: { limit: number }; value: void };
  setPinLimit: { args: { limit: number }; value: void };
  query: { args: Record<string, never>; value: BankUsage };
  revokePage: { args: { target: Slot }; value: void };
  // address spaces and delegated regions
  map: { args: { va: number; page: Slot; rights: readonly Right[] }; value: void };
  unmap: { args: { va: number }; value: void };
  delegate: { args: { va: number; bank: Slot; dst: Slot }; value: void };
  /**
   * On a region: become its only controller. Every other capability to the region goes void
   * (copies kept by the delegating domain included), every page mapped in it is unmapped,
   * and a fresh capability is placed in `dst`. The receiver of a delegated region claims it
   * before building anything in it; a claim through a capability someone else claimed first
   * is 'invalid-cap'.
   */
  claim: { args: { dst: Slot }; value: void };
  // pages
  exchange: { args: { other: Slot }; value: void };
  // endpoints
  call: { args: Message & { /** Slots for the capabilities the reply carries (added for issue 5). */ capSlots?: readonly Slot[] }; value: Received };
  send: { args: Message; value: void };
  /** With `notification`, also returns (label notifyLabel, words [bits]) when it is signalled; `timeout` in cycles. */
  recv: { args: { capSlots?: readonly Slot[]; notification?: Slot; timeout?: number }; value: Received };
  // notifications
  signal: { args: { bits: number }; value: void };
  /** Returns the bits, or 0 when `timeout` (cycles) expires first. */
  wait: { args: { timeout?: number }; value: number };
  poll: { args: Record<string, never>; value: number };
  // device privileges
  in: { args: { port: number; width: 1 | 2 | 4 }; value: number };
  out: { args: { port: number; value: number; width: 1 | 2 | 4 }; value: void };
  bindIrq: { args: { notification: Slot; bits: number }; value: void };
  ackIrq: { args: Record<string, never>; value: void };
  pin: { args: { page: Slot; dir: PinDirection }; value: { bus: number; token: number } };
  unpin: { args: { token: number }; value: void };
}
export type Op = keyof Ops;

/** A page fault thrown into domain code by a memory access. */
export interface MemoryFault extends Error {
  readonly name: 'PageFault';
  readonly linear: number;
  readonly errorCode: number;
}

/** The kernel's fixed sizes, as the context reports them (domain code imports no values). */
export interface KernelConstants {
  /** Capability slots per domain. */
  readonly slots: number;
  /** Words and capabilities a message can carry. */
  readonly maxWords: number;
  readonly maxCaps: number;
  /** Label of the message a keeper receives when a domain it keeps faults. */
  readonly faultLabel: number;
  /** Label of the message `recv` returns when its notification is signalled. */
  readonly notifyLabel: number;
  /** Highest priority a domain can have (0 is the lowest). */
  readonly maxPriority: number;
  /** Longest timeout `recv` and `wait` accept, in cycles (2^40); a longer one is 'bad-arg'. */
  readonly maxTimeout: number;
}

export interface DomainContext {
  readonly name: string;
  readonly constants: KernelConstants;
  /** The current cycle (the domain's time-stamp counter). */
  now(): number;
  /** Charge `units` of computation (preemptible: a long computation is interrupted on time). */
  compute(units: number): GuestCode;

  load8(va: number): GuestCode<number>;
  load16(va: number): GuestCode<number>;
  load32(va: number): GuestCode<number>;
  store8(va: number, v: number): GuestCode;
  store16(va: number, v: number): GuestCode;
  store32(va: number, v: number): GuestCode;
  read(va: number, len: number): GuestCode<Uint8Array>;
  write(va: number, data: Uint8Array): GuestCode;
  copy(dstVa: number, srcVa: number, len: number): GuestCode;
  checksum(va: number, len: number): GuestCode<number>;
  zero(va: number, len: number): GuestCode;
  /** Whether `e` is a page fault thrown by one of the memory operations above. */
  isFault(e: unknown): e is MemoryFault;

  /** Invoke the capability in `slot`. */
  invoke<K extends Op>(slot: Slot, op: K, args: Ops[K]['args']): GuestCode<Result<Ops[K]['value']>>;
  /** Reply to the domain whose call this domain last received. */
  reply(msg: Message): GuestCode<Result>;
}
