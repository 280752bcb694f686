// Attack 5 (issue 9): poisoned driver state from a failed OPEN. Session setup takes driver
// resources (capability slots, a mirror index: a 4 MiB slot of the driver's space that the
// session's region is mirrored in) and allocates from the client's bank. Before the defence, a
// setup that failed after delegating the mirror left it delegated and put the index back on the
// free list, and the next OPEN given that index dropped a good one for it: about 40 cheap failed
// OPENs (a sub-bank whose limit is its usage + 1, so an allocation fails midway) left no mirror
// for an honest client. Defence (guest/netdriver/open.ts): the driver allocates a session bank
// under the client's opaque bank and the whole session from it; a failed setup, or a session
// the driver kills while its client lives, destroys that bank (the kernel takes the mirror
// region with it) and gives back exactly the slots and index it took.
//
// The hostile opens sessions by hand, as any stack may (test/security/region-control.test.ts
// does the same), and fails them in every way it can: a limit set just short at its sub-bank or
// at the bank above it, so that each setup step in turn is the one that fails; a "bank" that
// is no bank; a region that is void, claimed already or not a region; bad geometry; a region
// address that is not where its region is. Right after each reply, before the hostile does
// anything else, the test compares the driver's state with what it was before the first OPEN
// and runs every invariant check. With the defence off (the test-only
// `driverAbandonsFailedSetups`) the attack leaves the honest neighbour without a mirror.

import { describe, expect, it } from 'vitest';
import type { DomainBody, DomainContext, GuestCode, Slot } from '../../guest/kernel/api/context.js';
import { isValid, rightsToNames } from '../../guest/kernel/caps.js';
import { walkPresent } from '../../guest/kernel/pagewalk.js';
import { GEOMETRY, REGION_VA, SESSION_FRAMES, SESSION_PINS, STACK_SLOTS, type Probe } from '../../guest/apps/raw-stack.js';
import { ClientSession } from '../../guest/session/client.js';
import { REGION_BYTES } from '../../guest/session/layout.js';
import { LABEL_OPEN, OPEN_STATUS } from '../../guest/session/protocol.js';
import { DEFAULTS, MIRROR_BASE } from '../../guest/netdriver/config.js';
import { PTE_A, PTE_D, PTE_FRAME_MASK } from '../../emulator/machine/paging.js';
import { runChecked, violations } from '../../emulator/cli/scenario/checks.js';
import { runUntilOpen, type UnsafeOptions } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world, type World } from '../../emulator/cli/scenario/frame-world.js';
import { framesTo, HOSTILE, nap, NEIGHBOUR } from './red-team.js';

const S = STACK_SLOTS;
/** The hostile's slots for one attempt: a bank above its session sub-bank, the sub-bank and its opaque copy, the region, the reply's notification, two spares. */
const OUTER = 10;
const SUB = 11;
const OPAQUE = 12;
const REGION = 13;
const NOTIFICATION = 14;
const OTHER = 15;
const OTHER_OPAQUE = 16;
/** Frames the driver's setup allocates for the default geometry: the session bank, the mirror's page table, the notification, the control page, the transmit pages, the receive buffers. */
const SETUP_FRAMES = 4 + GEOMETRY.txPages + GEOMETRY.rxBuffers;
/** OPEN's words for a region at `va`. */
const words = (va: number) => [GEOMETRY.ringSize, GEOMETRY.txPages, GEOMETRY.rxBuffers, va];

/** What one OPEN sends. */
interface Open {
  words: number[];
  caps: Slot[];
}

/** One way to make an OPEN fail: what the hostile sets up (its region at `va`, with the next 4 MiB free too), what it sends, and the status it must get. */
interface Way {
  name: string;
  status: string;
  prepare(ctx: DomainContext, mistakes: string[], va: number): GuestCode<Open>;
}

/** A step of the hostile's own preparation, which must work. */
function* must(mistakes: string[], what: string, r: GuestCode<{ ok: boolean; error?: string }>): GuestCode {
  const x = yield* r;
  if (!x.ok) mistakes.push(`${what}: ${x.error}`);
}

