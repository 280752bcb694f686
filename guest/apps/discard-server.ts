// Discard (RFC 863) on port 9, over TCP and UDP: everything received is read and thrown
// away, counted. A bulk sender's natural sink.

import { must, type App, type Sockets } from './app.js';
import { TcpServer } from './tcp-server.js';

export const DISCARD_PORT = 9;

export interface DiscardStats {
  tcpBytes: number;
  udpDatagrams: number;
}

export class DiscardServer implements App {
  readonly stats: DiscardStats = { tcpBytes: 0, udpDatagrams: 0 };
  readonly tcp: TcpServer<{ closing: boolean }>;
  private readonly udp;

  constructor(stack: Sockets, port = DISCARD_PORT) {
    this.tcp = new TcpServer<{ closing: boolean }>(stack, port, () => ({ closing: false }), (s, st) => {
      this.stats.tcpBytes += s.recv().length;
      if (s.eof && !st.closing) {
        st.closing = true;
        s.close();
      }
    });
    this.udp = must(stack.udpBind(port), `bind UDP port ${port}`);
  }

  advance(): void {
    this.tcp.advance();
    for (let d = this.udp.recvfrom(); d; d = this.udp.recvfrom()) this.stats.udpDatagrams++;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ DiscardServer });
