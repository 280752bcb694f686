// The capability discipline (DESIGN.md §4; issue 9): every capability a domain of the default
// scenario holds, read from the kernel's own slot tables once every session is open, against
// the list below of what each role may hold. The list is the documentation of the discipline:
// a capability of a kind, or with a right or badge, that its role's list does not name fails
// the test. The same for the monolithic topology's shared stack server, its session
// forwarders and the clients' application domains.

import { describe, expect, it } from 'vitest';
import type { ObjectKind, Right } from '../../guest/kernel/api/context.js';
import { isValid, rightsToNames } from '../../guest/kernel/caps.js';
import type { Domain } from '../../guest/kernel/domains.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import { FORWARDER_BADGE } from '../../guest/netdriver/config.js';
import { BOOT_DEFAULTS, composeBoot } from '../../emulator/cli/scenario/boot.js';
import { composeMonolithic } from '../../emulator/cli/scenario/monolithic.js';
import { runUntilOpen } from '../../emulator/cli/scenario/net.js';

interface Held {
  slot: number;
  kind: ObjectKind;
  rights: Right[];
  badge: number;
  /** For a bank: whether it hangs directly under the prime bank (a top bank the composition gave out). */
  topBank?: boolean;
}

interface Allowed {
  kind: ObjectKind;
  rights: Right[];
  /** The badge it must carry (0 when not given). */
  badge?: number;
  /** For a bank: directly under the prime bank or not (either when not given). */
  topBank?: boolean;
  why: string;
}

/** What each role may hold. */
function allowed(role: 'driver' | 'forwarder' | 'stack', stack = 0): Allowed[] {
  switch (role) {
    case 'driver':
      return [
        { kind: 'devpriv', rights: ['write'], why: "the card's ports, IRQ and the right to pin" },
        { kind: 'bank', rights: [], topBank: true, why: 'its own bank: allocation only' },
        { kind: 'bank', rights: ['destroy'], topBank: false, why: "each session's bank, allocated from the client's opaque bank (the client pays): the driver allocates from it, and destroys it when the session fails or ends" },
        { kind: 'space', rights: ['write'], why: 'its own space' },
        { kind: 'endpoint', rights: ['read', 'write'], why: 'its endpoint: the only receive right on it' },
        { kind: 'domain', rights: [], why: 'its IRQ forwarder' },
        { kind: 'page', rights: ['read', 'write'], why: "its own pages, and the pages it allocated for sessions from their session banks" },
        { kind: 'region', rights: ['write'], why: "each stack's claimed region, and its own mirror of it" },
        { kind: 'notification', rights: ['read', 'write'], why: "each session's notification, which it allocated and signals" },
      ];
    case 'forwarder':
      return [
        { kind: 'notification', rights: ['read'], why: 'the IRQ notification: wait only' },
        { kind: 'endpoint', rights: ['write'], badge: FORWARDER_BADGE, why: "the driver's endpoint: send only, with the forwarder's badge" },
      ];
    case 'stack':
      return [
        { kind: 'bank', rights: ['destroy', 'free', 'query'], topBank: true, why: 'its own bank: allocate, destroy, free, query; never change limits' },
        { kind: 'bank', rights: ['destroy', 'free', 'limits', 'query'], topBank: false, why: "its session's sub-bank, which it made: its limits are bounded by its own bank's" },
        { kind: 'space', rights: ['write'], why: 'its own space' },
        { kind: 'endpoint', rights: ['write'], badge: stack + 1, why: "the driver's endpoint: send only, badged with its identity" },
        { kind: 'notification', rights: ['read'], why: "its session's notification: wait only" },
      ];
  }
}

/** Every valid capability in a domain's slots (a void one behaves as null, so it is not held). */
function held(d: Domain): Held[] {
  return d.slots.flatMap((c, slot) => {
    if (!isValid(c)) return [];
    const h: Held = { slot, kind: c.obj.kind, rights: rightsToNames(c.rights), badge: c.badge };
    if (c.obj.kind === 'bank') h.topBank = c.obj.parent?.parent === undefined;
    return [h];
  });
}

const fits = (h: Held, a: Allowed) =>
  h.kind === a.kind && h.rights.join() === a.rights.join() && h.badge === (a.badge ?? 0) && (a.topBank === undefined || a.topBank === h.topBank);

