// Attack 2 of issue 9, prototype pollution through the shared realm, as a hostile stack body.
// The plan, which works in an unhardened realm (test/security/fixtures/unhardened.ts shows it):
// replace Array.prototype.push, which the kernel calls when it queues a receiver, and catch the
// kernel's own Domain object for this stack; walk from it (its bank, the prime bank, every
// bank's objects) to a page of the neighbour's; write a forged capability to it into this
// domain's slot table; map it writable and scribble on it; then stay alive with it mapped. In a hardened realm the first step
// already fails, and so does every other way of changing a shared intrinsic or global.
// It records what happened in `out` (plain data the test reads).

import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../../guest/apps/raw-stack.js';

export interface PollutionOutcome {
  /** For each way of changing the realm that was tried: 'changed' or the error's name. */
  attempts: Record<string, string>;
  capturedDomain: boolean;
  /** The neighbour's page the forged capability named (its id), the map's result, whether the scribble landed. */
  forgedPage: number | undefined;
  mapped: string | undefined;
  scribbled: boolean;
}

/** Where the hostile maps the neighbour's page. */
export const FORGED_VA = 0x4000_0000;
const FORGED_SLOT = 30;

type Loose = Record<string, unknown> & { kind?: string; name?: string };

export function newOutcome(): PollutionOutcome {
  return { attempts: {}, capturedDomain: false, forgedPage: undefined, mapped: undefined, scribbled: false };
}

/**
 * Try one way of changing what the realm shares; if it worked, undo it at once (only the
 * push spy below is kept, for the exploit) and record 'changed', else the error's name.
 */
function attempt(out: PollutionOutcome, what: string, change: () => unknown, undo: () => void): boolean {
  try {
    if (change() === false) {
      out.attempts[what] = 'refused';
      return false;
    }
  } catch (e) {
    out.attempts[what] = e instanceof Error ? e.name : typeof e;
    return false;
  }
  undo();
  out.attempts[what] = 'changed';
  return true;
}

export function pollutionAttack(out: PollutionOutcome): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const global = globalThis as unknown as Record<string, unknown>; // an attacker is not bound by the import rules
    const saved = { add: Set.prototype.add, set: Map.prototype.set, arrayProto: Object.getPrototypeOf(Array.prototype) as object, Set: global.Set, invoke: ctx.invoke };
    attempt(out, 'define Set.prototype.add', () => Object.defineProperty(Set.prototype, 'add', { value() {} }), () => Object.defineProperty(Set.prototype, 'add', { value: saved.add }));
    attempt(out, 'Reflect.set Map.prototype.set', () => Reflect.set(Map.prototype, 'set', () => undefined), () => Reflect.set(Map.prototype, 'set', saved.set));
    attempt(out, 'reparent Array.prototype', () => Object.setPrototypeOf(Array.prototype, {}), () => Object.setPrototypeOf(Array.prototype, saved.arrayProto));
    attempt(out, 'add to Object.prototype', () => Object.defineProperty(Object.prototype, 'polluted', { value: 1, configurable: true }), () => delete (Object.prototype as Record<string, unknown>).polluted);
    attempt(out, 'rebind the global Set', () => (global.Set = class FakeSet {}), () => (global.Set = saved.Set));
    attempt(out, 'change the context', () => ((ctx as unknown as Record<string, unknown>).invoke = () => undefined), () => ((ctx as unknown as Record<string, unknown>).invoke = saved.invoke));

    let me: Loose | undefined;
    const originalPush = Array.prototype.push;
    const spy = function (this: unknown[], ...xs: unknown[]): number {
      for (const x of xs) if (x && typeof x === 'object' && (x as Loose).kind === 'domain' && (x as Loose).name === ctx.name) me = x as Loose;
      return originalPush.apply(this, xs);
    };
    const replaced = attempt(out, 'assign Array.prototype.push', () => (Array.prototype.push = spy), () => undefined);
    if (!replaced) return;
    try {
      // The kernel queues this domain as a receiver on an endpoint of its own: the spy sees it.
      yield* ctx.invoke(STACK_SLOTS.bank, 'allocEndpoint', { dst: STACK_SLOTS.free[0] });
      yield* ctx.invoke(STACK_SLOTS.free[0], 'recv', { timeout: 1000 });
    } finally {
      Array.prototype.push = originalPush;
    }
    if (!me) return;
    out.capturedDomain = true;
    // Give the neighbour time to open its session: the driver allocates its pages then.
    yield* ctx.invoke(STACK_SLOTS.free[0], 'recv', { timeout: 400_000 });
    const myBank = me.bank as Loose;
    const prime = myBank.parent as Loose;
    const mine = (b: Loose): boolean => b === myBank || (b.parent !== undefined && mine(b.parent as Loose));
    const pages: Loose[] = [];
    const walk = (b: Loose): void => {
      for (const o of b.objects as Set<Loose>) if (o.kind === 'page') pages.push(o);
      for (const c of b.children as Set<Loose>) walk(c);
    };
    // The neighbour's bank: another top bank with a stack domain in it (not the driver's).
    const isNeighbours = (b: Loose) => [...(b.objects as Set<Loose>)].some((o) => o.kind === 'domain' && o.name !== ctx.name && String(o.name).startsWith('stack'));
    for (const b of prime.children as Set<Loose>) if (!mine(b) && isNeighbours(b)) walk(b);
    const victim = pages.find((p) => p.live);
    if (!victim) return;
    out.forgedPage = victim.id as number;
    (me.slots as unknown[])[FORGED_SLOT] = { obj: victim, version: victim.version, rights: 3, badge: 0 };
    const r = yield* ctx.invoke(STACK_SLOTS.space, 'map', { va: FORGED_VA, page: FORGED_SLOT, rights: ['read', 'write'] });
    out.mapped = r.ok ? 'ok' : r.error;
    if (!r.ok) return;
    yield* ctx.write(FORGED_VA, new Uint8Array(64).fill(0xa5));
    out.scribbled = true;
    // Stay alive, the neighbour's page mapped, for the checks to see.
    for (;;) yield* ctx.invoke(STACK_SLOTS.free[0], 'recv', { timeout: 1_000_000 });
  };
}