/** What an honest stack sends (client.ts openSession), with the sub-bank under a bank of its own (OUTER), or straight under its bank. */
function* honestRequest(ctx: DomainContext, mistakes: string[], va: number, outer = true): GuestCode<Open> {
  if (outer) yield* must(mistakes, 'outer', ctx.invoke(S.bank, 'allocBank', { dst: OUTER, limit: SESSION_FRAMES + 4, pinLimit: SESSION_PINS }));
  yield* must(mistakes, 'sub', ctx.invoke(outer ? OUTER : S.bank, 'allocBank', { dst: SUB, limit: SESSION_FRAMES, pinLimit: SESSION_PINS }));
  yield* must(mistakes, 'opaque', ctx.invoke(SUB, 'copy', { dst: OPAQUE, rights: [] }));
  yield* must(mistakes, 'delegate', ctx.invoke(S.space, 'delegate', { va, bank: SUB, dst: REGION }));
  return { words: words(va), caps: [OPAQUE, REGION] };
}

/** Set `bank`'s limit to what it uses now plus `slack`: the driver's allocation number slack + 1 fails. */
function* limitTo(ctx: DomainContext, mistakes: string[], bank: Slot, slack: number): GuestCode {
  const q = yield* ctx.invoke(bank, 'query', {});
  if (!q.ok) return void mistakes.push(`query: ${q.error}`);
  yield* must(mistakes, 'setLimit', ctx.invoke(bank, 'setLimit', { limit: q.value.usage + q.value.reserved + slack }));
}

const limitWay = (level: 'sub' | 'outer', slack: number, outer = true): Way => ({
  name: `${level} bank's limit its usage + ${slack}${outer ? '' : ', no bank above the sub-bank'}`,
  status: 'setup-failed',
  *prepare(ctx, mistakes, va) {
    const open = yield* honestRequest(ctx, mistakes, va, outer);
    yield* limitTo(ctx, mistakes, level === 'sub' ? SUB : OUTER, slack);
    return open;
  },
});

/** A limit at each step of the setup in turn, on a sub-bank straight under the stack's bank: cheap enough for a hostile to keep what each attempt made. */
const KEPT: readonly Way[] = Array.from({ length: SETUP_FRAMES }, (_, slack) => limitWay('sub', slack, false));
/** The attack, the cheapest of them: the limit at usage + 1 (before the defence the setup failed right after delegating the mirror). */
const CHEAP = KEPT[1]!;

/** The request with `change` applied to it (after the honest preparation). */
const twisted = (name: string, status: string, change: (ctx: DomainContext, open: Open, mistakes: string[], va: number) => GuestCode<Open>): Way => ({
  name, status,
  *prepare(ctx, mistakes, va) {
    return yield* change(ctx, yield* honestRequest(ctx, mistakes, va), mistakes, va);
  },
});
const asBank = (name: string, slot: Slot) => twisted(`as the bank: ${name}`, 'setup-failed', function* (_ctx, open) {
  return { words: open.words, caps: [slot, REGION] };
});
const badWords = (name: string, change: (words: number[]) => number[], caps?: Slot[]) => twisted(`bad geometry: ${name}`, 'bad-geometry', function* (_ctx, open) {
  return { words: change(open.words), caps: caps ?? open.caps };
});

