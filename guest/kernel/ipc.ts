// IPC (DESIGN.md §4 "Endpoint / notification"): synchronous call/reply and send through
// endpoints, carrying a label, a few words and capabilities; asynchronous notification bits.
//
// Rendezvous: whoever arrives second completes the transfer. A call leaves the caller
// waiting for the receiver's reply (the receiver's implicit reply capability is `replyTo`).
// Capabilities are read from the sender's slots when it sends, so changing its slots later
// changes nothing; they are placed in the slots the receiver named, extra ones are dropped.
//
// A receiver may name a notification too (seL4's bound notification): then `recv` also
// returns when that notification is signalled, with label NOTIFY_LABEL and the bits as the
// one word. That is how the driver waits for its IRQ and its clients' calls at once.
// `recv` and `wait` may carry a timeout in cycles (a one-shot timer, exact to the cycle), at
// most MAX_TIMEOUT: on expiry `recv` fails with 'timeout' and `wait` returns no bits. The
// timer is armed before the domain is marked waiting, so a timer that cannot be armed leaves
// nothing half-done.
//
// A domain waits in at most one place (context.ts allows one system call at a time); still,
// a sender only hands a message to a receiver that really waits in recv on that endpoint,
// and a stopped domain is scrubbed from every queue (scrubDomain), so no message and no
// caller is ever left with a dead partner (DESIGN.md §6 item 8).

import type { Message, Received, Result } from './api/context.js';
import type { CapSlot } from './caps.js';
import type { Domain } from './domains.js';
import type { Endpoint, QueuedSend } from './endpoints.js';
import type { Notification } from './notifications.js';
import type { KObject } from './objects.js';
import { BLOCKED, err, ok, type Blocked } from './result.js';
import { preemptFor } from './sched.js';
import type { KernelState } from './state.js';

export const MAX_WORDS = 4;
export const MAX_CAPS = 2;
export const FAULT_LABEL = 0xfa17;
export const NOTIFY_LABEL = 0x4e07;
/**
 * Longest wait timeout, in cycles: 2^40 is hours of emulated time at any Pentium clock, and
 * keeps every deadline (now + timeout) far below 2^53, where cycle counts stop being exact.
 */
export const MAX_TIMEOUT = 2 ** 40;

/** A wait's deadline: `cycles` from now it ends with `result`. */
export interface Deadline {
  readonly cycles: number;
  readonly result: Result<unknown>;
}

/** Make a waiting domain runnable; its pending system call returns `result`. */
export function wakeDomain(k: KernelState, d: Domain, result: Result<unknown>): void {
  d.wait = undefined;
  cancelTimeout(k, d);
  if (d.state !== 'waiting') return;
  d.state = 'ready';
  if (d.thread) k.hw.cpu.wake(d.thread, result);
  preemptFor(k, d);
}

/** Mark `d` waiting for `wait`; its deadline's timer, if any, is armed first (it may refuse). */
function block(k: KernelState, d: Domain, wait: NonNullable<Domain['wait']>, deadline?: Deadline): Blocked {
  if (deadline) armTimeout(k, d, deadline.cycles, deadline.result);
  d.wait = wait;
  d.state = 'waiting';
  return BLOCKED;
}

/** Copy a message into `to`: words, and capabilities into the slots it offered. */
function transfer(k: KernelState, to: Domain, s: Omit<QueuedSend, 'from' | 'call'>, capSlots: readonly number[]): Received {
  const words = (s.msg.words ?? []).map((w) => w >>> 0);
  const placed: number[] = [];
  for (let i = 0; i < s.caps.length && i < capSlots.length; i++) {
    to.slots[capSlots[i]!] = s.caps[i]!;
    placed.push(capSlots[i]!);
  }
  k.hw.compute(k.hw.costs.ipcBase + k.hw.costs.ipcPerItem * (words.length + placed.length));
  return { label: s.msg.label >>> 0, words, badge: s.badge, caps: placed };
}

