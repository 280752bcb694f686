// Attack 8 of issue 9, getting the kernel to run domain code, as a hostile stack body. Code the
// kernel runs while it reads arguments (a getter, an iterator, a proxy trap) runs in the middle
// of a kernel operation, in supervisor mode, where it could change an argument between its
// check and its use or re-enter the kernel; a domain body the kernel calls inside allocDomain
// runs there too. Each probe records whether its code ran and when (`ctx.now()`), so the test
// can tell "never ran" from "ran inside the call".

import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import { STACK_SLOTS } from '../../../guest/apps/raw-stack.js';

export interface KernelRunsCodeOutcome {
  /** Each probe's system-call result. */
  results: Record<string, string>;
  /** Each time hostile code ran while the kernel read its arguments: which probe, and the cycle. */
  ran: [probe: string, cycle: number][];
  /** Cycles of the allocDomain call (issued, returned) and when the child's body was first called. */
  allocIssued: number;
  allocReturned: number;
  bodyCalledAt: number | undefined;
  /** What a nested invoke from inside the kernel got (when a getter ran at all). */
  nested: string | undefined;
}

const { free } = STACK_SLOTS;
/** Words a message may carry (the kernel's maxWords) and what the iterator would smuggle. */
const SMUGGLED = 100_000;

export function newKernelRunsCodeOutcome(): KernelRunsCodeOutcome {
  return { results: {}, ran: [], allocIssued: 0, allocReturned: 0, bodyCalledAt: undefined, nested: undefined };
}

export function kernelRunsCodeAttack(out: KernelRunsCodeOutcome): (ctx: DomainContext) => GuestCode {
  return function* (ctx) {
    const note = (probe: string) => out.ran.push([probe, ctx.now()]);
    const result = (r: { ok: boolean; error?: string }) => (r.ok ? 'ok' : r.error!);
    // A getter that also tries to enter the kernel again from inside it.
    const getterArgs = {
      get dst() {
        note('getter');
        try {
          ctx.invoke(STACK_SLOTS.bank, 'query', {}).next();
          out.nested = 'entered';
        } catch (e) {
          out.nested = (e as Error).name;
        }
        return free[0];
      },
    };
    out.results.getter = result(yield* ctx.invoke(STACK_SLOTS.bank, 'allocNotification', getterArgs as never));
    // A zero-length words array whose iterator would deliver 100,000 words.
    const words: number[] = [];
    Object.defineProperty(words, Symbol.iterator, { value: function* () { note('iterator'); for (let i = 0; i < SMUGGLED; i++) yield i; } });
    out.results.iterator = result(yield* ctx.invoke(STACK_SLOTS.driver, 'send', { label: 99, words }));
    // Proxies: as the arguments object and as a list inside it.
    const trap = () => (note('trap'), undefined);
    const proxyArgs = new Proxy({ dst: free[1] }, { get: trap, getOwnPropertyDescriptor: trap, ownKeys: () => (note('trap'), []), getPrototypeOf: () => (note('trap'), null), has: () => (note('trap'), true) });
    out.results.proxy = result(yield* ctx.invoke(STACK_SLOTS.bank, 'allocNotification', proxyArgs as never));
    const proxyList = new Proxy([1, 2], { get: (t, k) => (note('trap'), Reflect.get(t, k)) });
    out.results['proxy words'] = result(yield* ctx.invoke(STACK_SLOTS.driver, 'send', { label: 99, words: proxyList }));
    // A domain body that is a plain function: it must not run inside allocDomain.
    yield* ctx.invoke(STACK_SLOTS.bank, 'allocSpace', { dst: free[2] });
    const body = () => {
      out.bodyCalledAt ??= ctx.now();
      return (function* () {})();
    };
    out.allocIssued = ctx.now();
    out.results.allocDomain = result(yield* ctx.invoke(STACK_SLOTS.bank, 'allocDomain', { dst: free[3], space: free[2], body, priority: 0 }));
    out.allocReturned = ctx.now();
  };
}
