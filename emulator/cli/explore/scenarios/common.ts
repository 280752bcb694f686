// What the explorer's scenarios share: when traffic starts (every session open well before),
// the checks every scenario ends with (the driver alive, no frame lost silently, the
// neighbour's traffic still flowing), and how a frame's fate and a session's fate are named.

import { DELIVER_COPIED, DELIVER_EXCHANGED, DELIVER_FLIPPED } from '../../../../guest/session/layout.js';
import { driverAlive } from '../../scenario/records.js';
import type { ExploreWorld } from '../scenario.js';
import type { RunSteps } from '../steps.js';
import { frameTo, sendAt } from '../world.js';

/** Cycle at which a scenario's traffic starts: both sessions open by then (0.75 ms at 133 MHz; they open in about 0.2 ms, and the scenario checks). */
export const TRAFFIC_AT = 100_000;
/** Cycles after the window (or the action) during which every event is still checked: the driver has long noticed a revocation by then. */
export const SETTLE = 50_000;
/** A 1514-byte frame: the largest Ethernet frame without FCS, the longest reception. */
export const FULL_FRAME = 1514;
/**
 * The neighbour's frames, sent after the window to show its traffic still flows: three, of 60
 * to 62 bytes (the length tells them apart), 10,000 cycles apart. The first two may land in
 * buffers the dead session left armed in the card (the driver replaces those only where the
 * card is not about to use them: the two after its current one), so the verdict asks for the last.
 */
const NEIGHBOUR_FRAMES = [60, 61, 62] as const;
const NEIGHBOUR_GAP = 10_000;
const NEIGHBOUR_TAG = 0x77;

/** At `cycle`, note a setup problem unless every session is open (a scenario's traffic needs them). */
export function expectOpenAt(w: ExploreWorld, cycle: number): void {
  w.traffic.at(cycle, () => {
    const status = w.clients.map((c) => c.probe.status ?? 'opening');
    if (status.some((s) => s !== 'open')) w.setupProblems.push(`sessions not open at cycle ${w.machine.now} (${status.join(', ')}): the scenario's traffic starts too early`);
  });
}

/** Schedule the neighbour's frames to `client` from `cycle` on (commonVerdict expects the last delivered). */
export function sendNeighbourFrames(w: ExploreWorld, client: number, cycle: number): void {
  NEIGHBOUR_FRAMES.forEach((length, k) => sendAt(w, cycle + k * NEIGHBOUR_GAP, frameTo(client, length, NEIGHBOUR_TAG)));
}

/** Cycle by which the neighbour's frames have all been sent, from `cycle`. */
export function neighbourFramesEnd(cycle: number): number {
  return cycle + NEIGHBOUR_FRAMES.length * NEIGHBOUR_GAP;
}

/** Which of the neighbour's frames reached its ring. */
function neighbourDelivered(w: ExploreWorld, client: number): boolean[] {
  return NEIGHBOUR_FRAMES.map((length) => w.deliveries.some((d) => d.client === client && d.length === length));
}

/** How many of the neighbour's frames were dropped, in words ('' when none). */
export function neighbourLoss(w: ExploreWorld, client: number): string {
  const lost = neighbourDelivered(w, client).filter((ok) => !ok).length;
  return lost === 0 ? '' : `; client ${client + 1} lost ${lost} of ${NEIGHBOUR_FRAMES.length} later frames`;
}

/** Cycles between two looks at whether the driver is done (untilQuiet). */
export const QUIET_POLL = 20_000;

/** Frames the driver has delivered or counted as dropped. */
export function accounted(w: ExploreWorld): number {
  const d = w.view.driver;
  return d ? d.counters.delivered + Object.values(d.counters.dropped).reduce((a, b) => a + b, 0) : 0;
}

/**
 * Steps (steps.ts) that run on until the driver has dealt with every frame the card received and waits for work
 * (or `limit` more cycles): in classic mode the CPU moves every byte through the data port,
 * and a burst of large frames can leave it a backlog that outlasts the traffic.
 */
export function* untilQuiet(w: ExploreWorld, limit: number): RunSteps<void> {
  const end = w.machine.now + limit;
  while (w.machine.now < end && driverAlive(w) && (accounted(w) < w.card.totals.received || w.driverDomain.state !== 'waiting')) yield w.machine.now + QUIET_POLL;
}

/** The driver's own checks: it still serves, and it accounted for every frame the card received (delivered, or dropped and counted). */
export function driverVerdict(w: ExploreWorld): string[] {
  const bad: string[] = [];
  if (!driverAlive(w)) bad.push(`driver down: ${w.driverDomain.state}${w.driverDomain.thread?.error ? ` (${String(w.driverDomain.thread.error)})` : ''}`);
  const received = w.card.totals.received;
  if (accounted(w) < received) bad.push(`lost frames: the card received ${received} frames, the driver delivered or counted as dropped ${accounted(w)}`);
  return bad;
}

/** The checks of every scenario: the driver's (driverVerdict), and the neighbour's traffic flows again (its last frame arrived). */
export function commonVerdict(w: ExploreWorld, neighbour: number): string[] {
  const bad = driverVerdict(w);
  const got = neighbourDelivered(w, neighbour);
  if (!got[got.length - 1]) bad.push(`8 liveness: client ${neighbour + 1}'s last frames after the window were not delivered (${got.map((ok) => (ok ? 'delivered' : 'dropped')).join(', ')})`);
  return bad;
}

/** Frames the driver counted as dropped, by reason ("revoked ×1"), or undefined when none. */
export function drops(w: ExploreWorld): string | undefined {
  const d = w.view.driver;
  if (!d) return undefined;
  const counted = Object.entries(d.counters.dropped).filter(([, n]) => n > 0);
  return counted.length === 0 ? undefined : counted.map(([r, n]) => (n === 1 ? r : `${r} ×${n}`)).join(', ');
}

export function howName(how: number): string {
  return how === DELIVER_COPIED ? 'copied' : how === DELIVER_FLIPPED ? 'flipped' : how === DELIVER_EXCHANGED ? 'exchanged' : `how ${how}`;
}

/** What became of client `client`'s session: closed by the driver, or still served. */
export function sessionFate(w: ExploreWorld, client: number): string {
  const d = w.view.driver;
  if (d?.sessions.some((s) => s.badge === client + 1)) return 'session still open';
  return w.clients[client]!.probe.session ? 'session closed' : 'no session';
}