/** Every way to fail, tried in turn. */
const WAYS: readonly Way[] = [
  ...Array.from({ length: SETUP_FRAMES }, (_, slack) => [limitWay('sub', slack), limitWay('outer', slack)]).flat(),
  CHEAP,
  asBank('its region', REGION),
  asBank('its space', S.space),
  asBank("the driver's endpoint", S.driver),
  asBank('an empty slot', OTHER),
  twisted('as the bank: a page', 'setup-failed', function* (ctx, open, mistakes) {
    yield* must(mistakes, 'page', ctx.invoke(SUB, 'allocPage', { dst: OTHER }));
    return { words: open.words, caps: [OTHER, REGION] };
  }),
  twisted('as the bank: an opaque copy of a destroyed bank', 'setup-failed', function* (ctx, open, mistakes) {
    yield* must(mistakes, 'other bank', ctx.invoke(OUTER, 'allocBank', { dst: OTHER, limit: 4 }));
    yield* must(mistakes, 'its copy', ctx.invoke(OTHER, 'copy', { dst: OTHER_OPAQUE, rights: [] }));
    yield* must(mistakes, 'destroy', ctx.invoke(OTHER, 'destroy', {}));
    return { words: open.words, caps: [OTHER_OPAQUE, REGION] };
  }),
  twisted('a region the stack claimed first', 'setup-failed', function* (ctx, open, mistakes) {
    yield* must(mistakes, 'claim', ctx.invoke(REGION, 'claim', { dst: OTHER }));
    return open;
  }),
  twisted('a region whose bank is gone', 'setup-failed', function* (ctx, _open, mistakes, va) {
    yield* must(mistakes, 'other bank', ctx.invoke(OUTER, 'allocBank', { dst: OTHER, limit: 4 }));
    yield* must(mistakes, 'delegate', ctx.invoke(S.space, 'delegate', { va: va + REGION_BYTES, bank: OTHER, dst: OTHER_OPAQUE }));
    yield* must(mistakes, 'destroy', ctx.invoke(OTHER, 'destroy', {}));
    return { words: words(va + REGION_BYTES), caps: [OPAQUE, OTHER_OPAQUE] };
  }),
  twisted('its space as the region', 'setup-failed', function* (_ctx, open) {
    return { words: open.words, caps: [OPAQUE, S.space] };
  }),
  twisted('the region address is not where the region is', 'setup-failed', function* (_ctx, open, _mistakes, va) {
    return { words: words(va + REGION_BYTES), caps: open.caps };
  }),
  badWords('ring size 3', ([, ...w]) => [3, ...w]),
  badWords('ring size 64', ([, ...w]) => [64, ...w]),
  badWords('no transmit page', ([r, , ...w]) => [r!, 0, ...w]),
  badWords('9 receive buffers', ([r, t, , va]) => [r!, t!, 9, va!]),
  badWords('region address not 4 MiB aligned', ([r, t, x, va]) => [r!, t!, x!, va! + 0x1000]),
  badWords('no words', () => []),
  badWords('one capability', (w) => w, [OPAQUE]),
];

interface Attack {
  ways: readonly Way[];
  opens: number;
  /** Destroy each attempt's banks once its reply was checked (1,000 attempts would not fit in the stack's bank otherwise). */
  cleanUp: boolean;
  /** Called before the first OPEN and right after each reply, before the hostile does anything else. */
  observe: (k: number) => void;
  statuses: string[];
  mistakes: string[];
}

/** The hostile stack: OPEN after OPEN, each failed one of the ways in turn; then it reports itself done through its probe. */
function hostile(a: Attack) {
  return (_i: number, probe: Probe): DomainBody =>
    function* (ctx: DomainContext): GuestCode {
      a.observe(-1);
      for (let k = 0; k < a.opens; k++) {
        const way = a.ways[k % a.ways.length]!;
        // A hostile that keeps what it made needs a fresh region address for each attempt.
        const { words, caps } = yield* way.prepare(ctx, a.mistakes, REGION_VA + (a.cleanUp ? 0 : 2 * k * REGION_BYTES));
        const reply = yield* ctx.invoke(S.driver, 'call', { label: LABEL_OPEN, words, caps, capSlots: [NOTIFICATION] });
        const status = reply.ok ? (OPEN_STATUS[reply.value.words[0]!] ?? 'bad-status') : reply.error;
        a.statuses.push(status === way.status ? way.status : `${way.name}: ${status}`);
        a.observe(k);
        if (!a.cleanUp) continue;
        for (const bank of [OUTER, SUB]) yield* ctx.invoke(bank, 'destroy', {});
        for (const slot of [OTHER, OTHER_OPAQUE, NOTIFICATION]) yield* ctx.invoke(slot, 'drop', {});
      }
      probe.status = 'done';
    };
}

/** What the driver keeps, as an observer outside the machine reads it. */
interface DriverState {
  /** Each capability slot: kind and rights, 'void', or empty. */
  slots: string[];
  freeSlots: number;
  /** The free list itself, in the order the slots will be taken. */
  freeList: number[];
  mirrorFree: number[];
  sessions: string[];
  nextId: number;
  counters: string;
  /** The driver's own bank: usage, reserved, pins. */
  bank: number[];
  /** Present PDEs of its space, read from memory (index, entry without the accessed and dirty bits, which the MMU sets). */
  directory: number[][];
  /** Present PTEs of its space, read from memory (va, flags without accessed and dirty), and the frames they map. */
  ptes: number[][];
  frames: number[];
  /** The kernel's record of the space's page tables. */
  tables: number[];
}

const AD = PTE_A | PTE_D;

