// Echo (RFC 862) on port 7, over TCP and UDP: every byte or datagram received goes back to
// its sender. Over TCP the server reads only as much as its send buffer takes, so a peer that
// sends faster than it reads its echoes is slowed by TCP's own flow control, not by loss.

import type { StreamSocket } from '../netstack/sockets.js';
import { must, type App, type Sockets } from './app.js';
import { TcpServer } from './tcp-server.js';

export const ECHO_PORT = 7;

export interface EchoServerStats {
  tcpBytes: number;
  udpDatagrams: number;
  udpBytes: number;
}

export class EchoServer implements App {
  readonly stats: EchoServerStats = { tcpBytes: 0, udpDatagrams: 0, udpBytes: 0 };
  readonly tcp: TcpServer<{ closing: boolean }>;
  private readonly udp;

  constructor(stack: Sockets, port = ECHO_PORT) {
    this.tcp = new TcpServer<{ closing: boolean }>(stack, port, () => ({ closing: false }), (s, st) => this.echo(s, st));
    this.udp = must(stack.udpBind(port), `bind UDP port ${port}`);
  }

  private echo(s: StreamSocket, st: { closing: boolean }): void {
    const data = s.recv(s.sendRoom);
    if (data.length > 0) {
      s.send(data);
      this.stats.tcpBytes += data.length;
    }
    if (s.eof && !st.closing) {
      st.closing = true;
      s.close();
    }
  }

  advance(): void {
    this.tcp.advance();
    for (let d = this.udp.recvfrom(); d; d = this.udp.recvfrom()) {
      if (!this.udp.sendto(d.ip, d.port, d.data)) break; // the transmit queue is full: the rest wait in the socket
      this.stats.udpDatagrams++;
      this.stats.udpBytes += d.data.length;
    }
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ EchoServer });
