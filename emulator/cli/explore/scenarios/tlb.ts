// unmap-vs-stale-tlb (DESIGN.md §6 item 3, "when a revoking operation returns, no PTE and no
// TLB entry grants access to the revoked frame"): client 1's stack is the running domain,
// loading from a page of its own in a loop, so the TLB holds a translation for it; the
// client revokes that page. The kernel clears the PTE in the running space and must INVLPG it
// before it returns, or the stack goes on reading a frame that is no longer its page's.
// The window runs from the stack's first load of the page to its last.

import { readOwnPage } from '../../../../guest/apps/page-reader.js';
import { ScenarioError, type ExploreWorld, type Scenario } from '../scenario.js';
import { buildWorld } from '../world.js';
import { commonVerdict, neighbourFramesEnd, neighbourLoss, sendNeighbourFrames, SETTLE, TRAFFIC_AT } from './common.js';

/** Where the stack maps its page: clear of its session's region (raw-stack.ts REGION_VA). */
const PAGE_VA = 0x0100_0000;
const READS = 400;
const NEIGHBOUR_AT = TRAFFIC_AT;
const END = neighbourFramesEnd(NEIGHBOUR_AT) + 30_000;

/** The page the stack mapped at PAGE_VA, as the kernel's records have it. */
function stackPage(w: ExploreWorld) {
  const m = w.kernel.mappings(w.clients[0]!.space).find((x) => x.va === PAGE_VA);
  const o = m && w.kernel.state.frames.owner[m.frame];
  return o?.kind === 'page' ? o : undefined;
}

export const unmapVsStaleTlb: Scenario = {
  name: 'unmap-vs-stale-tlb',
  summary: 'client 1 revokes a page its own running stack is loading from in a loop; the kernel must flush the stale TLB entry before it returns',
  actionIs: `client 1 revokes the page its stack reads at va 0x${PAGE_VA.toString(16)}`,
  windowIs: 'the stack\'s first load of its page to its last',
  end: END,
  settle: SETTLE,
  build(c) {
    const w = buildWorld(c, { mode: 'busmaster', strategy: 'copy', stacks: 2, stack: (i) => (i === 0 ? { body: readOwnPage(PAGE_VA, READS) } : {}) });
    sendNeighbourFrames(w, 1, NEIGHBOUR_AT);
    return w;
  },
  watchWindow(w) {
    let from: number | undefined;
    let to: number | undefined;
    w.machine.cpu.observers.add((a) => {
      if (a.write || a.va !== PAGE_VA || a.thread !== w.clients[0]!.domain?.thread) return;
      from ??= a.cycle;
      to = a.cycle;
    });
    return () => {
      if (w.clients[0]!.probe.writeAttempts[0] !== 'all reads done') throw new ScenarioError(`unmap-vs-stale-tlb: without the action the stack's reads ended '${w.clients[0]!.probe.writeAttempts[0] ?? 'never'}'`);
      return { from, to };
    };
  },
  act(w) {
    const page = stackPage(w);
    if (page) w.kernel.revoke(page);
  },
  outcome(w) {
    const how = w.clients[0]!.probe.writeAttempts[0];
    const reads = how === 'all reads done' ? 'the stack finished its reads first' : how?.startsWith('fault') ? 'the stack\'s next load faulted' : `the stack: ${how ?? 'still reading'}`;
    return `${reads}${neighbourLoss(w, 1)}`;
  },
  verdict: (w) => commonVerdict(w, 1),
};
