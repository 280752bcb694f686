// Attack 4 (issue 9): unbounded limits. A client holding its bank with the `limits` right
// could raise its own limit and take every free frame, so that a neighbour's allocations fail
// ('limit' at the prime bank) and its transmits with them (a pin needs a free frame promised).
// Defences (net.ts, DESIGN.md §4 "Capability discipline"): a client's bank capability carries
// allocate, destroy, free and query but not `limits`; the prime bank's limit is the machine's
// free frames; and a composition whose banks' limits together exceed them is refused, so every
// frame within a client's limit is there for it whatever the others do.
//
// Four clients, with the default client limit and with one that reserves all of memory (the
// clients' limits, with the driver's, leave fewer free frames than there are clients). The
// hostile (running first, at a higher priority) tries to raise its limits and then allocates
// all it can; each neighbour then opens a session, transmits, and allocates up to its limit. With the defence off (the test-only
// `clientsChangeLimits`: the `limits` right, and no refusal) the hostile takes the machine.

import { describe, expect, it } from 'vitest';
import type { BankUsage, DomainContext, GuestCode } from '../../guest/kernel/api/context.js';
import { bootKernel } from '../../guest/kernel/kernel.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { STACK_SLOTS } from '../../guest/apps/raw-stack.js';
import type { ClientSession } from '../../guest/session/client.js';
import { TX_SENT } from '../../guest/session/layout.js';
import { Machine } from '../../emulator/machine/machine.js';
import {
  CARD_MAC, CLIENT_BANK_FRAMES, CompositionError, DRIVER_BANK_FRAMES, framesReserved, ipOf, MEMORY_BYTES, PEER_IP, PEER_MAC, runUntilOpen, type UnsafeOptions,
} from '../../emulator/cli/scenario/net.js';
import { world } from '../../emulator/cli/scenario/frame-world.js';
import { HOSTILE, outcome } from './red-team.js';

const S = STACK_SLOTS;
const CLIENTS = 4;
const SENDS = 4;
/** Where the allocators put each page they take (the page stays allocated when the slot is overwritten). */
const SCRATCH = 30;

/** Frames the prime bank has free after boot, on the composition's machine. */
function freeAfterBoot(): number {
  const kernel = bootKernel(new Machine({ memoryBytes: MEMORY_BYTES }));
  return kernel.state.frames.freeCount;
}
const FREE = freeAfterBoot();
/** The largest client limit with which CLIENTS clients and the driver still fit. */
const FULL = Math.floor((FREE - DRIVER_BANK_FRAMES - 1) / CLIENTS) - 1;

interface Taken {
  setLimit?: string;
  setPinLimit?: string;
  pages: number;
  stoppedBy?: string;
  usage?: BankUsage;
  sent: number[];
}

/** Allocate pages from the stack's bank until refused; then read the bank's figures. */
function* allocateAll(ctx: DomainContext, t: Taken): GuestCode {
  for (;;) {
    const r = yield* ctx.invoke(S.bank, 'allocPage', { dst: SCRATCH });
    if (!r.ok) {
      t.stoppedBy = r.error;
      break;
    }
    t.pages++;
  }
  const q = yield* ctx.invoke(S.bank, 'query', {});
  if (q.ok) t.usage = q.value;
}

function* hog(ctx: DomainContext, t: Taken): GuestCode {
  t.setLimit = outcome(yield* ctx.invoke(S.bank, 'setLimit', { limit: 1_000_000 }));
  t.setPinLimit = outcome(yield* ctx.invoke(S.bank, 'setPinLimit', { limit: 1_000_000 }));
  yield* allocateAll(ctx, t);
}

/** A neighbour, once its session is open: wait for its transmits to complete, then allocate up to its limit. */
function neighbour(t: Taken) {
  return function* (ctx: DomainContext, s: ClientSession): GuestCode {
    while (t.sent.length < SENDS && (yield* s.wait()) !== 0) t.sent.push(...(yield* s.completions()).map(([, status]) => status));
    yield* allocateAll(ctx, t);
  };
}

function attack(clientFrames: number, unsafe?: UnsafeOptions) {
  const taken = Array.from({ length: CLIENTS }, (): Taken => ({ pages: 0, sent: [] }));
  const w = world({
    mode: 'busmaster', strategy: 'flip', stacks: CLIENTS, clientFrames, unsafe,
    body: (i) => (i === HOSTILE ? (ctx) => hog(ctx, taken[i]!) : undefined),
    stack: (i) => ({
      send: Array.from({ length: SENDS }, (_, k) => ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(i), dst: PEER_IP, payload: new Uint8Array(200).fill(k) })),
      body: neighbour(taken[i]!),
    }),
    priority: (i) => (i === HOSTILE ? 5 : 4),
  });
  const neighbours = w.clients.filter((_, i) => i !== HOSTILE);
  runUntilOpen(w, 50_000_000, neighbours);
  w.machine.runFor(10_000_000);
  return { w, taken, neighbours };
}

