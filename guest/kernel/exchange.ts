// Page exchange.
//
// DESIGN.md §4, row `exchange(pageA, pageB)`: "swaps the frames behind two pages,
// invalidating every mapping of both. Rule: refused (busy) while either frame is pinned."
// The pages keep their identities, versions and banks; only the frames move. Mappings are
// cleared rather than moved: whoever mapped a page maps it again and gets the new frame.

import type { Result } from './api/context.js';
import type { Page } from './pages.js';
import { err, ok } from './result.js';
import { revokeMappings } from './revoke.js';
import type { KernelState } from './state.js';

export function exchange(k: KernelState, a: Page, b: Page): Result {
  const pins = k.frames.pins;
  if ((pins[a.frame]! > 0 || pins[b.frame]! > 0) && !k.unsafe.exchangePinned) return err('busy');
  k.hw.record('kernel.exchange', a.frame, b.frame);
  revokeMappings(k, a.frame);
  revokeMappings(k, b.frame);
  const fa = a.frame;
  a.frame = b.frame;
  b.frame = fa;
  k.frames.owner[a.frame] = a;
  k.frames.owner[b.frame] = b;
  return ok();
}
