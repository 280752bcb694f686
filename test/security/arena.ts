// The red-team arena: the product's composition (emulator/cli/scenario/net.ts) with client 0
// a hostile stack and client 1 an honest neighbour running the boot scenario's echo traffic
// through the echo peer on the wire. An attack test runs the hostile body, then asks whether
// the neighbour was harmed: its echoes kept coming back intact, the driver kept serving, and
// no invariant check (emulator/cli/scenario/checks.ts) saw a violation at any stride.
//
// The hostile body is a stack body: it gets its context and its open session, like any
// stack, and nothing else (the tests write it against the public domain API only).

import { EchoPeer } from '../../devices/peers/echo.js';
import { ECHO_TIMEOUT, echoClient, newEchoStats, type EchoStats } from '../../guest/apps/echo-client.js';
import type { StackOptions } from '../../guest/apps/raw-stack.js';
import { violations } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, composeNet, PEER_MAC, type Net, type NetOptions } from '../../emulator/cli/scenario/net.js';

export interface ArenaOptions extends Partial<Pick<NetOptions, 'mode' | 'strategy' | 'kernel' | 'priority'>> {
  /** The hostile stack's body after its session opened (client 0). */
  hostile: NonNullable<StackOptions['body']>;
}

export interface Arena {
  net: Net;
  neighbour: EchoStats;
  /** Run `cycles`, checking the invariants every `stride`; every violation seen is kept. */
  run(cycles: number, stride?: number): void;
  violations: string[];
  /** Why the neighbour counts as harmed (empty when it is not): its echoes stopped, came back changed, or a check saw a violation. */
  harm(): string[];
}

/** The neighbour must get echoes back within this many cycles, at any point of the run (two retransmission timeouts, as the boot scenario asks). */
export const LIVENESS_WINDOW = 2 * ECHO_TIMEOUT;
/** Frame sizes the neighbour sends: small, medium, full-size. */
const NEIGHBOUR_SIZES = [60, 600, 1514];

export function arena(o: ArenaOptions): Arena {
  const neighbour = newEchoStats();
  let echo: EchoPeer | undefined;
  const net = composeNet({
    mode: o.mode ?? 'busmaster', strategy: o.strategy ?? 'flip', stacks: 2, kernel: o.kernel, priority: o.priority,
    onWire: (wire) => (echo = new EchoPeer(wire, 'echo')),
    stack: (i) => (i === 0 ? { body: o.hostile } : { body: echoClient({ cardMac: CARD_MAC, peerMac: PEER_MAC, sizes: NEIGHBOUR_SIZES, tag: 0x22 }, neighbour) }),
  });
  const seen: string[] = [];
  const echoedAt: [cycle: number, echoed: number][] = [];
  const a: Arena = {
    net, neighbour, violations: seen,
    run(cycles, stride = 20_000) {
      const end = net.machine.now + cycles;
      while (net.machine.now < end) {
        net.machine.runUntil(Math.min(end, net.machine.now + stride));
        echoedAt.push([net.machine.now, neighbour.echoed]);
        for (const v of violations(net)) if (!seen.includes(v)) seen.push(v);
      }
    },
    harm() {
      const why: string[] = [];
      const d = net.driverDomain;
      if (d.thread?.error !== undefined || (d.state !== 'ready' && d.state !== 'waiting')) why.push(`the driver is not serving (${d.state})`);
      if (net.clients[1]!.probe.status !== 'open') why.push(`the neighbour's session is ${net.clients[1]!.probe.status ?? 'not open'}`);
      if (neighbour.echoed === 0) why.push('the neighbour got no echo back');
      // Liveness (DESIGN.md §6 item 8): echoes still came back in the last LIVENESS_WINDOW of the run.
      const now = net.machine.now;
      const before = [...echoedAt].reverse().find(([c]) => c <= now - LIVENESS_WINDOW);
      if (before && neighbour.echoed === before[1]) why.push(`the neighbour got no echo back in the last ${LIVENESS_WINDOW} cycles`);
      if (neighbour.mismatched > 0) why.push(`${neighbour.mismatched} of the neighbour's echoes came back changed`);
      if (echo && echo.dropped > 0) why.push(`the echo peer dropped ${echo.dropped} frames with a bad FCS`);
      why.push(...seen);
      return why;
    },
  };
  return a;
}

/** Long enough for the neighbour to open its session and exchange many echoes (5 ms). */
export const ARENA_CYCLES = 5 * 133_000 + 4 * ECHO_TIMEOUT;
