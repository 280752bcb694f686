// Races on the transmit path (DESIGN.md §5, "takes the frame headers into its own memory
// before checking them"). Client 1's stack transmits one 1514-byte frame when a trigger frame
// from the peer reaches it (guest/apps/trigger-sender.ts). The window runs from its kick to
// the peer hearing the frame's last byte: the driver taking the entry, copying and checking
// the header, pinning the payload page, arming two descriptors, the card's DMA reads and the
// frame on the wire.
//   revoke-during-tx        the client destroys its bank in that window.
//   hostile-header-rewrite  the (hostile) stack rewrites the frame's IPv4 header in its own
//                           transmit page to carry client 2's source address: a store its
//                           read-write mapping allows, made between two CPU accesses.

import { PAGE_BYTES, txPage } from '../../../../guest/session/layout.js';
import { REGION_VA } from '../../../../guest/apps/raw-stack.js';
import { sendOnTrigger } from '../../../../guest/apps/trigger-sender.js';
import { ipOf } from '../../scenario/net.js';
import { ScenarioError, type ExploreWorld, type Scenario } from '../scenario.js';
import { buildWorld, frameFrom, frameTo, sendAt, storeAs } from '../world.js';
import { commonVerdict, expectOpenAt, FULL_FRAME, neighbourFramesEnd, neighbourLoss, sendNeighbourFrames, sessionFate, SETTLE, TRAFFIC_AT } from './common.js';

const FRAME_TAG = 0x3c;
const NEIGHBOUR_AT = TRAFFIC_AT + 80_000;
const END = neighbourFramesEnd(NEIGHBOUR_AT) + 30_000;
/** The Ethernet and IPv4 headers: what the rewrite replaces. */
const HEADERS = 34;

const sent = () => frameFrom(0, FULL_FRAME, FRAME_TAG);
/** The same frame as if client 2 had sent it: the spoof the hostile writes. */
const spoofed = () => frameFrom(1, FULL_FRAME, FRAME_TAG);

interface Spec {
  readonly name: string;
  readonly summary: string;
  readonly actionIs: string;
  readonly act: (w: ExploreWorld) => void;
}

function transmitScenario(s: Spec): Scenario {
  const heard = (w: ExploreWorld) => w.peer.heard.find((h) => h.frame.length === FULL_FRAME);
  return {
    name: s.name,
    summary: s.summary,
    actionIs: s.actionIs,
    windowIs: `client 1's kick of its ${FULL_FRAME}-byte frame to the peer hearing its last byte`,
    end: END,
    settle: SETTLE,
    build(c) {
      const w = buildWorld(c, { mode: 'busmaster', strategy: 'copy', stacks: 2, stack: (i) => (i === 0 ? { body: sendOnTrigger(sent()) } : {}) });
      expectOpenAt(w, TRAFFIC_AT);
      sendAt(w, TRAFFIC_AT, frameTo(0, 60, 1));
      sendNeighbourFrames(w, 1, NEIGHBOUR_AT);
      return w;
    },
    watchWindow(w) {
      return () => {
        const from = w.clients[0]!.probe.kicks[0];
        const h = heard(w);
        if (from === undefined || !h) throw new ScenarioError(`${s.name}: without the action the frame was never sent`);
        return { from, to: h.cycle };
      };
    },
    act: s.act,
    outcome(w) {
      const h = heard(w);
      const rejected = Object.entries(w.view.driver?.counters.rejected ?? {}).filter(([, n]) => n > 0).map(([r]) => r);
      const frame = h ? (sameBytes(h.frame, sent()) ? 'sent as submitted' : sameBytes(h.frame, spoofed()) ? 'sent as rewritten' : 'sent with other bytes')
        : rejected.length > 0 ? `not sent (rejected: ${rejected.join(', ')})` : 'not sent (never taken)';
      return `${frame}; client 1: ${sessionFate(w, 0)}${neighbourLoss(w, 1)}`;
    },
    verdict(w) {
      const bad = commonVerdict(w, 1);
      for (const h of w.peer.heard) {
        const src = h.frame.length >= HEADERS ? new DataView(h.frame.buffer, h.frame.byteOffset).getUint32(26) : 0;
        if (src === ipOf(1)) bad.push(`5 transmit check: a frame on the wire at cycle ${h.cycle} carries client 2's source address, and only client 1 sent`);
        else if (h.frame.length === FULL_FRAME && !sameBytes(h.frame, sent())) bad.push(`4 isolation: client 1's frame went on the wire with bytes it did not write`);
      }
      return bad;
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export const revokeDuringTx = transmitScenario({
  name: 'revoke-during-tx',
  summary: 'client 1 destroys its bank while its 1514-byte frame is checked, pinned, DMAed by the card and put on the wire',
  actionIs: 'client 1 destroys its bank',
  act: (w) => w.kernel.destroy(w.clients[0]!.bank),
});

export const hostileHeaderRewrite = transmitScenario({
  name: 'hostile-header-rewrite',
  summary: 'a hostile stack rewrites its submitted frame\'s IPv4 header to client 2\'s source address while the driver checks and sends it',
  actionIs: 'client 1\'s stack rewrites the Ethernet and IPv4 headers in its transmit page 0 to carry client 2\'s source address',
  act: (w) => storeAs(w, 0, REGION_VA + txPage(0) * PAGE_BYTES, spoofed().subarray(0, HEADERS)),
});
