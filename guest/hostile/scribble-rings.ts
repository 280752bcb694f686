// Attack: hostile ring entries (the hostile-stack property test's ring half, threat model §7).
// Once its session is open the stack writes pseudo-random words over its control page (every
// ring's producer and consumer index and every entry, its info words too), posts receive
// buffers that are not its own, out of range or twice, submits frames at offsets and lengths
// past its transmit area, kicks the driver, and does it again every round, forever. The
// driver reads every index and entry through its checking rings and every descriptor through
// its validation: it rejects and counts what is wrong, for this session alone.

import { CONTROL_PAGE, PAGE_BYTES } from '../session/layout.js';
import { nap, open, roundCycles, type AttackBody } from './common.js';

/** Words of the control page it scribbles over each round: all 1,024. */
const PAGE_WORDS = PAGE_BYTES / 4;
/** A fixed seed for its xorshift generator (the run is a pure function of its options). */
const SEED = 0x9e37_79b9;
/** Entries of each kind it forges per round. */
const FORGED = 8;
/** Receive buffer numbers and transmit offsets past anything a session has. */
const FAR = 0x7fff_ffff;

export const scribbleRings: AttackBody = (cfg) =>
  function* (ctx) {
    const s = yield* open(ctx, cfg);
    if (!s) for (;;) yield* nap(ctx, ctx.constants.maxTimeout);
    const base = s.regionVa + CONTROL_PAGE * PAGE_BYTES;
    let x = SEED;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    for (let round = 0; ; round++) {
      // Half the rounds, garbage over the whole page; the others, well-formed entries with hostile contents.
      if (round % 2 === 0) {
        const words = new Uint32Array(PAGE_WORDS).map(next);
        yield* ctx.write(base, new Uint8Array(words.buffer));
      } else {
        const buffers = Array.from({ length: FORGED }, (_, k) => (k % 2 === 0 ? FAR - k : next() % (2 * cfg.geometry.rxBuffers)));
        yield* s.post(buffers);
        for (let k = 0; k < FORGED && (yield* s.rings.txSubmit.space()) !== 0; k++) {
          yield* s.rings.txSubmit.put([k % 2 === 0 ? FAR - k : next() % (cfg.geometry.txPages * PAGE_BYTES), next() % (2 * PAGE_BYTES), k, 0]);
        }
      }
      yield* s.kick();
      yield* nap(ctx, roundCycles(cfg));
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ scribbleRings });