function driverState(w: World): DriverState {
  const d = w.view.driver!;
  const dom = w.driverDomain;
  const st: DriverState = {
    slots: dom.slots.map((c) => (c === null || c === undefined ? '' : isValid(c) ? `${c.obj.kind} ${rightsToNames(c.rights).join('+')}` : 'void')),
    freeSlots: d.slots.available,
    freeList: d.slots.list(),
    mirrorFree: [...d.mirrorFree],
    sessions: d.sessions.map((s) => `#${s.id} badge ${s.badge} mirror ${s.mirrorIndex}`),
    nextId: d.nextId,
    counters: JSON.stringify(d.counters),
    bank: [w.driverBank.usage, w.driverBank.reserved, w.driverBank.pins],
    directory: [], ptes: [], frames: [],
    tables: [...dom.space.tables.keys()].sort((x, y) => x - y),
  };
  walkPresent(w.kernel.state.hw, dom.space.pd, (i, e) => (st.directory.push([i, (e & ~AD) >>> 0]), true), (va, e) => {
    st.ptes.push([va, e & 0xfff & ~AD]);
    st.frames.push((e & PTE_FRAME_MASK) >>> 12);
  });
  return st;
}

/** The PDEs of the driver's mirror area that are present (a delegated mirror region has one). */
const mirrorPdes = (s: DriverState) => s.directory.filter(([i]) => i! >= MIRROR_BASE >>> 22 && i! < (MIRROR_BASE >>> 22) + DEFAULTS.maxSessions);

/** Run the attack: the hostile (priority 5) first, then the honest neighbour (priority 4, the raw stack) opens. */
function attack(o: { ways: readonly Way[]; opens: number; cleanUp: boolean; unsafe?: UnsafeOptions }) {
  let w: World | undefined;
  let before: DriverState | undefined;
  let after: DriverState | undefined;
  const changed: string[] = [];
  const seen: string[] = [];
  const a: Attack = {
    ...o, statuses: [], mistakes: [],
    observe(k) {
      const now = driverState(w!);
      if (k < 0) before = now;
      else after = now;
      if (k >= 0 && changed.length < 3 && JSON.stringify(now) !== JSON.stringify(before)) changed.push(`after OPEN ${k}: ${JSON.stringify(now)}`);
      for (const v of violations(w!)) if (seen.length < 10) seen.push(`after OPEN ${k}: ${v}`);
    },
  };
  w = world({ mode: 'busmaster', strategy: 'flip', stacks: 2, unsafe: o.unsafe, priority: (i) => (i === HOSTILE ? 5 : 4), body: (i, probe) => (i === HOSTILE ? hostile(a)(i, probe) : undefined) });
  runUntilOpen(w, 400_000_000);
  return { w, a, before: before!, after: after!, changed, seen, hostile: w.clients[HOSTILE]!, neighbour: w.clients[NEIGHBOUR]! };
}

/** Frames to the neighbour, delivered to it intact, with every check run along. */
function neighbourTraffic(w: World): void {
  const frames = framesTo(NEIGHBOUR, 8);
  const end = sendSpaced(w, frames, 60_000);
  runChecked(w, end - w.machine.now + 2_000_000, 100_000);
  expect(w.clients[NEIGHBOUR]!.probe.received.map((r) => r.frame)).toEqual(frames);
}

