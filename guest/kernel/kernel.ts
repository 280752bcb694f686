// Boot and the kernel's outside interface. `bootKernel(machine)` takes the frames, builds
// the prime bank, turns paging on, programs the interrupt controllers and the timer, and
// installs the CPU hooks (scheduler, page faults, thread exits, interrupts) and the DMA
// bus observer. The returned Kernel is for composition roots and tests: they create banks
// and domains and hand out device privileges. Domains never see it; they get a context.

import { PageFault, SwallowedPreemption } from '../../emulator/machine/cpu.js';
import type { Machine } from '../../emulator/machine/machine.js';
import { hardenRealm } from '../../emulator/machine/realm.js';
import { FRAME_SIZE } from '../../emulator/machine/memory.js';
import type { DomainBody, PinDirection, Result } from './api/context.js';
import * as alloc from './alloc.js';
import type { Bank } from './banks.js';
import { capTo, type CapSlot, type Capability } from './caps.js';
import { BadAccess, DomainStopped, ForeignThread, KernelReentry } from './context.js';
import type { DevPriv } from './devpriv.js';
import { MAX_PRIORITY, type Domain } from './domains.js';
import { exchange } from './exchange.js';
import { onPageFault, onThreadExit } from './faults.js';
import { FrameTable } from './frames.js';
import { Hardware } from './hardware.js';
import { kernelCosts, type KernelCosts } from './costs.js';
import { timerReload } from '../../emulator/machine/pcinit.js';
import { handleInterrupt, initInterrupts } from './interrupts.js';
import { checkInvariants, type InvariantOptions } from './invariants.js';
import { checkIsolation, type IsolationOptions } from './isolation.js';
import { mapInSpace } from './map.js';
import type { KObject } from './objects.js';
import type { Page } from './pages.js';
import type { Walk } from './pagewalk.js';
import { pin, unpin } from './pin.js';
import { destroyBank, freeObject, revokePage } from './revoke.js';
import { pick } from './sched.js';
import { mappingVa, type Space } from './spaces.js';
import { allocDomain } from './spawn.js';
import { newCounters, type KernelState, type UnsafeKernel } from './state.js';
import { watchDma } from './dmawatch.js';
import { R_READ, R_WRITE } from './caps.js';

export interface KernelConfig {
  /** Scheduling tick rate programmed into the PIT (default 1000 Hz). */
  tickHz?: number;
  /** Low memory the kernel keeps for itself (default 1 MiB: the PC's real-mode area and the kernel image). */
  reservedBytes?: number;
  /** Overrides of the kernel's cost table (costs.ts); unnamed figures keep their defaults. */
  costs?: Partial<KernelCosts>;
  /** Defences switched off, for red-team tests only (state.ts UnsafeKernel). */
  unsafe?: UnsafeKernel;
}

export interface SpawnOptions {
  name: string;
  bank: Bank;
  body: DomainBody;
  priority?: number;
  keeper?: Capability | null;
  /** Capabilities for slots 0, 1, ... */
  caps?: readonly CapSlot[];
  /** An existing space to run in; by default a new one is allocated from `bank`. */
  space?: Space;
}

export class KernelError extends Error {
  override name = 'KernelError';
}

export class Kernel {
  constructor(readonly state: KernelState) {}

  get machine(): Machine {
    return this.state.hw.machine;
  }
  get primeBank(): Bank {
    return this.state.primeBank;
  }
  get counters() {
    return this.state.counters;
  }

  /** Run `fn` as kernel code: charged like a system call, in supervisor mode. */
  private enter<T>(fn: () => T): T {
    return this.state.hw.cpu.kernelEntry(fn);
  }

  private must<T>(r: Result<T>, what: string): T {
    if (!r.ok) throw new KernelError(`${what}: ${r.error}`);
    return r.value;
  }

