// Attack: rewrite a transmit header after submitting it (time of check to time of use; the
// spoofing of threat model row 11 by another way). The stack submits UDP datagrams that are
// honest at the driver's check (its own source address) but whose UDP checksum is computed
// for its neighbour's address, as an echo answer from the neighbour's echo server to the
// peer's exerciser for the neighbour; right after kicking the driver it rewrites each IPv4
// header in its transmit page to carry the neighbour's address. The driver checks and sends
// its own copy of the headers, so what goes out is the honest header, whose checksum the peer
// refuses; if the card read the stack's page after the check, the peer would take the
// forgeries for the neighbour's answers and blame it for wrong bytes.

import { ECHO_PORT } from '../apps/echo-server.js';
import { put32 } from '../net/bytes.js';
import { ETH_HEADER } from '../net/ethernet.js';
import { IPV4_SRC, putIpv4Checksum } from '../net/ipv4.js';
import { readMac, TX_SLOT_BYTES } from '../netstack/pump.js';
import { PAGE_BYTES } from '../session/layout.js';
import { nap, open, roundCycles, udpFrame, type AttackBody } from './common.js';

/** Bytes of each forged answer (the exerciser's datagrams are 2 to 2,944 bytes: any length it did not send is wrong). */
const FORGED_BYTES = 200;
/** Sequence numbers the forgeries cycle through: the exerciser's first ones (one a millisecond). */
const FORGED_SEQUENCES = 64;
/** What the forgeries carry. */
const FILL = 0xbd;
/** The bytes it rewrites: the Ethernet header and the IPv4 header (20 bytes). */
const REWRITE = ETH_HEADER + 20;

export const rewriteHeaders: AttackBody = (cfg) =>
  function* (ctx) {
    const s = yield* open(ctx, cfg);
    if (!s) for (;;) yield* nap(ctx, ctx.constants.maxTimeout);
    const mac = yield* readMac(ctx, s);
    const slots = (cfg.geometry.txPages * PAGE_BYTES) / TX_SLOT_BYTES;
    for (let cookie = 1; ; ) {
      const submitted: { offset: number; forged: Uint8Array }[] = [];
      for (; submitted.length < slots; cookie++) {
        // Each answer names another of the exerciser's sequence numbers (its first two bytes), so some are ones it waits for.
        const data = new Uint8Array(FORGED_BYTES).fill(FILL);
        data[0] = 0;
        data[1] = cookie % FORGED_SEQUENCES;
        const honest = udpFrame({ mac, src: s.ip, srcPort: ECHO_PORT, cfg, dstPort: cfg.victim.port, data, checksumSrc: cfg.victim.ip });
        const offset = (cookie % slots) * TX_SLOT_BYTES;
        if (!(yield* s.submit(honest, offset, cookie))) break;
        const forged = honest.slice(0, REWRITE);
        put32(forged, ETH_HEADER + IPV4_SRC, cfg.victim.ip);
        putIpv4Checksum(forged);
        submitted.push({ offset, forged });
      }
      yield* s.kick();
      // The driver (above it in priority) has checked them by now; the card may not have read them all yet.
      for (const { offset, forged } of submitted) yield* ctx.write(s.txVa(offset), forged);
      if ((yield* s.wait()) === 0) for (;;) yield* nap(ctx, roundCycles(cfg));
      yield* s.completions();
    }
  };

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ rewriteHeaders });
