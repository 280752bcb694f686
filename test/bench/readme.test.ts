// The README splice (emulator/bench/readme.ts): the results go between the two markers and
// nowhere else, and splicing twice is splicing once.

import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, spliceBetweenMarkers } from '../../emulator/bench/readme.js';

const README = `# title\n\nbefore\n\n${BEGIN_MARKER}\nold table\n| a | b |\n${END_MARKER}\n\nafter ${'`code`'}\n`;

describe('README splice', () => {
  it('replaces only what lies between the markers, and is idempotent', () => {
    const once = spliceBetweenMarkers(README, '| new | table |\n');
    expect(once).toBe(`# title\n\nbefore\n\n${BEGIN_MARKER}\n| new | table |\n${END_MARKER}\n\nafter ${'`code`'}\n`);
    expect(spliceBetweenMarkers(once, '| new | table |\n')).toBe(once);
    expect(spliceBetweenMarkers(spliceBetweenMarkers(once, 'other'), '| new | table |')).toBe(once);
  });

  it('refuses a README without the markers once each in order', () => {
    expect(() => spliceBetweenMarkers('# no markers', 'x')).toThrow(/needs the markers/);
    expect(() => spliceBetweenMarkers(`${END_MARKER}\n${BEGIN_MARKER}`, 'x')).toThrow(/needs the markers/);
    expect(() => spliceBetweenMarkers(`${BEGIN_MARKER}${END_MARKER}${BEGIN_MARKER}${END_MARKER}`, 'x')).toThrow(/needs the markers/);
  });
});
