// The HTTP/1.1 server (guest/apps/http-server.ts): what each request is answered with, and the
// server over a real TCP connection between two stacks: /bytes/N byte-exact with its
// Content-Length, 404, 400 (and the connection closed), pipelined requests on one persistent
// connection, and the client of http-client.ts.

import { describe, expect, it } from 'vitest';
import { HttpGet } from '../../guest/apps/http-client.js';
import { answer, HttpServer, MAX_BODY } from '../../guest/apps/http-server.js';
import { patternBytes } from '../../guest/apps/pattern.js';
import { A_IP, HZ, Link } from '../netstack/stack/link.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

describe('answer()', () => {
  it('GET /bytes/N is 200 with N bytes; HEAD has no body; HTTP/1.1 persists unless told to close', () => {
    expect(answer('GET /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\n')).toEqual({ status: 200, length: 1000, body: true, close: false });
    expect(answer('HEAD /bytes/5 HTTP/1.1\r\n\r\n')).toEqual({ status: 200, length: 5, body: false, close: false });
    expect(answer('GET /bytes/0 HTTP/1.1\r\nConnection: close\r\n\r\n')).toMatchObject({ status: 200, length: 0, close: true });
    expect(answer('GET /bytes/7 HTTP/1.0\r\n\r\n').close).toBe(true);
    expect(answer('GET /bytes/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').close).toBe(false);
    expect(answer(`GET /bytes/${MAX_BODY} HTTP/1.1\r\n\r\n`).status).toBe(200);
  });

  it('other paths are 404, other methods 405, and what does not parse is 400 (and closes)', () => {
    expect(answer('GET / HTTP/1.1\r\n\r\n').status).toBe(404);
    expect(answer('GET /bytesx/1 HTTP/1.1\r\n\r\n').status).toBe(404);
    expect(answer('POST /bytes/1 HTTP/1.1\r\n\r\n').status).toBe(405);
    for (const bad of ['GET /bytes/abc HTTP/1.1', 'GET /bytes/-1 HTTP/1.1', `GET /bytes/${MAX_BODY + 1} HTTP/1.1`, 'GET /bytes/12345678901 HTTP/1.1', 'GET /bytes/1 HTTP/2.0', 'GET  /bytes/1 HTTP/1.1', 'garbage', '', 'GET /bytes/1 HTTP/1.1\r\nno colon here']) {
      expect(answer(`${bad}\r\n\r\n`), bad).toMatchObject({ status: 400, close: true });
    }
  });
});

/** One raw client connection to the server on a link; returns what came back once the server closed or `ms` passed. */
function exchange(request: Uint8Array, ms = 100): { response: string; closedByServer: boolean } {
  const link = new Link();
  link.add(link.a, new HttpServer(link.a));
  const s = link.b.connect(A_IP, 80);
  if (typeof s === 'string') throw new Error(s);
  let sent = 0;
  let got = '';
  link.add(link.b, {
    advance() {
      if (s.state === 'ESTABLISHED' && sent < request.length) sent += s.send(request.subarray(sent));
      got += text(s.recv());
    },
  });
  link.run((ms * HZ) / 1000, () => s.eof);
  return { response: got, closedByServer: s.eof };
}

describe('the server over TCP', () => {
  it('GET /bytes/100000 comes back byte-exact with its Content-Length (the http-client check)', () => {
    const link = new Link();
    link.add(link.a, new HttpServer(link.a));
    const get = new HttpGet(link.b, A_IP, '/bytes/100000');
    link.add(link.b, get);
    link.run(HZ, () => get.done);
    expect(get).toMatchObject({ result: 'ok', status: 200, contentLength: 100_000, bodyBytes: 100_000 });
  });

  it('answers pipelined requests in order on one connection', () => {
    const { response } = exchange(ascii('GET /bytes/10 HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /bytes/3 HTTP/1.1\r\nConnection: close\r\n\r\n'));
    const bodies = response.split('HTTP/1.1 ').slice(1);
    expect(bodies.map((r) => r.slice(0, 3))).toEqual(['200', '404', '200']);
    expect(bodies[0]!.endsWith(`\r\n\r\n${text(patternBytes(0, 10))}`)).toBe(true);
    expect(bodies[2]).toContain('Content-Length: 3\r\n');
  });

  it('a header section past 8 KiB is 400 and the server closes', () => {
    const { response, closedByServer } = exchange(ascii(`GET /bytes/1 HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`));
    expect(response.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(closedByServer).toBe(true);
  });

  it('garbage is 400 and the server closes', () => {
    expect(exchange(ascii('\x00\x01\x02 hello\r\n\r\n'))).toMatchObject({ closedByServer: true });
    expect(exchange(ascii('\x00\x01\x02 hello\r\n\r\n')).response).toMatch(/^HTTP\/1\.1 400 /);
  });
});
