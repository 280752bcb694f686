// The page server (`reloaded web`): serves the built page on loopback, refuses what is not
// there, and answers a malformed request with 400 instead of dying.

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servePage } from '../../emulator/cli/serve.js';

const ROOT = resolve(__dirname, '../..');

describe('servePage', () => {
  it('serves index.html, 404s the rest, 400s bad encodings and keeps serving', async () => {
    // dist/ is built once for the whole run (test/support/build.ts).
    const { server, url } = await servePage(resolve(ROOT, 'dist/web'), 0);
    try {
      const index = await fetch(url);
      expect(index.status).toBe(200);
      expect(await index.text()).toMatch(/<title>reloaded: the machine live<\/title>/);
      expect((await fetch(`${url}main.js`)).headers.get('content-type')).toMatch(/javascript/);
      expect((await fetch(`${url}%E0%A4%A`)).status).toBe(400);
      expect((await fetch(`${url}..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${url}nothing.html`)).status).toBe(404);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('refuses a folder without a built page', () => {
    expect(() => servePage(resolve(ROOT, 'test'), 0)).toThrow(/index.html is missing: run 'npm run build' first/);
  });
});
