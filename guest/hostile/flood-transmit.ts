// Attack: flood the transmitter (threat model row 6). Once its session is open the stack keeps
// every transmit slot full of maximum-size UDP datagrams to the peer's discard port, kicks the
// driver, and refills as completions come back, forever. The driver serves the sessions'
// transmit rings round-robin, so the flood gets its share of the card and the wire, and every
// neighbour with a frame waiting still gets its turn.

import { DISCARD_PORT } from '../apps/discard-server.js';
import { ETH_HEADER, ETH_MAX_FRAME } from '../net/ethernet.js';
import { IPV4_MIN_HEADER } from '../net/ipv4.js';
import { readMac, TX_SLOT_BYTES } from '../netstack/pump.js';
import { UDP_HEADER } from '../netstack/udp.js';
import { PAGE_BYTES } from '../session/layout.js';
import { nap, open, roundCycles, udpFrame, type AttackBody } from './common.js';

/** The flood's source port (any will do). */
const FLOOD_PORT = 31_337;
/** Datagram bytes that fill a maximum Ethernet frame. */
const FLOOD_DATA = ETH_MAX_FRAME - ETH_HEADER - IPV4_MIN_HEADER - UDP_HEADER;
/** A byte pattern the peer will discard. */
const FILL = 0x5a;

export const floodTransmit: AttackBody = (cfg) =>
  function* (ctx) {
    const s = yield* open(ctx, cfg);
    if (!s) for (;;) yield* nap(ctx, ctx.constants.maxTimeout);
    const frame = udpFrame({ mac: yield* readMac(ctx, s), src: s.ip, srcPort: FLOOD_PORT, cfg, dstPort: DISCARD_PORT, data: new Uint8Array(FLOOD_DATA).fill(FILL) });
    const slots = (cfg.geometry.txPages * PAGE_BYTES) / TX_SLOT_BYTES;
    for (let cookie = 1; ; ) {
      // Fill the submit ring (slots reused round and round: whether the last frame there has gone yet is the attacker's business).
      while (yield* s.submit(frame, (cookie % slots) * TX_SLOT_BYTES, cookie)) cookie++;
      yield* s.kick();
      if ((yield* s.wait()) === 0) for (;;) yield* nap(ctx, roundCycles(cfg)); // the session is gone
      yield* s.completions();
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ floodTransmit });
