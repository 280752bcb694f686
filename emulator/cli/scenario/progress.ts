// DESIGN.md §6 item 8, liveness of others: "a session's posted work waits a bounded time".
// A progress monitor over every session the driver serves, sampled at each check. A session's
// posted transmit work is of two kinds:
//   untaken     entries the stack published (the producer index of its TX_SUBMIT ring, read
//               from its control page in physical memory) that the driver has not taken;
//   unfinished  frames the driver took that have not completed (no TX_DONE entry yet).
// The monitor flags a session whose oldest piece of either kind has waited longer than the
// bound (transmitBound below) while the driver is alive. The driver takes a session's entries
// in order and completes them in order, so the oldest is the one that waits: the monitor
// restarts its clock whenever that oldest piece moves on.
//
// An entry waits only while the driver can take it: the driver takes a frame only when its
// completion will fit in the TX_DONE ring (room as the stack's consumer index says), so a
// stack that does not read its completions stops only itself, and such an entry is not
// counted. What the driver took and completed are its own reader and writer indexes, not the
// copies it publishes in the control page, which are the stack's to scribble on: a hostile
// stack can stall only its own session, never make the monitor blame the driver for it.

import { FRAME_SIZE } from '../../machine/memory.js';
import { ETH_MAX_FRAME } from '../../../devices/frame.js';
import { TX_DONE, TX_SUBMIT } from '../../../guest/session/layout.js';
import type { Session } from '../../../guest/netdriver/session.js';
import { TX_PER_SESSION } from '../../../guest/netdriver/transmit.js';
import { driverAlive, driverSlotFrame } from './records.js';
import type { Net } from './net.js';

/**
 * The driver's own work per transmitted frame during which the card may sit idle: in classic
 * mode the driver copies the next frame into the card through the data port only after the
 * previous one left (the card has one transmit buffer), with the interrupt, the forwarder's
 * message and a service pass around it. Measured on the classic starvation run
 * (test/security/check-liveness.test.ts): one full-size frame every ~81,000 cycles, 16,364 of
 * them on the wire, so ~65,000 the driver's. Bus-master mode overlaps that work with the wire.
 * Taken as 100,000 for headroom.
 */
export const DRIVER_FRAME_CYCLES = 100_000;

/**
 * Longest a service pass may keep the driver from the transmit rings: it handles received
 * frames first. In classic mode each is copied out of the card through the data port, and a
 * domain's every port access is a system call (~160 cycles, the IN itself ~33 of them): a
 * full-size frame takes ~65,000 cycles, four times the wire's 16,364 at 100 Mbit/s, so a pass
 * that emptied the ring would last as long as the peer kept sending. A pass therefore takes
 * at most RX_FRAMES_PER_PASS (2) frames from the ring (guest/netdriver/classic.ts): two
 * full-size frames, their delivery and the copy of a full-size frame to transmit measured
 * ~205,000 cycles (the boot run's classic mode under a heavy peer load). Taken as 2 ms.
 */
export const SERVICE_LATENCY_CYCLES = 266_000;

/**
 * How long a session's oldest posted work may wait. Ahead of it, with fair service, are at
 * most every session's frames in flight (TX_PER_SESSION each: the driver takes no more from
 * one session) and one more frame of each other session taken in its round-robin turn: fewer
 * than sessions × (TX_PER_SESSION + 1) frames. Each occupies the wire for at most the slot of
 * a full-size frame (preamble, 1,518 bytes, gap: 16,364 cycles at 100 Mbit/s and 133 MHz)
 * plus the driver's work for it when the card cannot overlap that with the wire; then the
 * driver may be busy for one service pass before it looks. With two sessions at 100 Mbit/s:
 * 10 × (16,364 + 100,000) + 266,000 = 1,429,640 cycles, under 11 ms.
 *
 * Classic mode under receive load fits the same sum. The card holds one frame, and the
 * driver sees it complete only in the pass after the one that was running when it left the
 * wire: each frame costs up to two passes of receive copies besides its own transmit copy,
 * ~340,000 cycles (~290,000 measured between two transmits). But only one frame per session
 * can be ahead (the one in the card, then one turn of each other session), where the sum
 * allows 5 × (16,364 + 100,000) = 581,820 cycles per session.
 */
export function transmitBound(w: Net): number {
  const sessions = Math.max(1, w.view.driver?.sessions.length ?? 1);
  return sessions * (TX_PER_SESSION + 1) * (w.wire.frameSlot(ETH_MAX_FRAME) + DRIVER_FRAME_CYCLES) + SERVICE_LATENCY_CYCLES;
}

/** The oldest piece of work of one kind: its ring index, and the first check that saw it waiting. */
interface Waiting {
  readonly index: number;
  readonly since: number;
}

interface SessionProgress {
  untaken: Waiting | undefined;
  unfinished: Waiting | undefined;
}

export class ProgressMonitor {
  private readonly progress = new WeakMap<Session, SessionProgress>();

  constructor(private readonly w: Net) {}

  /** Sample every session now; returns one violation per session whose oldest work waited longer than the bound. */
  check(): string[] {
    const w = this.w;
    const d = w.view.driver;
    if (!d || !driverAlive(w)) return [];
    const now = w.machine.now;
    const bound = transmitBound(w);
    const bad: string[] = [];
    for (const s of d.sessions) {
      const control = driverSlotFrame(w, s.slots.control);
      if (control === undefined) continue; // its storage is gone: the driver will close it
      const base = control * FRAME_SIZE;
      const published = w.machine.memory.read32(base + TX_SUBMIT.prodOffset);
      const completionsRead = w.machine.memory.read32(base + TX_DONE.consOffset);
      const taken = s.rings.txSubmit.index;
      const completed = s.rings.txDone.index;
      const size = s.geometry.ringSize;
      const ready = (published - taken) >>> 0;
      const takeable = ready > 0 && ready <= size && ((taken - completionsRead) >>> 0) < size;
      const p = this.progress.get(s) ?? { untaken: undefined, unfinished: undefined };
      this.progress.set(s, p);
      p.untaken = oldest(p.untaken, takeable ? taken : undefined, now);
      p.unfinished = oldest(p.unfinished, taken !== completed ? completed : undefined, now);
      const who = `session #${s.id} (badge ${s.badge})`;
      if (p.untaken && now - p.untaken.since > bound) bad.push(`8 liveness: ${who}: transmit entry ${p.untaken.index} published and not taken since cycle ${p.untaken.since}, longer than the bound of ${bound} cycles, while the driver is alive`);
      if (p.unfinished && now - p.unfinished.since > bound) bad.push(`8 liveness: ${who}: transmit entry ${p.unfinished.index} taken and not completed since cycle ${p.unfinished.since}, longer than the bound of ${bound} cycles, while the driver is alive`);
    }
    return bad;
  }
}

/** The oldest waiting piece now: the same one as before (its clock keeps running), a new one, or none. */
function oldest(before: Waiting | undefined, index: number | undefined, now: number): Waiting | undefined {
  if (index === undefined) return undefined;
  return before?.index === index ? before : { index, since: now };
}