describe('attack 5: poisoned driver state from a failed OPEN', () => {
  it('a limit at usage + n fails allocation n + 1 of the setup: each step fails in turn, and one frame more opens the session', () => {
    const ways = [...Array.from({ length: SETUP_FRAMES }, (_, slack) => limitWay('sub', slack)), { ...limitWay('sub', SETUP_FRAMES), status: 'ok' }];
    const { a } = attack({ ways, opens: ways.length, cleanUp: true });
    expect(a.mistakes).toEqual([]);
    expect(a.statuses).toEqual([...new Array(SETUP_FRAMES).fill('setup-failed'), 'ok']);
  });

  it('1,000 failed OPENs leave the driver exactly as it was; the honest neighbour then opens and its traffic flows', () => {
    const { w, a, before, after, changed, seen, neighbour } = attack({ ways: WAYS, opens: 1000, cleanUp: true });
    expect(a.mistakes).toEqual([]);
    expect(a.statuses).toEqual(Array.from({ length: 1000 }, (_, k) => WAYS[k % WAYS.length]!.status));
    // Right after every reply: the same slots, free lists, sessions, counters, bank and page tables; every check holds.
    expect(changed).toEqual([]);
    expect(seen).toEqual([]);
    expect(after).toEqual(before);
    expect(before.mirrorFree).toHaveLength(DEFAULTS.maxSessions);
    expect(mirrorPdes(before)).toEqual([]);
    expect(before.sessions).toEqual([]);
    // The neighbour gets the first mirror, as it would have without the attack.
    expect(neighbour.probe.status).toBe('open');
    expect(w.view.driver!.sessions.map((s) => [s.badge, s.mirrorIndex])).toEqual([[NEIGHBOUR + 1, before.mirrorFree.at(-1)]]);
    neighbourTraffic(w);
  });

  it('36 failed OPENs whose sub-banks and regions the hostile keeps, failing at every step in turn, change nothing in the driver', () => {
    const { w, a, changed, seen, neighbour, hostile: h } = attack({ ways: KEPT, opens: 36, cleanUp: false });
    expect(a.mistakes).toEqual([]);
    expect(a.statuses).toEqual(new Array(36).fill('setup-failed'));
    expect([changed, seen]).toEqual([[], []]);
    expect(h.bank.usage).toBeGreaterThanOrEqual(2 + 36 * 2); // its space and domain, and every sub-bank and region it made
    expect(neighbour.probe.status).toBe('open');
    neighbourTraffic(w);
  });

  it("with the defence off, the issue's attack (36 OPENs, the sub-bank's limit at usage + 1) leaves a mirror delegated and no other, and the neighbour's OPEN fails", () => {
    const { a, before, after, changed, neighbour } = attack({ ways: [CHEAP], opens: 36, cleanUp: false, unsafe: { driverAbandonsFailedSetups: true } });
    expect(a.statuses).toEqual(new Array(36).fill('setup-failed'));
    expect(changed[0]).toMatch(/^after OPEN 0: /); // the very first failed OPEN already left a trace
    // One mirror index is left, still delegated (its PDE present, paid by the hostile); the good ones were dropped for it.
    expect(after.mirrorFree).toEqual([before.mirrorFree.at(-1)]);
    expect(mirrorPdes(after)).toHaveLength(1);
    expect(neighbour.probe.status).toBe('setup-failed');
  });
});