  /** A sub-bank of `parent` (the prime bank by default). */
  createBank(parent: Bank, limit: number, pinLimit = limit): Bank {
    if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(pinLimit) || pinLimit < 0) throw new KernelError(`bad bank limits ${limit}/${pinLimit}`);
    return this.must(this.enter(() => alloc.allocBank(this.state, parent, limit, pinLimit)), 'createBank');
  }

  allocPage(bank: Bank): Page {
    return this.must(this.enter(() => alloc.allocPage(this.state, bank)), 'allocPage');
  }

  allocSpace(bank: Bank): Space {
    return this.must(this.enter(() => alloc.allocSpace(this.state, bank)), 'allocSpace');
  }

  allocEndpoint(bank: Bank) {
    return this.must(this.enter(() => alloc.allocEndpoint(this.state, bank)), 'allocEndpoint');
  }

  allocNotification(bank: Bank) {
    return this.must(this.enter(() => alloc.allocNotification(this.state, bank)), 'allocNotification');
  }

  map(space: Space, va: number, page: Page, writable: boolean): void {
    if (!Number.isSafeInteger(va) || va < 0 || va >= 2 ** 32 || va % FRAME_SIZE !== 0) throw new KernelError(`bad va ${va}`);
    const rights = R_READ | (writable ? R_WRITE : 0);
    this.must(this.enter(() => mapInSpace(this.state, space, va, page, rights, rights)), 'map');
  }

  /** Create a domain, ready to run at the next scheduling decision. */
  spawn(o: SpawnOptions): Domain {
    const priority = o.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) throw new KernelError(`bad priority ${priority}`);
    const space = o.space ?? this.allocSpace(o.bank);
    return this.must(
      this.enter(() => allocDomain(this.state, o.bank, { name: o.name, space, body: o.body, priority, keeper: o.keeper ?? null, caps: o.caps ?? [] })),
      `spawn ${o.name}`,
    );
  }

  /** A capability to `obj` with the given rights (full by default). */
  cap(obj: KObject, rights?: number, badge = 0): Capability {
    return capTo(obj, rights, badge);
  }

  /** Device privileges for a card: its port range, its IRQ line (or -1), the right to pin. */
  devicePrivilege(name: string, portBase: number, portCount: number, irq: number): DevPriv {
    const k = this.state;
    if (!Number.isInteger(portBase) || !Number.isInteger(portCount) || portBase < 0 || portCount < 1 || portBase + portCount > 0x10000) throw new KernelError(`bad port range ${portBase}+${portCount}`);
    if (!Number.isInteger(irq) || irq < -1 || irq > 15 || irq === 0 || irq === 2) throw new KernelError(`bad IRQ ${irq} (0 is the timer, 2 the cascade)`);
    if (irq >= 0 && k.irqOwners.has(irq)) throw new KernelError(`IRQ ${irq} already granted`);
    const dp: DevPriv = { ...alloc.header(k, undefined), kind: 'devpriv', name, portBase, portCount, irq, irqTarget: undefined, tokens: new Map() };
    k.devprivs.push(dp);
    if (irq >= 0) k.irqOwners.set(irq, dp);
    return dp;
  }

  // Kernel operations for tests and composition roots (a domain reaches them through syscalls).
  destroy(bank: Bank): void {
    this.enter(() => destroyBank(this.state, bank));
  }
  free(bank: Bank, obj: KObject): Result {
    return this.enter(() => freeObject(this.state, bank, obj));
  }
  revoke(page: Page): Result {
    return this.enter(() => revokePage(this.state, page));
  }
  exchange(a: Page, b: Page): Result {
    return this.enter(() => exchange(this.state, a, b));
  }
  pin(dp: DevPriv, page: Page, dir: PinDirection): Result<{ bus: number; token: number }> {
    return this.enter(() => pin(this.state, dp, page, R_READ | R_WRITE, dir));
  }
  unpin(dp: DevPriv, token: number): Result {
    return this.enter(() => unpin(this.state, dp, token));
  }

  /** The present user mappings of a space, from the kernel's records (checked against memory by checkInvariants). */
  mappings(space: Space): { va: number; frame: number; writable: boolean }[] {
    return [...space.tables.values()].flatMap((t) => [...t.mappings.values()].map((m) => ({ va: mappingVa(m), frame: m.frame, writable: m.writable })));
  }

  checkInvariants(opts?: InvariantOptions): string[] {
    return checkInvariants(this.state, opts);
  }

  /** DESIGN.md §6 items 4 and 5 from the frame table, for the domains the composition does not trust (isolation.ts). */
  checkIsolation(opts: IsolationOptions, walkOf?: (s: Space) => Walk): string[] {
    return checkIsolation(this.state, opts, walkOf);
  }

  /** Throws with every violation listed, if any. */
  assertInvariants(opts?: InvariantOptions): void {
    const bad = this.checkInvariants(opts);
    if (bad.length > 0) throw new KernelError(`kernel invariants violated:\n  ${bad.join('\n  ')}`);
  }
}

