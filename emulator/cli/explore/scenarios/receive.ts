// Revocation during a reception (DESIGN.md §1, both receive strategies): a 1514-byte frame
// arrives for one client while that client (or the owner of the page it lands in) destroys
// its bank. The window runs from the card's first DMA beat of the reception to the driver
// putting the frame on the recipient's deliver ring: in `copy` it spans the DMA into the
// driver's pool buffer and the driver's copy through its mirror; in `flip` the DMA into the
// client's pinned page and the driver's unpin and delivery in place (or, when the frame landed
// in another client's page, the exchange and the remapping).

import type { Strategy } from '../../../../guest/netdriver/config.js';
import { ScenarioError, type ExploreWorld, type Scenario } from '../scenario.js';
import { buildWorld, frameTo, sendAt } from '../world.js';
import { commonVerdict, drops, expectOpenAt, FULL_FRAME, howName, neighbourFramesEnd, neighbourLoss, sendNeighbourFrames, sessionFate, SETTLE, TRAFFIC_AT } from './common.js';

const FRAME_TAG = 0x5a;
/** When the neighbour's frame comes: long after any window of these scenarios. */
const NEIGHBOUR_AT = TRAFFIC_AT + 80_000;
const END = neighbourFramesEnd(NEIGHBOUR_AT) + 30_000;

interface Spec {
  readonly name: string;
  readonly summary: string;
  readonly strategy: Strategy;
  readonly iommu?: boolean;
  /** Whom the frame is for. */
  readonly recipient: number;
  /** Whose bank is destroyed (or, with `act`, who acts). */
  readonly victim: number;
  /** Another action than destroying the victim's bank, and what it is in words. */
  readonly act?: (w: ExploreWorld) => void;
  readonly actionIs?: string;
  /** How the frame reaches the recipient without the action: the probe checks the scenario is the one it says. */
  readonly expect: 'copied' | 'flipped' | 'exchanged';
}

function receiveScenario(s: Spec): Scenario {
  const neighbour = s.victim === 0 ? 1 : 0;
  const received = (w: ExploreWorld) => w.deliveries.find((d) => d.client === s.recipient && d.length === FULL_FRAME);
  return {
    name: s.name,
    summary: s.summary,
    actionIs: s.actionIs ?? `client ${s.victim + 1} destroys its bank`,
    windowIs: `the card's first DMA beat of the ${FULL_FRAME}-byte frame for client ${s.recipient + 1} to the driver putting it on that client's deliver ring`,
    end: END,
    settle: SETTLE,
    build(c) {
      const w = buildWorld(c, { mode: 'busmaster', strategy: s.strategy, stacks: 2, iommu: s.iommu });
      expectOpenAt(w, TRAFFIC_AT);
      sendAt(w, TRAFFIC_AT, frameTo(s.recipient, FULL_FRAME, FRAME_TAG));
      sendNeighbourFrames(w, neighbour, NEIGHBOUR_AT);
      return w;
    },
    watchWindow(w) {
      let from: number | undefined;
      w.machine.dma.observers.add((b) => {
        if (from === undefined && b.write && b.master === w.card.name && b.cycle >= TRAFFIC_AT) from = b.cycle;
      });
      return () => {
        const d = received(w);
        if (!d) throw new ScenarioError(`${s.name}: without the action the frame was never delivered`);
        if (howName(d.how) !== s.expect) throw new ScenarioError(`${s.name}: the frame was ${howName(d.how)}, the scenario needs it ${s.expect}`);
        return { from, to: d.cycle };
      };
    },
    act: s.act ?? ((w) => w.kernel.destroy(w.clients[s.victim]!.bank)),
    outcome(w) {
      const d = received(w);
      const dropped = drops(w);
      const frame = d ? `${howName(d.how)} to client ${s.recipient + 1}` : dropped ? `dropped (${dropped})` : 'lost';
      return `${frame}; client ${s.victim + 1}: ${sessionFate(w, s.victim)}${neighbourLoss(w, neighbour)}`;
    },
    verdict: (w) => commonVerdict(w, neighbour),
  };
}

export const revokeDuringCopyRx = receiveScenario({
  name: 'revoke-during-copy-rx',
  summary: 'copy: client 1 destroys its bank while a 1514-byte frame for it is DMAed into the driver\'s buffer and copied into its session',
  strategy: 'copy', recipient: 0, victim: 0, expect: 'copied',
});

export const revokeDuringFlipRx = receiveScenario({
  name: 'revoke-during-flip-rx',
  summary: 'flip: client 1 destroys its bank while the card DMAs a 1514-byte frame for it into its pinned page, and the driver delivers it in place',
  strategy: 'flip', recipient: 0, victim: 0, expect: 'flipped',
});

export const revokeVsExchange = receiveScenario({
  name: 'revoke-vs-exchange',
  summary: 'flip: a frame for client 2 lands in client 1\'s pinned page; client 1 destroys its bank while the driver exchanges the page into client 2',
  strategy: 'flip', recipient: 1, victim: 0, expect: 'exchanged',
});

export const revokeWithIommu = receiveScenario({
  name: 'revoke-with-iommu',
  summary: 'flip behind the IOMMU: client 1 destroys its bank during the DMA into its pinned page; the IOMMU must map exactly the pinned frames throughout',
  strategy: 'flip', iommu: true, recipient: 0, victim: 0, expect: 'flipped',
});

export const destroyStackDuringRx = receiveScenario({
  name: 'destroy-stack-during-rx',
  summary: 'copy: client 1 destroys its stack domain (not its bank) while a 1514-byte frame for it is received and copied into its session',
  strategy: 'copy', recipient: 0, victim: 0, expect: 'copied',
  actionIs: 'client 1 frees its stack domain',
  act: (w) => {
    const c = w.clients[0]!;
    if (c.domain?.live) w.kernel.free(c.bank, c.domain);
  },
});
