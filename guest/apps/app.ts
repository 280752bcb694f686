// What an application on a stack is: an object the loop that runs the stack (the stack
// domain, guest/netstack/domain.ts, or the peer host) polls after every batch of frames and
// every timer, and that may ask to be polled again at a cycle of its own. Applications use
// only the socket API (guest/netstack/sockets.ts) and never block: every socket call returns
// at once, with back-pressure (send takes what fits, recv what has come).

import type { NetStack } from '../netstack/stack.js';

export interface App {
  /** Do what can be done now. */
  advance(): void;
  /** The next cycle at which the application wants a poll without any traffic, or undefined. */
  deadline?(): number | undefined;
}

/** The part of a stack applications see. */
export type Sockets = Pick<NetStack, 'listen' | 'connect' | 'udpBind' | 'ping' | 'takeEchoReplies' | 'now' | 'ip'>;

/** Make `app`'s sockets or fail loudly: a port an application needs being taken is a composition mistake. */
export function must<T>(r: T | string, what: string): T {
  if (typeof r === 'string') throw new Error(`${what}: ${r}`);
  return r;
}

/** The earliest of some deadlines. */
export function earliest(ds: Iterable<number | undefined>): number | undefined {
  let d: number | undefined;
  for (const t of ds) if (t !== undefined && (d === undefined || t < d)) d = t;
  return d;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ must, earliest });
