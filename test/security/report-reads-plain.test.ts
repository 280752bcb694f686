// A hostile application in a client's stack domain against the composition root: it leaves a
// getter (with a setter, so its own stack keeps counting) on the stack's counters and a proxy
// in place of its drop counters, for the boot scenario's report to run when it reads them
// after the run. The report reads a stack's counters as plain data through property
// descriptors (emulator/cli/scenario/plain.ts): nothing the domain left runs, the client's
// counters are refused and the report says so, the run and the other client are unharmed.
// With the defence switched off (the report spreading the counters), the getter runs.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun, type BootOptions } from '../../emulator/cli/scenario/boot.js';
import { DiscardServer } from '../../guest/apps/discard-server.js';
import { EchoServer } from '../../guest/apps/echo-server.js';
import { HttpServer } from '../../guest/apps/http-server.js';
import type { App } from '../../guest/apps/app.js';
import type { NetStack } from '../../guest/netstack/stack.js';

/** What the hostile application saw: how often its getter and trap ran once the run was over. */
interface Seen {
  runOver: boolean;
  afterRun: number;
}

/** Client 2's applications: the usual servers, and a trap laid in its stack's counters. */
function hostileApps(seen: Seen) {
  return (i: number, stack: NetStack): App[] => {
    const apps: App[] = [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
    if (i !== 1) return apps;
    const tcp = stack.counters.tcp;
    let bytesIn = tcp.bytesIn;
    Object.defineProperty(tcp, 'bytesIn', {
      get: () => {
        if (seen.runOver) seen.afterRun++;
        return bytesIn;
      },
      set: (v: number) => void (bytesIn = v),
    });
    const drops = stack.counters.drops;
    (stack.counters as { drops: unknown }).drops = new Proxy(drops, {
      get: (target, key, receiver) => {
        if (seen.runOver) seen.afterRun++;
        return Reflect.get(target, key, receiver);
      },
    });
    return apps;
  };
}

function run(o: Partial<BootOptions>, seen: Seen) {
  const r = new BootRun({ ...BOOT_DEFAULTS, millis: 8, revokes: 'none', apps: hostileApps(seen), ...o });
  while (!r.done) {
    r.machine.runUntil(r.target());
    r.afterStride();
  }
  seen.runOver = true;
  return r.finish();
}

describe('a stack domain leaving getters for the report', () => {
  it('nothing it left runs: its counters are refused and said to be, the other client is reported as usual', () => {
    const seen: Seen = { runOver: false, afterRun: 0 };
    const r = run({}, seen);
    expect(seen.afterRun).toBe(0);
    expect(r.problems).toEqual(["client 2: its stack's counters are not plain data (not read; shown as zeros)"]);
    expect(r.sessions[1]!.tcp.bytesIn).toBe(0);
    expect(r.sessions[0]!.tcp.bytesIn).toBeGreaterThan(0);
    expect(r.sessions[0]!.peer!.pingsAnswered).toBeGreaterThan(0);
    expect(r.sessions[1]!.peer!.pingsAnswered).toBeGreaterThan(0); // the hostile client still served its peer
    expect(r.invariants.violations).toBe(0);
  });

  it('with the defence switched off, the report runs the getter and the trap', () => {
    const seen: Seen = { runOver: false, afterRun: 0 };
    run({ unsafe: { readDomainDataDirectly: true } }, seen);
    expect(seen.afterRun).toBeGreaterThan(0);
  });
});