/** One test per role: it holds nothing beyond its list, and every entry of the list is in use. */
function holdsOnlyItsList(roles: readonly [string, Domain, Allowed[]][]): void {
  for (const [name, d, list] of roles) {
    it(`${name} holds nothing beyond its list, and every entry of the list is in use`, () => {
      const caps = held(d);
      expect(caps.filter((h) => !list.some((a) => fits(h, a)))).toEqual([]);
      expect(list.filter((a) => !caps.some((h) => fits(h, a))).map((a) => a.why)).toEqual([]);
    });
  }
}

describe('capability discipline of the default scenario', () => {
  const { net, probes } = composeBoot({ ...BOOT_DEFAULTS });
  runUntilOpen(net);
  const byName = new Map(net.kernel.state.domains.map((d) => [d.name, d]));
  const roles: [string, Domain, Allowed[]][] = [
    ['netdriver', byName.get('netdriver')!, allowed('driver')],
    ['netdriver.irq', byName.get('netdriver.irq')!, allowed('forwarder')],
    ...net.clients.map((c, i): [string, Domain, Allowed[]] => [`stack${i}`, c.domain!, allowed('stack', i)]),
  ];

  it('every session is open and every domain is accounted for', () => {
    expect(probes.map((p) => p.status)).toEqual(['open', 'open']);
    expect([...byName.keys()].sort()).toEqual(roles.map(([name]) => name).sort());
  });

  holdsOnlyItsList(roles);

  it('each stack holds exactly its bank, space, send-only badged endpoint, session sub-bank and wait-only notification', () => {
    for (const [i, c] of net.clients.entries()) {
      expect(held(c.domain!).map(({ slot, kind, rights, badge }) => ({ slot, kind, rights, badge }))).toEqual([
        { slot: STACK_SLOTS.bank, kind: 'bank', rights: ['destroy', 'free', 'query'], badge: 0 },
        { slot: STACK_SLOTS.space, kind: 'space', rights: ['write'], badge: 0 },
        { slot: STACK_SLOTS.driver, kind: 'endpoint', rights: ['write'], badge: i + 1 },
        { slot: STACK_SLOTS.free[0], kind: 'bank', rights: ['destroy', 'free', 'limits', 'query'], badge: 0 },
        { slot: STACK_SLOTS.free[3], kind: 'notification', rights: ['read'], badge: 0 },
      ]);
      // The region capability it delegated and kept is still in its slot, void: the driver claimed the region.
      const region = c.domain!.slots[STACK_SLOTS.free[2]];
      expect(region?.obj.kind).toBe('region');
      expect(isValid(region)).toBe(false);
    }
  });

  it('the forwarder holds exactly its wait-only notification and send-only badged endpoint', () => {
    expect(held(byName.get('netdriver.irq')!).map(({ kind, rights, badge }) => ({ kind, rights, badge }))).toEqual([
      { kind: 'notification', rights: ['read'], badge: 0 },
      { kind: 'endpoint', rights: ['write'], badge: FORWARDER_BADGE },
    ]);
  });

  it("only the driver can receive on its endpoint, and nobody holds a top bank's limits or the prime bank", () => {
    const all = roles.flatMap(([name, d]) => held(d).map((h) => ({ name, h, cap: d.slots[h.slot]! })));
    expect(all.filter(({ h }) => h.kind === 'endpoint' && h.rights.includes('read')).map(({ name }) => name)).toEqual(['netdriver']);
    expect(all.filter(({ h }) => h.topBank && h.rights.includes('limits'))).toEqual([]);
    expect(all.filter(({ cap }) => cap.obj === net.kernel.primeBank)).toEqual([]);
  });
});