describe('a session killed while its client lives', () => {
  /** The bank that pays only for the hostile's first region, and the slots of its second session. */
  const REGION_BANK = 20;
  const SECOND = { sub: 21, opaque: 22, region: 23, notification: 24 };
  const SECOND_VA = REGION_VA + 2 * REGION_BYTES;

  interface Seen {
    first?: string;
    second?: string;
    regionGone?: boolean;
    /** The driver's state just before the first OPEN and once the driver has killed that session. */
    before?: DriverState;
    afterKill?: DriverState;
    /** The mirror index of each session the hostile opened. */
    mirrors: number[];
  }

  /** An OPEN by hand: its status, and (host side) the mirror index the driver gave the hostile's session. */
  function* open(ctx: DomainContext, w: () => World, words: number[], caps: Slot[], notification: Slot, seen: Seen): GuestCode<string> {
    const reply = yield* ctx.invoke(S.driver, 'call', { label: LABEL_OPEN, words, caps, capSlots: [notification] });
    const status = reply.ok ? (OPEN_STATUS[reply.value.words[0]!] ?? 'bad-status') : reply.error;
    const session = w().view.driver!.sessions.find((x) => x.badge === HOSTILE + 1);
    if (status === 'ok' && session) seen.mirrors.push(session.mirrorIndex);
    return status;
  }

  /**
   * The hostile (below the neighbour's priority, so it starts once the neighbour's session is
   * open) opens a session whose region is paid by a bank of its own apart from the sub-bank it
   * hands the driver, posts its buffers, and destroys that bank: the region is gone while the
   * session bank and the client live. The driver kills the session the next time it maps into
   * the region (the exchange of a misplaced frame, flip). Then the hostile opens again.
   */
  function killed(seen: Seen, w: () => World) {
    return (_i: number, probe: Probe): DomainBody =>
      function* (ctx: DomainContext): GuestCode {
        const g = GEOMETRY;
        seen.before = driverState(w());
        yield* ctx.invoke(S.bank, 'allocBank', { dst: SUB, limit: SESSION_FRAMES, pinLimit: SESSION_PINS });
        yield* ctx.invoke(SUB, 'copy', { dst: OPAQUE, rights: [] });
        yield* ctx.invoke(S.bank, 'allocBank', { dst: REGION_BANK, limit: 2 });
        yield* ctx.invoke(S.space, 'delegate', { va: REGION_VA, bank: REGION_BANK, dst: REGION });
        seen.first = yield* open(ctx, w, words(REGION_VA), [OPAQUE, REGION], NOTIFICATION, seen);
        if (seen.first !== 'ok') return;
        // The session library's rings, to post its buffers (the session's id and address do not matter here).
        const s = new ClientSession(ctx, S, g, REGION_VA, 0, 0, SUB, NOTIFICATION);
        yield* s.post(Array.from({ length: g.rxBuffers }, (_, b) => b));
        yield* s.kick();
        seen.regionGone = (yield* ctx.invoke(REGION_BANK, 'destroy', {})).ok;
        // Frames come meanwhile; by the end of this nap the driver has killed the session and released it.
        yield* nap(ctx, 4_000_000);
        seen.afterKill = driverState(w());
        yield* ctx.invoke(S.bank, 'allocBank', { dst: SECOND.sub, limit: SESSION_FRAMES, pinLimit: SESSION_PINS });
        yield* ctx.invoke(SECOND.sub, 'copy', { dst: SECOND.opaque, rights: [] });
        yield* ctx.invoke(S.space, 'delegate', { va: SECOND_VA, bank: SECOND.sub, dst: SECOND.region });
        seen.second = yield* open(ctx, w, words(SECOND_VA), [SECOND.opaque, SECOND.region], SECOND.notification, seen);
        probe.status = 'done';
      };
  }

  function run(unsafe?: UnsafeOptions) {
    const seen: Seen = { mirrors: [] };
    const w: World = world({
      mode: 'busmaster', strategy: 'flip', stacks: 2, unsafe, priority: (i) => (i === HOSTILE ? 4 : 5),
      body: (i, probe) => (i === HOSTILE ? killed(seen, () => w)(i, probe) : undefined),
    });
    while (!seen.regionGone && w.machine.now < 50_000_000) w.machine.runFor(100_000);
    // Frames for the neighbour, some of which the card puts in the hostile's buffers: the exchange finds the hostile's region gone.
    const end = sendSpaced(w, framesTo(NEIGHBOUR, 12), 60_000);
    runChecked(w, end - w.machine.now, 100_000);
    runUntilOpen(w);
    return { w, seen };
  }

  it('its session bank is destroyed: the driver is as before the OPEN, the mirror goes back clean, and the next OPEN reuses it', () => {
    const { w, seen } = run();
    expect(seen.first).toBe('ok');
    expect(w.view.driver!.counters.sessionsClosed).toBe(1);
    expect(isValid(w.clients[HOSTILE]!.domain!.slots[SUB])).toBe(true); // the client never destroyed the sub-bank it gave the driver
    // As before the OPEN, but for what traffic changes: counters, the next session id, the frames flip gave the neighbour's mirror.
    const same = (s: DriverState) => ({ ...s, counters: '', nextId: 0, frames: [] });
    expect(same(seen.afterKill!)).toEqual(same(seen.before!));
    expect(mirrorPdes(seen.afterKill!)).toHaveLength(1); // the neighbour's
    expect(seen.second).toBe('ok');
    expect(seen.mirrors).toEqual([seen.before!.mirrorFree.at(-1), seen.before!.mirrorFree.at(-1)]);
    // The neighbour is unharmed: everything sent to it now arrives (the hostile's second session posted nothing).
    const received = w.clients[NEIGHBOUR]!.probe.received.length;
    const frames = framesTo(NEIGHBOUR, 6);
    runChecked(w, sendSpaced(w, frames, 60_000) - w.machine.now + 2_000_000, 100_000);
    expect(w.clients[NEIGHBOUR]!.probe.received.slice(received).map((r) => r.frame)).toEqual(frames);
  });

  it('with the defence off, the killed session leaves its mirror delegated, and the next OPEN fails', () => {
    const { w, seen } = run({ driverAbandonsFailedSetups: true });
    expect(seen.first).toBe('ok');
    expect(w.view.driver!.counters.sessionsClosed).toBe(1);
    expect(mirrorPdes(seen.afterKill!)).toHaveLength(2); // the neighbour's, and the dead session's
    expect(seen.second).toBe('setup-failed');
  });
});
