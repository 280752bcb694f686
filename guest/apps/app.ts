// What applications are written against: the application contract (App, defined with the
// socket API in guest/netstack/sockets.ts, whose loop runs them) and the part of a stack they
// see. Applications never block: every socket call returns at once, with back-pressure (send
// takes what fits, recv what has come).

import type { NetStack } from '../netstack/stack.js';

export type { App } from '../netstack/sockets.js';

/** The part of a stack applications see. */
export type Sockets = Pick<NetStack, 'listen' | 'connect' | 'udpBind' | 'ping' | 'takeEchoReplies' | 'now' | 'ip'>;

/** Make `app`'s sockets or fail loudly: a port an application needs being taken is a composition mistake. */
export function must<T>(r: T | string, what: string): T {
  if (typeof r === 'string') throw new Error(`${what}: ${r}`);
  return r;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ must });
