// The monolithic topology (issue 13, docs/topologies.md "monolithic"): the same machine,
// driver, stack code and peer as the factored composition (stacks.ts), but ONE user-level
// stack server domain (guest/monolithic/server.ts) runs every client's NetStack over its
// own driver session, and each client's applications run in an application domain of the
// client's own bank (guest/monolithic/proxy.ts) that reaches its sockets over IPC.
//
// Capabilities (composeNet's discipline, net.ts NetOptions.server): the server holds its own
// bank (allocation only), its space, its endpoint (the only receiver), the driver's endpoint
// badged 1..N (send only: the driver's session per client address) and each client's bank
// for allocation only (the client pays for its session and its forwarder). Client i's
// application domain holds its bank (no limits right), its space and the server's endpoint,
// send only, badged i + 1: the badge is its identity to the server as it is to the driver.
//
// Priorities: the driver (10) above the server (5), as the driver is above the stacks in
// the factored composition, so both layouts share the driver's scheduling (and its receive
// livelock under overload, docs/netstack.md §6); the server's session forwarders one below it (4: the kernel
// places a domain a server allocates below it; they only wake an idle server, which reads
// every session's rings each turn anyway). The application domains run at the server's
// priority, not below: below it, a load the server cannot shed (connection attempts answered
// by resets at the CPU's limit) kept it busy at every moment and starved every client's
// applications, a livelock one level up; at the same priority the kernel's round robin gives
// them the CPU between the server's quanta, and TCP's windows bound what waits for them.

import type { Sockets } from '../../../guest/apps/app.js';
import { appDomain, newAppDomainProbe, type AppDomainProbe } from '../../../guest/monolithic/proxy.js';
import { newServerProbe, stackServer, type ServerProbe, type ServerUnsafe } from '../../../guest/monolithic/server.js';
import { STACK_PRIORITY } from './net.js';
import { composeStackNetWith, type StackNet, type StackNetOptions } from './stacks.js';
import type { DomainBody } from '../../../guest/kernel/api/context.js';

/** The server's bank: its space and the page tables of its shared-page and region windows, its endpoint and notification. */
export const SERVER_BANK_FRAMES = 24;
export const SERVER_PRIORITY = STACK_PRIORITY;
export const APP_PRIORITY = SERVER_PRIORITY;
/** Frames of a session sub-bank beyond the factored stack's: the forwarder's domain. */
const FORWARDER_FRAMES = 2;

export interface MonolithicOptions extends StackNetOptions {
  /** A whole application domain body for client i instead of the proxy's (a red-team test's hostile client); undefined keeps it. */
  appBody?: (i: number) => DomainBody | undefined;
  /** Test-only: a defence of the server off. */
  serverUnsafe?: ServerUnsafe;
}

/** The monolithic composition's own read-back: the server's probe (dropped clients, refused requests) and each application domain's. */
export interface MonolithicNet extends StackNet {
  server: ServerProbe;
  apps: AppDomainProbe[];
}

export function composeMonolithic(o: MonolithicOptions): MonolithicNet {
  const appProbes = Array.from({ length: o.clients }, newAppDomainProbe);
  let serverProbe: ServerProbe | undefined;
  const { world } = composeStackNetWith(o, (p) => {
    const probe = newServerProbe(p.probes);
    serverProbe = probe;
    return {
      server: {
        frames: SERVER_BANK_FRAMES, priority: SERVER_PRIORITY,
        body: () => stackServer({
          clients: o.clients, geometry: p.geometry, frames: p.frames + FORWARDER_FRAMES, pins: p.pins, cpuHz: p.cpuHz(),
          secrets: Array.from({ length: o.clients }, (_, i) => p.secret(i)), unsafe: o.serverUnsafe,
        }, probe),
      },
      body: (i) => o.appBody?.(i) ?? appDomain((sockets: Sockets) => p.apps(i, sockets), appProbes[i]!),
      priority: () => APP_PRIORITY,
    };
  });
  return Object.assign(world, { server: serverProbe!, apps: appProbes });
}
