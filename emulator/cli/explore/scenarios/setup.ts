// destroy-during-setup (issue 9, attack 5 at every cycle): client 1 destroys its bank while
// its session is being set up: the stack allocating its sub-bank and region, the OPEN call,
// the driver allocating the session's rings, buffers and mirror from the client's opaque
// bank, mapping them, claiming the region and replying. Whatever step it hits, the driver
// must give back everything of the failed session and go on serving client 2. The window
// runs from the stack's first instruction to the session being open for it.

import type { Scenario } from '../scenario.js';
import { ScenarioError } from '../scenario.js';
import { buildWorld } from '../world.js';
import { commonVerdict, neighbourFramesEnd, neighbourLoss, sendNeighbourFrames, SETTLE, TRAFFIC_AT } from './common.js';

const NEIGHBOUR_AT = TRAFFIC_AT;
const END = neighbourFramesEnd(NEIGHBOUR_AT) + 30_000;

export const destroyDuringSetup: Scenario = {
  name: 'destroy-during-setup',
  summary: 'client 1 destroys its bank at every step of its session\'s setup (sub-bank, region, OPEN, the driver building and mapping the session)',
  actionIs: 'client 1 destroys its bank',
  windowIs: 'client 1\'s stack starting to the session being open for it',
  end: END,
  settle: SETTLE,
  build(c) {
    const w = buildWorld(c, { mode: 'busmaster', strategy: 'flip', stacks: 2 });
    sendNeighbourFrames(w, 1, NEIGHBOUR_AT);
    return w;
  },
  watchWindow(w) {
    let from: number | undefined;
    let to: number | undefined;
    const client = w.clients[0]!;
    w.machine.cpu.observers.add((a) => {
      if (from === undefined && a.thread === client.domain?.thread) from = a.cycle;
      if (to === undefined && client.probe.status !== undefined) to = a.cycle;
    });
    return () => {
      if (client.probe.status !== 'open') throw new ScenarioError(`destroy-during-setup: without the action client 1's session is '${client.probe.status ?? 'opening'}'`);
      return { from, to };
    };
  },
  act(w) {
    w.kernel.destroy(w.clients[0]!.bank);
  },
  outcome(w) {
    const d = w.view.driver;
    const opened = (d?.counters.sessionsOpened ?? 0) > 1;
    const fate = w.clients[0]!.probe.status === 'open' ? 'session opened, then closed' : opened ? 'session set up, the client gone before it heard' : 'no session';
    return `${fate}${neighbourLoss(w, 1)}`;
  },
  verdict: (w) => commonVerdict(w, 1),
};
