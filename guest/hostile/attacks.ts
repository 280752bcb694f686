// The catalogue of hostile stacks the boot scenario can run in a client's place (`reloaded run
// --hostile CLIENT:ATTACK`, BootOptions.hostile, the page's "add a hostile stack"): for each
// attack its one-line summary, the row of docs/threat-model.md it is, what the defence should
// make of it, and its body. Each body is domain code (guest/hostile/*.ts) that attacks for as
// long as the machine runs and records nothing in shared objects, so what a watcher sees of it
// is what the kernel and the driver see: refusals, rejections, and neighbours that carry on.

import type { AttackBody } from './common.js';
import { cheapOpens } from './cheap-opens.js';
import { floodTransmit } from './flood-transmit.js';
import { raiseLimit } from './raise-limit.js';
import { rewriteHeaders } from './rewrite-headers.js';
import { scribbleRings } from './scribble-rings.js';
import { spin } from './spin.js';
import { stealMessages } from './steal-messages.js';

export interface Attack {
  readonly summary: string;
  /** The threat model's row (docs/threat-model.md §7). */
  readonly threat: string;
  /** What the defence makes of it: what a run with this attack shows. */
  readonly defence: string;
  readonly body: AttackBody;
}

export const ATTACKS = harden({
  'steal-messages': {
    summary: "receives on its send-only capability to the driver's endpoint, over and over, to take the IRQ messages and its neighbours' OPENs and KICKs",
    threat: 'row 1: a stack receives on the driver\'s endpoint',
    defence: 'every receive answers no-rights; the driver gets every message',
    body: stealMessages,
  },
  'raise-limit': {
    summary: 'tries to raise its own bank\'s limit to a million frames and allocates every page it can, again every millisecond',
    threat: 'row 4: a client raises its bank\'s limit and takes every free frame',
    defence: 'setLimit answers no-rights; it holds at most its own limit, and every neighbour\'s allocation within its limit succeeds',
    body: raiseLimit,
  },
  'cheap-opens': {
    summary: 'opens session after session with a sub-bank one frame short, so each setup fails midway, and destroys it to start again',
    threat: 'row 5: cheap OPENs that fail after the delegate step',
    defence: 'the driver undoes each failed setup; its slots, mirrors and bank are as before, and a client joining later opens its session',
    body: cheapOpens,
  },
  'flood-transmit': {
    summary: 'keeps every transmit slot full of maximum-size datagrams to the peer and kicks the driver as fast as completions come back',
    threat: 'row 6: one session floods the transmitter',
    defence: 'the driver serves the transmit rings round-robin: the flood gets its share, every neighbour its turn',
    body: floodTransmit,
  },
  spin: {
    summary: 'computes forever and never waits',
    threat: 'row 7: a domain keeps the CPU with calls in a row',
    defence: 'every call that charges cycles is a preemption point: it loses the CPU at the end of its turn',
    body: spin,
  },
  'scribble-rings': {
    summary: 'writes random words over its rings\' indexes and entries, posts buffers it does not have and submits frames past its transmit area, every 100 µs',
    threat: 'the hostile-stack property test (§7): hostile ring entries',
    defence: 'the driver checks every index, entry and descriptor and rejects what is wrong, for this session alone',
    body: scribbleRings,
  },
  'rewrite-headers': {
    summary: 'submits datagrams honest at the driver\'s check, then rewrites their source to its neighbour\'s, forging the neighbour\'s echo answers',
    threat: 'row 11 by time of check to time of use: a rewritten transmit header spoofs a neighbour',
    defence: 'the driver sends its own checked copy of the headers: the forgeries leave with the attacker\'s address and the peer drops them',
    body: rewriteHeaders,
  },
} satisfies Record<string, Attack>);

export type AttackName = keyof typeof ATTACKS;

export const ATTACK_NAMES = harden(Object.keys(ATTACKS) as AttackName[]);

export function isAttackName(name: string): name is AttackName {
  return Object.hasOwn(ATTACKS, name);
}

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ isAttackName });
