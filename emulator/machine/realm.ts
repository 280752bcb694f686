// The JavaScript realm as protection hardware. Every domain runs in the same realm as the
// kernel, so the realm's shared objects are part of the protection boundary just as the MMU
// is: a domain that could replace `Set.prototype.add`, rebind the global `Map`, or hand the
// kernel a Proxy would run its own code inside kernel operations and reach kernel objects.
//
// hardenRealm() makes the realm hold, once per realm, before any domain code runs:
// - SES `lockdown()` (Hardened JavaScript) freezes every intrinsic: prototypes, constructors,
//   Math, JSON, Reflect, ...; afterwards `harden(x)` deep-freezes an object graph;
// - the standard global bindings (`Set`, `Map`, `Proxy`, `Uint8Array`, ...) become
//   non-writable and non-configurable, which lockdown leaves alone because the host shares
//   the global object: kernel code that names an intrinsic gets the real one;
// - `Proxy` is replaced by a constructor that records every proxy it makes, so the kernel can
//   refuse a proxy argument without touching it (touching a proxy runs the domain's traps).
// SES freezes with a V8-friendly Object.freeze (freeze.ts): the same frozen objects, fast stores.
// It charges no cycles and changes no simulated state: a run's trace hash is the same.

// Order matters: the spec-exact freeze must be in place before SES captures Object.freeze.
import './freeze.js';
import 'ses';

/** Options for SES lockdown: keep error stacks, console and locale formatting as the host has them (none of them is reachable state for a domain). */
const LOCKDOWN_OPTIONS = {
  errorTaming: 'unsafe',
  stackFiltering: 'verbose',
  consoleTaming: 'unsafe',
  localeTaming: 'unsafe',
  overrideTaming: 'moderate',
  domainTaming: 'unsafe',
} as const;

/** The standard global bindings made immutable (ECMA-262 §19 plus the web/node globals the simulation uses). */
const STANDARD_GLOBALS = [
  'globalThis', 'Infinity', 'NaN', 'undefined',
  'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView', 'Date', 'Error', 'EvalError',
  'FinalizationRegistry', 'Float32Array', 'Float64Array', 'Function', 'Int8Array', 'Int16Array', 'Int32Array', 'Map', 'Number', 'Object',
  'Promise', 'Proxy', 'RangeError', 'ReferenceError', 'RegExp', 'Set', 'SharedArrayBuffer', 'String', 'Symbol', 'SyntaxError', 'TypeError',
  'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'URIError', 'WeakMap', 'WeakRef', 'WeakSet',
  'Atomics', 'JSON', 'Math', 'Reflect', 'Intl',
  'harden', 'lockdown', 'Compartment', 'assert',
] as const;

/** Where the proxy registry lives across module instances of this file (tests may load it twice in one realm). */
const REGISTRY = Symbol.for('reloaded.realm.proxies');

type Registry = { readonly has: (x: object) => boolean };

let registry: Registry | undefined;

/** Whether hardenRealm() has run in this realm. */
export function realmHardened(): boolean {
  return lookupRegistry() !== undefined;
}

function lookupRegistry(): Registry | undefined {
  if (registry) return registry;
  const found = Object.getOwnPropertyDescriptor(globalThis, REGISTRY)?.value as Registry | undefined;
  if (found) registry = found;
  return found;
}

/** Harden this realm (idempotent). Call before any domain code runs. */
export function hardenRealm(): void {
  if (lookupRegistry()) return;
  // A realm locked down by someone else (a host that called lockdown itself) is fine as it is.
  if (!(Object.isFrozen(Object.prototype) && typeof globalThis.harden === 'function')) lockdown(LOCKDOWN_OPTIONS);
  // Namespaces lockdown leaves as the host made them (node's Atomics, WebAssembly): their own
  // properties frozen too. Not deeply: WebAssembly's error classes inherit from the original
  // Error constructor, which SES keeps writable for its own error taming.
  for (const name of ['Atomics', 'WebAssembly'] as const) if (typeof globalThis[name] === 'object') Object.freeze(globalThis[name]);
  const made = installProxyRegistry();
  for (const name of STANDARD_GLOBALS) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (!d || !d.configurable) continue;
    Object.defineProperty(globalThis, name, { value: (globalThis as Record<string, unknown>)[name], writable: false, enumerable: d.enumerable ?? false, configurable: false });
  }
  Object.defineProperty(globalThis, REGISTRY, { value: made, writable: false, enumerable: false, configurable: false });
  registry = made;
}

/** Replace the global Proxy by one that remembers what it made; the original becomes unreachable. */
function installProxyRegistry(): Registry {
  const Original = Proxy;
  const made = new WeakSet<object>();
  const has = WeakSet.prototype.has;
  function TrackedProxy(this: unknown, target: object, handler: ProxyHandler<object>): object {
    if (new.target === undefined) throw new TypeError("Constructor Proxy requires 'new'");
    const p = new Original(target, handler);
    made.add(p);
    return p;
  }
  const revocable = (target: object, handler: ProxyHandler<object>) => {
    const r = Original.revocable(target, handler);
    made.add(r.proxy);
    return r;
  };
  Object.defineProperty(TrackedProxy, 'name', { value: 'Proxy' });
  Object.defineProperty(TrackedProxy, 'length', { value: 2 });
  Object.defineProperty(TrackedProxy, 'revocable', { value: revocable, writable: true, enumerable: false, configurable: true });
  harden(TrackedProxy);
  Object.defineProperty(globalThis, 'Proxy', { value: TrackedProxy, writable: true, enumerable: false, configurable: true });
  return harden({ has: (x: object) => has.call(made, x) });
}

/** Whether `x` is a proxy (made after hardenRealm). Runs none of its traps. */
export function isProxy(x: unknown): boolean {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null) return false;
  return lookupRegistry()?.has(x) ?? false;
}