/** The monolithic topology's roles (emulator/cli/scenario/monolithic.ts): the shared stack server, its session forwarders, the clients' application domains. */
function allowedMonolithic(role: 'server' | 'session-forwarder' | 'application', client = 0, clients = 2): Allowed[] {
  switch (role) {
    case 'server':
      return [
        { kind: 'bank', rights: [], topBank: true, why: "its own bank and every client's bank: allocation only (it opens a client's session from the client's bank, never destroys or inspects it)" },
        { kind: 'bank', rights: ['destroy', 'free', 'limits', 'query'], topBank: false, why: "each session's sub-bank, which it made from the client's bank: destroyed to drop a client" },
        { kind: 'space', rights: ['write'], why: 'its own space' },
        { kind: 'endpoint', rights: ['read', 'write'], why: 'its endpoint: the only receive right on it' },
        ...Array.from({ length: clients }, (_, k): Allowed => ({ kind: 'endpoint', rights: ['write'], badge: k + 1, why: `the driver's endpoint badged ${k + 1}: client ${k}'s session, send only` })),
        { kind: 'notification', rights: ['read', 'write'], why: 'its own notification, bound to its recv' },
        { kind: 'notification', rights: ['write'], why: "the signal-only copy it gives its forwarders, and each application domain's notification: signal only" },
        { kind: 'notification', rights: ['read'], why: "each session's notification, as the driver hands it over: wait only" },
        { kind: 'domain', rights: [], why: 'its session forwarders' },
      ];
    case 'session-forwarder':
      return [
        { kind: 'notification', rights: ['read'], why: "its session's notification: wait only" },
        { kind: 'notification', rights: ['write'], why: "the server's notification: signal only" },
      ];
    case 'application':
      return [
        { kind: 'bank', rights: ['destroy', 'free', 'query'], topBank: true, why: 'its own bank: allocate, destroy, free, query; never change limits' },
        { kind: 'space', rights: ['write'], why: 'its own space' },
        { kind: 'endpoint', rights: ['write'], badge: client + 1, why: "the server's endpoint: send only, badged with its identity" },
        { kind: 'notification', rights: ['read', 'write'], why: 'its own notification, which the server signals' },
        { kind: 'notification', rights: ['write'], why: 'the signal-only copy it handed the server' },
        { kind: 'page', rights: ['read', 'write'], why: 'the pages of its shared region, from its own bank' },
      ];
  }
}

describe('capability discipline of the monolithic topology', () => {
  const w = composeMonolithic({ mode: 'busmaster', strategy: 'flip', clients: 2, seed: 1, noExercisers: true });
  while (w.apps.some((a) => a.status === undefined) || w.server.exchanges.some((n) => n === 0)) w.net.machine.runFor(200_000);
  const byName = new Map(w.net.kernel.state.domains.map((d) => [d.name, d]));
  const roles: [string, Domain, Allowed[]][] = [
    ['netdriver', byName.get('netdriver')!, allowed('driver')],
    ['netdriver.irq', byName.get('netdriver.irq')!, allowed('forwarder')],
    ['stackserver', byName.get('stackserver')!, allowedMonolithic('server')],
    ...[0, 1].map((k): [string, Domain, Allowed[]] => [`stackserver.session${k}`, byName.get(`stackserver.session${k}`)!, allowedMonolithic('session-forwarder')]),
    ...w.net.clients.map((c, i): [string, Domain, Allowed[]] => [`stack${i}`, c.domain!, allowedMonolithic('application', i)]),
  ];

  it('every client is set up and every domain is accounted for', () => {
    expect(w.apps.map((a) => a.status)).toEqual(['open', 'open']);
    expect([...byName.keys()].sort()).toEqual(roles.map(([name]) => name).sort());
  });

  holdsOnlyItsList(roles);

  it("only the driver and the server receive on their endpoints; no client holds another's bank, and nobody a top bank's destroy but its owner", () => {
    const all = roles.flatMap(([name, d]) => held(d).map((h) => ({ name, h, cap: d.slots[h.slot]! })));
    expect(all.filter(({ h }) => h.kind === 'endpoint' && h.rights.includes('read')).map(({ name }) => name).sort()).toEqual(['netdriver', 'stackserver']);
    expect(all.filter(({ h }) => h.topBank && h.rights.includes('limits'))).toEqual([]);
    expect(all.filter(({ cap }) => cap.obj === w.net.kernel.primeBank)).toEqual([]);
    for (const [i, c] of w.net.clients.entries()) {
      const holders = all.filter(({ cap }) => cap.obj === c.bank);
      expect(holders.filter(({ h }) => h.rights.length > 0).map(({ name }) => name)).toEqual([`stack${i}`]);
    }
  });
});