describe('attack 4: unbounded limits', () => {
  it("the prime bank's limit is the machine's free frames after boot", () => {
    const kernel = bootKernel(new Machine({ memoryBytes: MEMORY_BYTES }));
    // 16 MiB: 4096 frames, less the 1 MiB the kernel keeps (256) and the kernel's page directory.
    expect(kernel.primeBank.limit).toBe(kernel.state.frames.freeCount);
    expect(kernel.primeBank.limit).toBe(4096 - 256 - 1);
  });

  it('a composition whose bank limits exceed the free frames is refused, naming the figures', () => {
    expect(() => world({ mode: 'busmaster', strategy: 'flip', stacks: CLIENTS, clientFrames: FULL })).not.toThrow();
    expect(() => world({ mode: 'busmaster', strategy: 'flip', stacks: CLIENTS, clientFrames: FULL + 1 })).toThrow(
      new CompositionError(
        `composition refused: the driver's bank (${DRIVER_BANK_FRAMES} frames) and ${CLIENTS} client banks of ${FULL + 1} frames, ` +
          `with one frame for each bank itself, need ${framesReserved(CLIENTS, FULL + 1)} frames; the machine has ${FREE} free after boot`,
      ),
    );
    expect(framesReserved(40)).toBeGreaterThan(FREE);
    expect(() => world({ mode: 'busmaster', strategy: 'flip', stacks: 40 })).toThrow(/need \d+ frames; the machine has \d+ free after boot/);
    expect(framesReserved(CLIENTS, CLIENT_BANK_FRAMES)).toBeLessThanOrEqual(FREE); // the defaults fit
  });

  it('RAM sized to the composition: 4 MiB holds the driver and two clients; too little is refused, naming memoryBytes', () => {
    const w = world({ mode: 'busmaster', strategy: 'copy', stacks: 2, memoryBytes: 4 << 20 });
    expect(w.machine.memory.frames).toBe(1024);
    runUntilOpen(w);
    expect(w.clients.map((c) => c.probe.status)).toEqual(['open', 'open']);
    expect(() => world({ mode: 'busmaster', strategy: 'copy', stacks: 2, memoryBytes: 2 << 20 })).toThrow(/need 443 frames; the machine has 255 free after boot with memoryBytes 2097152 \(2867200 would do\)/);
    expect(() => world({ mode: 'busmaster', strategy: 'copy', stacks: 2, memoryBytes: 1 << 20 })).toThrow(CompositionError);
    expect(() => world({ mode: 'busmaster', strategy: 'copy', stacks: 2, memoryBytes: 1 << 20 })).toThrow(/memoryBytes 1048576 does not even hold the kernel's 257 frames/);
  });

  for (const [what, limit] of [['the default client limit', CLIENT_BANK_FRAMES], ['all of memory reserved', FULL]] as const) {
    it(`${what}: the hostile cannot raise its limits; every neighbour opens, transmits, and allocates its whole limit`, () => {
      const { w, taken, neighbours } = attack(limit);
      const hostile = taken[HOSTILE]!;
      expect([hostile.setLimit, hostile.setPinLimit]).toEqual(['no-rights', 'no-rights']);
      expect(hostile.stoppedBy).toBe('limit');
      expect(hostile.usage!.usage + hostile.usage!.reserved).toBe(limit); // it took all it is allowed, and no more
      for (const c of neighbours) {
        const i = w.clients.indexOf(c);
        const t = taken[i]!;
        expect(c.probe.status, `stack ${i}`).toBe('open');
        expect(t.sent).toEqual(new Array(SENDS).fill(TX_SENT));
        expect(t.stoppedBy).toBe('limit');
        expect(t.usage!.usage + t.usage!.reserved).toBe(limit);
        expect(t.pages).toBeGreaterThan(limit / 2);
      }
      w.kernel.assertInvariants();
    });
  }

  it('with the defence off (clients may change limits), the hostile takes every frame and the neighbours cannot even open', () => {
    const { taken, neighbours } = attack(FULL, { clientsChangeLimits: true });
    const hostile = taken[HOSTILE]!;
    expect([hostile.setLimit, hostile.setPinLimit]).toEqual(['ok', 'ok']);
    expect(hostile.pages).toBeGreaterThan(FULL * (CLIENTS - 1));
    for (const c of neighbours) expect(c.probe.status).toBe('allocBank: limit');
  });
});