/** Hand a send to a receiver that was waiting in recv. */
function deliver(k: KernelState, receiver: Domain, s: QueuedSend): void {
  const w = receiver.wait;
  const slots = w?.kind === 'recv' ? w.capSlots : [];
  if (w?.kind === 'recv' && w.n?.waiter === receiver) w.n.waiter = undefined;
  const received = transfer(k, receiver, s, slots);
  if (s.from && s.call) receiver.replyTo = s.from; // the caller then waits for the reply (sendTo)
  wakeDomain(k, receiver, ok(received));
}

/** call (call=true) or send: deliver now if a receiver waits, else queue and wait. */
export function sendTo(k: KernelState, d: Domain, ep: Endpoint, badge: number, msg: Message, caps: CapSlot[], call: boolean, replySlots: readonly number[]): Result | Blocked {
  const s: QueuedSend = { from: d, call, msg, caps, badge };
  const receiver = takeReceiver(ep);
  if (receiver) {
    deliver(k, receiver, s);
    return call ? block(k, d, { kind: 'reply', from: receiver, capSlots: replySlots }) : ok();
  }
  const r: Blocked = block(k, d, { kind: 'send', ep, call, capSlots: replySlots });
  ep.senders.push(s);
  return r;
}

/** A message from the kernel itself (a fault report): nobody waits for it to be taken. */
export function kernelSend(k: KernelState, ep: Endpoint, badge: number, msg: Message): void {
  const s: QueuedSend = { from: undefined, call: false, msg, caps: [], badge };
  const receiver = takeReceiver(ep);
  if (receiver) deliver(k, receiver, s);
  else ep.senders.push(s);
}

/** The first queued receiver that really waits in recv on `ep` (any other entry is dropped). */
function takeReceiver(ep: Endpoint): Domain | undefined {
  for (let r = ep.receivers.shift(); r; r = ep.receivers.shift()) {
    if (r.state === 'waiting' && r.wait?.kind === 'recv' && r.wait.ep === ep) return r;
  }
  return undefined;
}

const notifyMessage = (bits: number): Received => ({ label: NOTIFY_LABEL, words: [bits], badge: 0, caps: [] });

export function recvFrom(k: KernelState, d: Domain, ep: Endpoint, capSlots: readonly number[], n?: Notification, deadline?: Deadline): Result<Received> | Blocked {
  if (n && n.waiter && n.waiter !== d) return err('busy');
  if (n && n.bits !== 0) {
    const bits = n.bits;
    n.bits = 0;
    return ok(notifyMessage(bits));
  }
  const s = ep.senders.shift();
  if (!s) {
    const r: Blocked = block(k, d, { kind: 'recv', ep, capSlots, n }, deadline);
    ep.receivers.push(d);
    if (n) n.waiter = d;
    return r;
  }
  const received = transfer(k, d, s, capSlots);
  if (s.from && s.call) {
    const slots = s.from.wait?.kind === 'send' ? s.from.wait.capSlots : [];
    s.from.wait = { kind: 'reply', from: d, capSlots: slots };
    d.replyTo = s.from;
  } else if (s.from) {
    wakeDomain(k, s.from, ok());
  }
  return ok(received);
}

export function replyTo(k: KernelState, d: Domain, msg: Message, caps: CapSlot[]): Result {
  const caller = d.replyTo;
  if (!caller) return err('no-caller');
  d.replyTo = undefined;
  const slots = caller.wait?.kind === 'reply' ? caller.wait.capSlots : [];
  wakeDomain(k, caller, ok(transfer(k, caller, { msg, caps, badge: 0 }, slots)));
  return ok();
}

// ---- notifications ----

