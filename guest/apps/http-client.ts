// A minimal HTTP/1.1 client for GET /bytes/N (the peer's side of http-server.ts): one request
// per connection (Connection: close), the status line and Content-Length parsed, the body
// checked against the pattern as it arrives.

import type { StreamSocket } from '../netstack/sockets.js';
import type { Sockets } from './app.js';
import { ascii } from './ascii.js';
import { patternMismatch } from './pattern.js';

const HEADER_LIMIT = 8192;

export type HttpGetResult = 'ok' | 'bad-status' | 'bad-length' | 'bad-body' | 'bad-response' | 'connection-failed';

export class HttpGet {
  result: HttpGetResult | undefined;
  status: number | undefined;
  contentLength: number | undefined;
  bodyBytes = 0;
  private readonly sock: StreamSocket | undefined;
  private head = '';
  private inBody = false;
  private sent = false;

  constructor(stack: Sockets, ip: number, private readonly path: string, private readonly expectStatus = 200, port = 80) {
    const s = stack.connect(ip, port);
    if (typeof s === 'string') this.result = 'connection-failed';
    else this.sock = s;
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  advance(): void {
    const s = this.sock;
    if (!s || this.result) return;
    if (!this.sent && s.state === 'ESTABLISHED') {
      const req = `GET ${this.path} HTTP/1.1\r\nHost: client\r\nConnection: close\r\n\r\n`;
      s.send(ascii(req));
      this.sent = true;
    }
    const d = s.recv();
    let at = 0;
    while (!this.inBody && at < d.length) {
      this.head += String.fromCharCode(d[at++]!);
      if (this.head.endsWith('\r\n\r\n')) this.startBody();
      else if (this.head.length > HEADER_LIMIT) return this.finish('bad-response');
    }
    if (this.result) return;
    if (this.inBody && at < d.length) {
      const body = d.subarray(at);
      if (this.status === 200 && patternMismatch(body, this.bodyBytes) >= 0) return this.finish('bad-body');
      this.bodyBytes += body.length;
    }
    if (this.inBody && this.contentLength !== undefined && this.bodyBytes > this.contentLength) return this.finish('bad-length');
    if (s.eof || s.state === 'CLOSED') {
      if (!this.inBody) return this.finish(s.aborted ? 'connection-failed' : 'bad-response');
      this.finish(this.bodyBytes === this.contentLength ? (this.status === this.expectStatus ? 'ok' : 'bad-status') : 'bad-length');
    }
  }

  private startBody(): void {
    this.inBody = true;
    const lines = this.head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0] ?? '');
    const cl = lines.find((l) => /^content-length:/i.test(l));
    if (!m || !cl) return this.finish('bad-response');
    this.status = Number(m[1]);
    this.contentLength = Number(cl.slice(cl.indexOf(':') + 1).trim());
  }

  private finish(r: HttpGetResult): void {
    this.result = r;
    if (this.sock && this.sock.state !== 'CLOSED') this.sock.close();
  }
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ HttpGet });
