// The socket API applications use on a client's stack: TCP listen/accept/connect/send/recv/
// close and UDP bind/sendto/recvfrom, all non-blocking with back-pressure (send takes only
// what fits in the send buffer and says how much; recv returns what has arrived, at most
// what was asked). An application is polled by the loop that runs the stack (the stack
// domain, or the peer host), so none of these calls waits. The objects are handles: the
// protocol state stays in the stack (tcp/table.ts, stack.ts), which they reach through the
// small host interfaces below.

import type { Connection, TcpAbortReason, TcpState } from './tcp/connection.js';

/**
 * An application on a stack: the loop that runs the stack (the stack domain, domain.ts, or the
 * peer host) calls advance() after every batch of frames and every timer, and again at the
 * application's own deadline. It uses only these sockets and never blocks.
 */
export interface App {
  /** Do what can be done now. */
  advance(): void;
  /** The next cycle at which the application wants to be called without any traffic, or undefined. */
  deadline?(): number | undefined;
}

/**
 * What applications hold: a TCP connection, a listener and a UDP socket, as interfaces, so
 * that a stand-in can serve them (the monolithic topology's socket proxy, guest/monolithic/
 * proxy.ts, mirrors a socket of a stack in another domain). The classes below implement them
 * over the stack in the same domain.
 */
export interface StreamSocket {
  readonly state: TcpState;
  readonly aborted: TcpAbortReason | undefined;
  readonly readable: number;
  readonly eof: boolean;
  readonly sendRoom: number;
  readonly unacknowledged: number;
  send(data: Uint8Array): number;
  recv(max?: number): Uint8Array;
  close(): void;
  abort(): void;
}

export interface StreamListener {
  accept(): StreamSocket | undefined;
  close(): void;
}

export interface DatagramSocket {
  sendto(ip: number, port: number, data: Uint8Array): boolean;
  recvfrom(): Datagram | undefined;
  close(): void;
}

/** What a TCP socket needs from its stack: the time, and to send what a call produced. */
export interface TcpHost {
  now(): number;
  /** Transmit the connection's pending segments and update the counters (after any call that may produce some). */
  flush(s: TcpSocket): void;
  /** Count payload bytes accepted from, and delivered to, the application. */
  countBytes(out: number, inbound: number): void;
}

export class TcpSocket implements StreamSocket {
  /** The connection reached ESTABLISHED at least once (counted as an open). */
  opened = false;

  constructor(
    private readonly host: TcpHost,
    readonly connection: Connection,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
  ) {}

  get state(): TcpState {
    return this.connection.state;
  }

  /** Why the connection ended, if not by an orderly close. */
  get aborted(): TcpAbortReason | undefined {
    return this.connection.aborted;
  }

  /** Bytes recv() would return now. */
  get readable(): number {
    return this.connection.readable;
  }

  /** The peer has closed its side and everything it sent has been read (or the connection is gone). */
  get eof(): boolean {
    return (this.connection.peerClosed || this.state === 'CLOSED') && this.connection.readable === 0;
  }

  /** Bytes send() would accept now. */
  get sendRoom(): number {
    return this.connection.sendRoom;
  }

  /** Bytes sent and not yet acknowledged, plus those not yet sent. */
  get unacknowledged(): number {
    return this.connection.unacknowledged;
  }

  /** Queue `data` for sending; returns how many bytes were taken (0 when the buffer is full: offer the rest later). */
  send(data: Uint8Array): number {
    const n = this.connection.send(data, this.host.now());
    this.host.countBytes(n, 0);
    this.host.flush(this);
    return n;
  }

  /** Up to `max` bytes that have arrived in order (empty when none have). */
  recv(max = Infinity): Uint8Array {
    const d = this.connection.read(max, this.host.now());
    this.host.countBytes(0, d.length);
    this.host.flush(this); // reading may open the window: a window update
    return d;
  }

  /** Close the sending side once the data already taken is sent (the peer may go on sending). */
  close(): void {
    this.connection.close(this.host.now());
    this.host.flush(this);
  }

  /** Abort: a RST to the peer, and the connection is gone. */
  abort(): void {
    this.connection.reset();
    this.host.flush(this);
  }
}

/** What a listener needs from its stack: to stop receiving connections for its port. */
export interface ListenHost {
  unlisten(l: TcpListener): void;
}

export class TcpListener implements StreamListener {
  /** Connections established and not yet accepted, oldest first. */
  readonly ready: TcpSocket[] = [];
  /** Connections whose handshake is under way. */
  readonly embryonic = new Set<TcpSocket>();
  closed = false;

  constructor(
    private readonly host: ListenHost,
    readonly port: number,
    /** Most connections handshaking or waiting to be accepted. */
    readonly backlog: number,
  ) {}

  /** The next established connection, or undefined. */
  accept(): TcpSocket | undefined {
    return this.ready.shift();
  }

  /** Stop listening; connections already accepted go on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unlisten(this);
  }
}

/** One datagram as recvfrom returns it. */
export interface Datagram {
  readonly ip: number;
  readonly port: number;
  readonly data: Uint8Array;
}

/** What a UDP socket needs from its stack. */
export interface UdpHost {
  /** Send a datagram; false when it cannot go (too large, or the transmit queue is full). */
  udpSend(from: number, ip: number, port: number, data: Uint8Array): boolean;
  unbind(s: UdpSocket): void;
}

export class UdpSocket implements DatagramSocket {
  /** Datagrams received and not yet taken, oldest first. */
  readonly queue: Datagram[] = [];
  closed = false;

  constructor(
    private readonly host: UdpHost,
    readonly port: number,
    /** Most datagrams held; more are dropped (socket-queue-full). */
    readonly limit: number,
  ) {}

  sendto(ip: number, port: number, data: Uint8Array): boolean {
    return !this.closed && this.host.udpSend(this.port, ip, port, data);
  }

  /** The oldest datagram received, or undefined. */
  recvfrom(): Datagram | undefined {
    return this.queue.shift();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unbind(this);
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ TcpSocket, TcpListener, UdpSocket });