export function signal(k: KernelState, n: Notification, bits: number): void {
  n.bits = (n.bits | bits) >>> 0;
  const w = n.waiter;
  if (w && n.bits !== 0) {
    n.waiter = undefined;
    const got = n.bits;
    n.bits = 0;
    if (w.wait?.kind === 'recv') {
      remove(w.wait.ep.receivers, (r) => r === w);
      wakeDomain(k, w, ok(notifyMessage(got)));
    } else wakeDomain(k, w, ok(got));
  }
}

/** Give a wait a deadline: then it ends with `result` (block() arms it before the domain waits). */
function armTimeout(k: KernelState, d: Domain, cycles: number, result: Result<unknown>): void {
  d.timer = k.timeouts.after(cycles, () => {
    d.timer = undefined;
    if (d.state !== 'waiting') return;
    leaveQueues(d);
    wakeDomain(k, d, result);
  });
}

function cancelTimeout(k: KernelState, d: Domain): void {
  if (d.timer) k.hw.machine.clock.cancel(d.timer);
  d.timer = undefined;
}

export function waitOn(k: KernelState, d: Domain, n: Notification, blocking: boolean, deadline?: Deadline): Result<number> | Blocked {
  if (n.bits !== 0 || !blocking) {
    const got = n.bits;
    n.bits = 0;
    return ok(got);
  }
  if (n.waiter && n.waiter !== d) return err('busy');
  const r: Blocked = block(k, d, { kind: 'notification', n }, deadline);
  n.waiter = d;
  return r;
}

// ---- teardown ----

/** Take a domain out of every queue and rendezvous it is part of (it is being stopped). */
export function detachDomain(k: KernelState, d: Domain, objects: Iterable<KObject>): void {
  leaveQueues(d);
  cancelTimeout(k, d);
  const caller = d.replyTo;
  d.replyTo = undefined;
  if (caller) wakeDomain(k, caller, err('invalid-cap'));
  scrubDomain(k, d, objects);
}

/**
 * Belt and braces: remove `d` from every endpoint and notification queue among `objects`
 * (every live object), and fail every call still waiting for `d`'s reply, so nobody is left
 * waiting on a domain that will never run again.
 */
function scrubDomain(k: KernelState, d: Domain, objects: Iterable<KObject>): void {
  for (const o of objects) {
    if (o.kind === 'endpoint') {
      removeAll(o.receivers, (r) => r === d);
      removeAll(o.senders, (s) => s.from === d);
    } else if (o.kind === 'notification' && o.waiter === d) o.waiter = undefined;
  }
  for (const w of k.domains) if (w.wait?.kind === 'reply' && w.wait.from === d) wakeDomain(k, w, err('invalid-cap'));
}

/** An endpoint is gone: everyone waiting on it gets the null-capability answer. */
export function failEndpoint(k: KernelState, ep: Endpoint): void {
  for (const s of ep.senders.splice(0)) if (s.from) wakeDomain(k, s.from, err('invalid-cap'));
  for (const r of ep.receivers.splice(0)) wakeDomain(k, r, err('invalid-cap'));
}

export function failNotification(k: KernelState, n: Notification): void {
  const w = n.waiter;
  n.waiter = undefined;
  if (w) wakeDomain(k, w, err('invalid-cap'));
}

/** Take a waiting domain out of whatever queue or rendezvous it waits in. */
function leaveQueues(d: Domain): void {
  const w = d.wait;
  if (w?.kind === 'send') remove(w.ep.senders, (s) => s.from === d);
  else if (w?.kind === 'recv') {
    remove(w.ep.receivers, (r) => r === d);
    if (w.n?.waiter === d) w.n.waiter = undefined;
  } else if (w?.kind === 'reply' && w.from.replyTo === d) w.from.replyTo = undefined;
  else if (w?.kind === 'notification' && w.n.waiter === d) w.n.waiter = undefined;
  d.wait = undefined;
}

function remove<T>(list: T[], pred: (x: T) => boolean): void {
  const i = list.findIndex(pred);
  if (i >= 0) list.splice(i, 1);
}

function removeAll<T>(list: T[], pred: (x: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) list.splice(i, 1);
}
