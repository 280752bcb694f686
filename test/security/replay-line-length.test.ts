// A pasted replay line against the page: users paste lines from elsewhere (a chat, an issue),
// and the page's worker reads any line it is sent (emulator/web/worker.ts, 'replay'). A valid
// line padded with megabytes of spaces between its words was accepted, and the worker sent it
// back whole in every snapshot of the replay (live/replay-watch.ts `replay.line`, `command`),
// a few times each host second; a line with one megabyte word came back whole in the error
// shown in the status line. Defence: parseReplayLine refuses a line longer than MAX_LINE
// characters at once, with a short message. With the test-only switch `unboundedLine` the
// padded line is accepted, and the refusal of the long word is as long as the word.

import { describe, expect, it } from 'vitest';
import { MAX_LINE, parseReplayLine, ReplayLineError } from '../../emulator/cli/explore/replay-line.js';
import { ReplayWatch } from '../../emulator/web/live/replay-watch.js';

const PADDED = `npx reloaded explore fuzz --seeds 1${' '.repeat(4_000_000)}--first-seed 2`;
const LONG_WORD = `npx reloaded explore fuzz --seeds 1 --first-seed ${'9'.repeat(4_000_000)}`;

/** The message a line is refused with. */
function refusal(line: string, unboundedLine = false): string {
  try {
    parseReplayLine(line, { unboundedLine });
  } catch (e) {
    if (e instanceof ReplayLineError) return e.message;
    throw e;
  }
  return '(accepted)';
}

describe('a pasted replay line megabytes long', () => {
  it('is refused at once with a short message, before the worker builds anything', () => {
    expect(refusal(PADDED)).toMatch(/^not a replay line of reloaded explore: 4,000,0\d\d characters/);
    expect(refusal(PADDED).length).toBeLessThan(200);
    expect(refusal(LONG_WORD).length).toBeLessThan(200);
    expect(() => new ReplayWatch(PADDED)).toThrow(ReplayLineError);
    // The lines the explorer prints are well under the bound, padded or not.
    expect(parseReplayLine(`  replay:   npx reloaded explore fuzz --first-seed 7 --seeds 1 --bug no-zero-on-free --explain  `)).toMatchObject({ kind: 'fuzz', seed: 7 });
    expect(MAX_LINE).toBeGreaterThanOrEqual(500);
  });

  it('with the defence off, the padded line is taken (the worker would echo it in every snapshot) and the long word comes back whole', () => {
    expect(parseReplayLine(PADDED, { unboundedLine: true })).toEqual({ kind: 'fuzz', seed: 2, bug: null, explain: false });
    expect(refusal(LONG_WORD, true).length).toBeGreaterThan(4_000_000);
  });
});
