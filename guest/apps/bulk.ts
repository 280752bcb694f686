// Bulk transfer over TCP, both ends: a sender that connects, sends `total` bytes of the
// pattern (pattern.ts) as fast as the send buffer drains, and closes; and a receiver that
// listens, checks every byte it reads against the pattern and counts. The benchmarks and the
// transfer tests measure goodput with them: bytes delivered in order to the receiving
// application, between its first and its last byte.

import type { StreamSocket } from '../netstack/sockets.js';
import type { App, Sockets } from './app.js';
import { patternBytes, patternMismatch } from './pattern.js';
import { TcpServer } from './tcp-server.js';

/** Most pattern bytes made per send call. */
const CHUNK = 16 * 1024;

export interface BulkSenderStats {
  /** Bytes the stack took, and whether all were taken and the close issued. */
  sent: number;
  closed: boolean;
  /** The connection ended: closed in order, or how it was aborted. */
  ended: 'closed' | 'reset' | 'timeout' | undefined;
  connectError: string | undefined;
}

export class BulkSender implements App {
  readonly stats: BulkSenderStats = { sent: 0, closed: false, ended: undefined, connectError: undefined };
  private sock: StreamSocket | undefined;

  constructor(stack: Sockets, ip: number, port: number, readonly total: number) {
    const s = stack.connect(ip, port);
    if (typeof s === 'string') this.stats.connectError = s;
    else this.sock = s;
  }

  advance(): void {
    const s = this.sock;
    if (!s || this.stats.ended) return;
    while (this.stats.sent < this.total && s.sendRoom > 0) {
      const n = Math.min(CHUNK, s.sendRoom, this.total - this.stats.sent);
      const taken = s.send(patternBytes(this.stats.sent, n));
      this.stats.sent += taken;
      if (taken < n) break;
    }
    if (this.stats.sent === this.total && !this.stats.closed && s.state !== 'SYN-SENT') {
      this.stats.closed = true;
      s.close();
    }
    s.recv(); // anything the receiver says is ignored
    if (s.state === 'CLOSED' || s.state === 'TIME-WAIT') this.stats.ended = s.aborted ?? 'closed';
  }
}

export interface BulkReceiverStats {
  connections: number;
  bytes: number;
  /** Connections whose bytes broke the pattern (the first bad offset of the first). */
  mismatched: number;
  firstMismatchAt: number | undefined;
  /** Cycles of the first and last byte read, and connections the sender closed in order. */
  firstByteCycle: number | undefined;
  lastByteCycle: number | undefined;
  completed: number;
}

export class BulkReceiver implements App {
  readonly stats: BulkReceiverStats = { connections: 0, bytes: 0, mismatched: 0, firstMismatchAt: undefined, firstByteCycle: undefined, lastByteCycle: undefined, completed: 0 };
  readonly tcp: TcpServer<{ offset: number; bad: boolean; done: boolean }>;

  constructor(private readonly stack: Sockets, port: number) {
    this.tcp = new TcpServer<{ offset: number; bad: boolean; done: boolean }>(stack, port, () => ({ offset: 0, bad: false, done: false }), (s, st) => this.take(s, st));
  }

  private take(s: StreamSocket, st: { offset: number; bad: boolean; done: boolean }): void {
    if (st.offset === 0 && !st.done && !st.bad && s.readable === 0 && !s.eof) return;
    const d = s.recv();
    if (d.length > 0) {
      if (st.offset === 0) this.stats.connections++;
      const bad = st.bad ? -1 : patternMismatch(d, st.offset);
      if (bad >= 0) {
        st.bad = true;
        this.stats.mismatched++;
        this.stats.firstMismatchAt ??= st.offset + bad;
      }
      st.offset += d.length;
      this.stats.bytes += d.length;
      this.stats.firstByteCycle ??= this.stack.now;
      this.stats.lastByteCycle = this.stack.now;
    }
    if (s.eof && !st.done) {
      st.done = true;
      if (!s.aborted) this.stats.completed++;
      s.close();
    }
  }

  advance(): void {
    this.tcp.advance();
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ BulkSender, BulkReceiver });
