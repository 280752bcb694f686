// The driver's and the kernel's records as the composition's checks read them (checks.ts).
// A check takes the driver's word only for *which* page or pin is meant (a capability slot,
// a pin token) and asks the kernel what that page is now (capability -> live page -> frame)
// or what that pin holds, so it stays independent of the record it checks.

import type { DevPriv } from '../../../guest/kernel/devpriv.js';
import { lookup } from '../../../guest/kernel/caps.js';
import type { Domain } from '../../../guest/kernel/domains.js';
import { SLOT_POOL } from '../../../guest/netdriver/config.js';
import type { Net } from './net.js';

/** Whether the driver domain can still serve: runnable, its body not ended by an error. */
export function driverAlive(w: Net): boolean {
  const d = w.driverDomain;
  return (d.state === 'ready' || d.state === 'waiting') && d.thread?.error === undefined;
}

/**
 * The domains trusted to see every client: the driver and the domains in its space (its IRQ
 * forwarder); no one else holds that space. In the monolithic topology the shared stack
 * server too (and its session forwarders, in its space): serving every client's sockets is
 * its job, so it maps every client's shared pages (what the comparison measures is the
 * price of that trust).
 */
export function trustedDomains(w: Net): Domain[] {
  const spaces = [w.driverDomain.space, w.server?.domain.space];
  return w.kernel.state.domains.filter((d) => spaces.includes(d.space));
}

/** The frame behind the page in the driver's capability slot `slot`, or undefined when the capability is void or not a page. */
export function driverSlotFrame(w: Net, slot: number): number | undefined {
  return lookup(w.driverDomain.slots[slot], 'page')?.frame;
}

/** The device privilege the composition gave the driver for the card. */
export function cardPrivilege(w: Net): DevPriv | undefined {
  return w.kernel.state.devprivs.find((dp) => dp.portBase === w.card.ioBase);
}

/**
 * Every frame that is a receive buffer: any frame pinned for the card to write, every receive
 * buffer of every session the driver serves and every buffer of its receive pool, as the
 * driver's records name them (slots -> kernel pages -> frames).
 */
export function receiveBufferFrames(w: Net): Set<number> {
  const frames = new Set<number>();
  for (const dp of w.kernel.state.devprivs) for (const t of dp.tokens.values()) if (t.writable) frames.add(t.frame);
  const d = w.view.driver;
  if (!d) return frames;
  const add = (slot: number) => {
    const f = driverSlotFrame(w, slot);
    if (f !== undefined) frames.add(f);
  };
  for (const s of d.sessions) for (const slot of s.slots.rx) add(slot);
  for (let k = 0; k < d.rxSlots; k++) add(SLOT_POOL + k);
  return frames;
}
