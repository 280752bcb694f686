// What applications are written against: the application contract (App, defined with the
// socket API in guest/netstack/sockets.ts, whose loop runs them) and the part of a stack they
// see. Applications never block: every socket call returns at once, with back-pressure (send
// takes what fits, recv what has come).

import type { DatagramSocket, StreamListener, StreamSocket } from '../netstack/sockets.js';
import type { EchoReply } from '../netstack/stack.js';

export type { App } from '../netstack/sockets.js';

/** The part of a stack applications see (NetStack has it; so has the monolithic topology's socket proxy). */
export interface Sockets {
  listen(port: number, backlog?: number): StreamListener | string;
  connect(ip: number, port: number): StreamSocket | string;
  udpBind(port: number): DatagramSocket | string;
  ping(ip: number, identifier: number, sequence: number, data: Uint8Array): void;
  takeEchoReplies(identifier: number): EchoReply[];
  readonly now: number;
  readonly ip: number;
}

/** Make `app`'s sockets or fail loudly: a port an application needs being taken is a composition mistake. */
export function must<T>(r: T | string, what: string): T {
  if (typeof r === 'string') throw new Error(`${what}: ${r}`);
  return r;
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ must });
