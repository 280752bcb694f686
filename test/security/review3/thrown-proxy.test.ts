// A hostile application makes the kernel run its code in supervisor mode: it throws a proxy
// out of its stack domain, and the kernel's thread-exit path asks the proxy what it is.
//
// WHAT HAPPENS. An application's advance() runs inside the stack domain's loop
// (guest/netstack/domain.ts), which does not catch, so whatever it throws ends the domain's
// body: the CPU stores the thrown value as the thread's error (emulator/machine/cpu.ts
// resume) and calls the kernel's exit hook, guest/kernel/faults.ts onThreadExit, which inside
// cpu.kernelEntry (supervisor mode, in the middle of stopping the domain) evaluates
// `e instanceof PageFault`. For a proxy that is [[GetPrototypeOf]] on the proxy: its
// getPrototypeOf trap, the attacker's function, runs in the kernel. If the trap answers
// PageFault.prototype (a domain learns it from any fault it catches: a load from an address
// it has not mapped), the kernel goes on to read `e.linear` and `e.errorCode` through the
// proxy's get trap (more attacker code) and records and forwards those words as the domain's
// page fault (kernel.fault in the trace, a fault message to its keeper when it has one).
// The realm records every proxy it makes (docs/threat-model.md §4, "the kernel can tell a
// proxy from a plain object without touching it"), and the kernel reads system-call
// arguments as plain data (guest/kernel/args.ts), but nothing checks the thrown value.
//
// WHY IT MATTERS. docs/threat-model.md §4: "The kernel runs no domain code." Here it does,
// in supervisor mode, inside a kernel operation, and lets the domain choose what the kernel
// believes about its own fault. The same holds for a raw stack body (composeNet's body) and
// for any domain: the new stack domains just make it one `throw` in an application.
//
// THE DEFENCE. The kernel classifies what a thread ended with by the CPU's own record of the
// faults it raised (emulator/machine/cpu.ts raisedFault, a WeakMap lookup that runs none of
// the thrower's code), and takes the fault's words from that record, not from the thrown
// value. Anything else is an uncaught exception with the kernel's own words. With the
// kernel's test switch classifyThrownByInstanceof, the old classification, the traps run in
// supervisor mode and the kernel believes the forged words.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootRun } from '../../../emulator/cli/scenario/boot.js';
import { composeNet } from '../../../emulator/cli/scenario/net.js';
import type { DomainContext, GuestCode } from '../../../guest/kernel/api/context.js';
import type { App } from '../../../guest/apps/app.js';
import { DiscardServer } from '../../../guest/apps/discard-server.js';
import { EchoServer } from '../../../guest/apps/echo-server.js';
import { HttpServer } from '../../../guest/apps/http-server.js';
import type { NetStack } from '../../../guest/netstack/stack.js';

describe('a stack domain ending with a thrown proxy', () => {
  it('the kernel does not run the proxy\'s traps when the domain exits', () => {
    const ran: { trap: string; mode: string }[] = [];
    let cpuMode = () => 'unknown';
    const apps = (i: number, stack: NetStack): App[] => {
      const servers: App[] = [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
      if (i !== 0) return servers;
      let polls = 0;
      const thrown = new Proxy({}, { getPrototypeOf: () => (ran.push({ trap: 'getPrototypeOf', mode: cpuMode() }), null) });
      return [...servers, { advance() { if (++polls === 5) throw thrown; } }];
    };
    const r = new BootRun({ ...BOOT_DEFAULTS, millis: 10, revokes: 'none', apps });
    cpuMode = () => r.machine.cpu.mode; // the test's own view of the CPU, only to say where the trap ran
    while (!r.done) {
      r.machine.runUntil(r.target());
      r.afterStride();
    }
    const rep = r.finish();
    expect(r.world.net.clients[0]!.domain!.state).toBe('faulted'); // the throw ended client 1's domain
    expect(rep.sessions[1]!.peer!.pingsAnswered).toBeGreaterThan(0); // the neighbour carried on
    expect(ran).toEqual([]); // with the old classification: [{ trap: 'getPrototypeOf', mode: 'supervisor' }]
  });

  function forgery(unsafe: boolean) {
    // A raw stack body (composeNet's body option): it takes a real page fault to learn the
    // fault class's prototype, then throws a proxy that claims to be one.
    const ran: { trap: string; mode: string }[] = [];
    let cpuMode = () => 'unknown';
    const body = () => function* (ctx: DomainContext): GuestCode {
      let proto: object | null = null;
      try {
        yield* ctx.load32(0x3ff0_0000); // nothing is mapped there
      } catch (e) {
        proto = Object.getPrototypeOf(e) as object;
      }
      throw new Proxy({}, {
        getPrototypeOf: () => (ran.push({ trap: 'getPrototypeOf', mode: cpuMode() }), proto),
        get: (_t, k) => (ran.push({ trap: `get ${String(k)}`, mode: cpuMode() }), k === 'linear' ? 0x0bad_f000 : k === 'errorCode' ? 7 : undefined),
      });
    };
    const net = composeNet({ mode: 'busmaster', strategy: 'flip', stacks: 2, body: (i) => (i === 0 ? body() : undefined), kernel: unsafe ? { unsafe: { classifyThrownByInstanceof: true } } : undefined });
    cpuMode = () => net.machine.cpu.mode;
    net.machine.runUntil(2_000_000);
    expect(net.clients[0]!.domain!.state).toBe('faulted');
    return ran;
  }

  it('a domain cannot make the kernel read fault words it forged', () => {
    expect(forgery(false)).toEqual([]);
  });

  it('with the defence switched off, the traps run in supervisor mode and the kernel reads the forged words', () => {
    const ran = forgery(true);
    expect(ran.map((r) => r.trap)).toEqual(['getPrototypeOf', 'get linear', 'get errorCode']);
    expect(ran.every((r) => r.mode === 'supervisor')).toBe(true);
  });
});
