// The part every TCP server application shares: listen on a port, accept what arrives, and
// call the server's handler for each connection on every advance until the connection is
// CLOSED (a handler that has closed its side still sees the peer's late data or RST), then
// forget it.

import type { StreamSocket } from '../netstack/sockets.js';
import { must, type Sockets } from './app.js';

/** Per-connection work: called on every advance while the connection lives. */
export type ConnectionHandler<S> = (sock: StreamSocket, state: S) => void;

export interface ServerStats {
  accepted: number;
  /** Connections that ended by a RST or a timeout rather than an orderly close. */
  aborted: number;
}

export class TcpServer<S> {
  private readonly conns: { sock: StreamSocket; state: S }[] = [];
  readonly stats: ServerStats = { accepted: 0, aborted: 0 };
  private readonly listener;

  constructor(stack: Sockets, port: number, private readonly fresh: () => S, private readonly handle: ConnectionHandler<S>, backlog?: number) {
    this.listener = must(stack.listen(port, backlog), `listen on TCP port ${port}`);
  }

  advance(): void {
    for (let s = this.listener.accept(); s; s = this.listener.accept()) {
      this.stats.accepted++;
      this.conns.push({ sock: s, state: this.fresh() });
    }
    for (let i = 0; i < this.conns.length; ) {
      const c = this.conns[i]!;
      if (c.sock.state !== 'CLOSED') this.handle(c.sock, c.state);
      if (c.sock.state === 'CLOSED') {
        if (c.sock.aborted) this.stats.aborted++;
        this.conns.splice(i, 1);
      } else i++;
    }
  }

  /** Connections open now. */
  get open(): number {
    return this.conns.length;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ TcpServer });
