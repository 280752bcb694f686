// A small HTTP/1.1 server (RFC 9112) on port 80 with one resource family: GET /bytes/N
// answers N bytes of the bulk pattern (byte i is i mod 251, pattern.ts) with a
// Content-Length. Any other path is 404, a method other than GET or HEAD is 405, and a
// request that does not parse (a bad request line, a header section over 8 KiB, an N that is
// not a decimal number up to MAX_BODY) is 400 and closes the connection. Connections persist
// (HTTP/1.1's default) unless the client sends "Connection: close" or speaks HTTP/1.0;
// pipelined requests are answered in order. The body is produced as the send buffer drains.

import type { StreamSocket } from '../netstack/sockets.js';
import type { App, Sockets } from './app.js';
import { ascii, text } from './ascii.js';
import { patternBytes } from './pattern.js';
import { TcpServer } from './tcp-server.js';

export const HTTP_PORT = 80;
/** Largest header section read (RFC 9112 §2.3 leaves the limit to the server). */
export const MAX_HEADER_BYTES = 8192;
/** Largest N served: 1 GiB. */
export const MAX_BODY = 1 << 30;
/** Most body bytes made per send call. */
const BODY_CHUNK = 16 * 1024;
const CRLF_CRLF_BYTES = 4;

export interface HttpStats {
  requests: number;
  ok: number;
  notFound: number;
  badRequest: number;
  notAllowed: number;
  bodyBytes: number;
}

interface HttpConnection {
  /** Bytes of requests not yet answered. */
  pending: Uint8Array;
  /** Response header bytes not yet sent, body bytes left, the body's next offset. */
  head: Uint8Array;
  bodyLeft: number;
  bodyOffset: number;
  /** Close once the current response is sent. */
  closeAfter: boolean;
  closed: boolean;
}

function headerEnd(b: Uint8Array): number {
  for (let i = 0; i + 4 <= b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i + CRLF_CRLF_BYTES;
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** What a request asks: status, body length, whether to send the body, whether to close after. */
export interface HttpAnswer {
  readonly status: 200 | 400 | 404 | 405;
  readonly length: number;
  readonly body: boolean;
  readonly close: boolean;
}

/** Answer the request whose header section (request line, fields, final CRLF CRLF) is `head`. */
export function answer(head: string): HttpAnswer {
  const lines = head.split('\r\n');
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? '');
  if (!m) return { status: 400, length: 0, body: false, close: true };
  const [, method, target, minor] = m;
  const fields = lines.slice(1).filter((l) => l !== '');
  if (fields.some((l) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/.test(l))) return { status: 400, length: 0, body: false, close: true };
  const connection = fields.filter((l) => /^connection:/i.test(l)).map((l) => l.slice(l.indexOf(':') + 1).trim().toLowerCase());
  const close = minor === '0' ? !connection.includes('keep-alive') : connection.includes('close');
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, length: 0, body: false, close };
  if (!target!.startsWith('/bytes/')) return { status: 404, length: 0, body: false, close };
  const n = /^\/bytes\/(\d{1,10})$/.exec(target!);
  if (!n || Number(n[1]) > MAX_BODY) return { status: 400, length: 0, body: false, close: true };
  return { status: 200, length: Number(n[1]), body: method === 'GET', close };
}

const REASON: Readonly<Record<HttpAnswer['status'], string>> = Object.freeze({ 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' });

function responseHead(a: HttpAnswer): Uint8Array {
  const fields = [
    `HTTP/1.1 ${a.status} ${REASON[a.status]}`,
    a.status === 200 ? 'Content-Type: application/octet-stream' : 'Content-Type: text/plain',
    `Content-Length: ${a.status === 200 ? a.length : REASON[a.status].length + 1}`,
    ...(a.status === 405 ? ['Allow: GET, HEAD'] : []),
    ...(a.close ? ['Connection: close'] : []),
  ];
  return ascii(fields.join('\r\n') + '\r\n\r\n' + (a.status === 200 ? '' : `${REASON[a.status]}\n`));
}

export class HttpServer implements App {
  readonly stats: HttpStats = { requests: 0, ok: 0, notFound: 0, badRequest: 0, notAllowed: 0, bodyBytes: 0 };
  readonly tcp: TcpServer<HttpConnection>;

  constructor(stack: Sockets, port = HTTP_PORT) {
    this.tcp = new TcpServer<HttpConnection>(stack, port, () => ({ pending: new Uint8Array(0), head: new Uint8Array(0), bodyLeft: 0, bodyOffset: 0, closeAfter: false, closed: false }), (s, c) => this.serve(s, c));
  }

  advance(): void {
    this.tcp.advance();
  }

  private serve(s: StreamSocket, c: HttpConnection): void {
    if (c.closed) return;
    for (;;) {
      if (!this.sendResponse(s, c)) return; // the send buffer is full: later
      if (c.closeAfter) {
        c.closed = true;
        s.close();
        return;
      }
      // Read only while no response is under way: a client's pipelined requests wait in TCP.
      if (c.pending.length < MAX_HEADER_BYTES + CRLF_CRLF_BYTES) {
        const d = s.recv(MAX_HEADER_BYTES + CRLF_CRLF_BYTES - c.pending.length);
        if (d.length > 0) c.pending = concat(c.pending, d);
      }
      const end = headerEnd(c.pending);
      if (end < 0) {
        if (c.pending.length >= MAX_HEADER_BYTES) this.start(c, { status: 400, length: 0, body: false, close: true });
        else if (s.eof) {
          c.closed = true;
          s.close();
          return;
        } else return;
      } else {
        this.start(c, answer(text(c.pending.subarray(0, end))));
        c.pending = c.pending.slice(end);
      }
    }
  }

  private start(c: HttpConnection, a: HttpAnswer): void {
    this.stats.requests++;
    if (a.status === 200) this.stats.ok++;
    else if (a.status === 404) this.stats.notFound++;
    else if (a.status === 405) this.stats.notAllowed++;
    else this.stats.badRequest++;
    c.head = responseHead(a);
    c.bodyLeft = a.body ? a.length : 0;
    c.bodyOffset = 0;
    c.closeAfter = a.close;
  }

  /** Send what fits of the current response; true when it is all sent. */
  private sendResponse(s: StreamSocket, c: HttpConnection): boolean {
    if (c.head.length > 0) {
      const n = s.send(c.head);
      c.head = c.head.slice(n);
      if (c.head.length > 0) return false;
    }
    while (c.bodyLeft > 0) {
      const n = Math.min(c.bodyLeft, s.sendRoom, BODY_CHUNK);
      if (n === 0) return false;
      const sent = s.send(patternBytes(c.bodyOffset, n));
      c.bodyOffset += sent;
      c.bodyLeft -= sent;
      this.stats.bodyBytes += sent;
      if (sent < n) return false;
    }
    return true;
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ answer, HttpServer });
