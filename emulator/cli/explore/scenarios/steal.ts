// steal-driver-messages (issue 9, attack 1 at every cycle): client 1's stack is hostile and,
// from the cycle a trigger frame from the peer reaches it, tries to receive on the driver's
// endpoint while client 2's traffic flows. The action is the trigger's arrival: its cycle
// decides what the thief competes with (an interrupt the forwarder is passing on, a KICK).
// With send-only capabilities every receive is refused; with full rights (the planted bug
// full-rights-endpoint) the thief takes messages meant for the driver.

import { stealDriverMessages } from '../../../../guest/apps/endpoint-thief.js';
import type { Scenario } from '../scenario.js';
import { buildWorld, frameTo } from '../world.js';
import { commonVerdict, neighbourFramesEnd, neighbourLoss, sendNeighbourFrames, SETTLE, TRAFFIC_AT } from './common.js';

/** The window: a stretch in which client 2 receives frames (the thief's action can land anywhere in it). */
const WINDOW = 40_000;
const NEIGHBOUR_AT = TRAFFIC_AT;
const END = neighbourFramesEnd(NEIGHBOUR_AT) + 400_000;

export const stealDriverMessagesScenario: Scenario = {
  name: 'steal-driver-messages',
  summary: 'a hostile stack tries to receive on the driver\'s endpoint, from a chosen cycle on, while client 2\'s frames arrive',
  actionIs: 'the peer sends client 1\'s hostile stack the trigger frame that starts its theft',
  windowIs: `the first ${WINDOW.toLocaleString('en-US')} cycles of client 2's traffic`,
  end: END,
  settle: SETTLE,
  build(c) {
    const w = buildWorld(c, { mode: 'busmaster', strategy: 'copy', stacks: 2, stack: (i) => (i === 0 ? { body: stealDriverMessages(100_000) } : {}) });
    sendNeighbourFrames(w, 1, NEIGHBOUR_AT);
    return w;
  },
  watchWindow: () => () => ({ from: NEIGHBOUR_AT, to: NEIGHBOUR_AT + WINDOW - 1 }),
  act(w) {
    w.peer.send(frameTo(0, 60, 1));
  },
  outcome(w, acted) {
    const tries = w.clients[0]!.probe.writeAttempts;
    const thief = !acted ? 'no theft tried' : tries.length === 0 ? 'the thief never ran' : tries[0]!.startsWith('recv refused') ? `the thief's receive was refused (${tries[0]!.slice(14)})` : `the thief stole ${tries.length} messages`;
    return `${thief}${neighbourLoss(w, 1)}`;
  },
  verdict(w) {
    const bad = commonVerdict(w, 1);
    const stolen = w.clients[0]!.probe.writeAttempts.filter((t) => t.startsWith('stole'));
    if (stolen.length > 0) bad.push(`capabilities: a stack received ${stolen.length} messages on the driver's endpoint (first: ${stolen[0]})`);
    return bad;
  },
};