/** Run a boot computation, turning its RangeError into a clear KernelError. */
function bootStep<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new KernelError(`bad ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function bootKernel(machine: Machine, config: KernelConfig = {}): Kernel {
  // The realm is protection hardware (realm.ts): harden it before any domain code can run, and
  // freeze what the kernel hands across the boundary (the classes of what it throws into domains).
  if (!config.unsafe?.unhardenedRealm) {
    hardenRealm();
    harden([PageFault, SwallowedPreemption, BadAccess, KernelReentry, DomainStopped, ForeignThread]);
  }
  const tickHz = config.tickHz ?? 1000;
  const reservedBytes = config.reservedBytes ?? 1 << 20;
  if (!(tickHz >= 19 && tickHz <= 100_000)) throw new KernelError(`tickHz must be between 19 and 100000, got ${tickHz}`);
  const reload = bootStep('tickHz', () => timerReload(tickHz));
  const costs = bootStep('costs', () => kernelCosts(config.costs));
  const unsafe = Object.freeze({ ...config.unsafe });
  const hw = new Hardware(machine, costs, unsafe);
  const count = hw.frameCount;
  const reserved = Math.ceil(reservedBytes / FRAME_SIZE);
  if (!Number.isSafeInteger(reserved) || reserved < 0 || reserved + 16 > count) throw new KernelError(`reservedBytes ${reservedBytes} leaves fewer than 16 frames`);
  const frames = new FrameTable(hw, count, reserved);
  const kernelPd = frames.allocate('kernel')!;
  const usable = frames.freeCount;
  const primeBank: Bank = {
    id: 0, version: 0, live: true, bank: undefined, kind: 'bank', parent: undefined, frame: undefined,
    children: new Set(), objects: new Set(), usage: 0, reserved: 0, limit: usable, pins: 0, pinLimit: usable,
  };
  const k: KernelState = {
    hw, unsafe, frames, primeBank, kernelPd, domains: [], byThread: new Map(), devprivs: [], irqOwners: new Map(),
    writablePins: new Int32Array(count), pinned: new Set(), pinEpoch: new Float64Array(count), reserveBank: new Array<Bank | undefined>(count).fill(undefined),
    timeouts: machine.eventSource('kernel-timeouts'), irqMask: 0xffff, turns: new Map(), quantum: machine.config.cpuHz / tickHz, nextId: 1, nextToken: 1, counters: newCounters(), busViolations: [], quietEntries: 0,
  };
  // Zero before reuse starts at boot: RAM handed over by another platform may hold anything;
  // RAM the machine made itself and nobody wrote is zero without a look (memory.ts).
  for (let f = reserved; f < count; f++) if (!hw.frameIsZero(f)) hw.zeroFrame(f);
  hw.enablePaging(kernelPd * FRAME_SIZE);
  const cpu = hw.cpu;
  cpu.scheduler = () => pick(k);
  cpu.onPageFault = (fault, thread) => onPageFault(k, fault, thread);
  cpu.onThreadExit = (t) => onThreadExit(k, t);
  cpu.onInterrupt = (vector) => handleInterrupt(k, vector);
  watchDma(k);
  initInterrupts(k, reload);
  return new Kernel(k);
}
