// The TCP/IP stacks on the default machine (factored, 133 MHz, bus-master, flip, 100 Mbit/s):
// the headline figures of issue 11, the factored rows of the topology section (topologies.ts,
// whose measurements it shares): TCP bulk goodput into one client, out of one client and into
// four clients sharing the link, the CPU's share, and UDP round-trip latency, between the
// clients' stack domains (kernel, driver and every cost of the CPU model included) and the
// built-in peer host, over a fixed emulated window after a warm-up. Emulated: one run each.
// The physical limit of one flow at 100 Mbit/s with 1460-byte segments is about 94.9 Mbit/s.

import { atLeast, emulated, type Figure } from './figures.js';
import { TCP_PAYLOAD_FRACTION } from './flows.js';
import type { Section } from './section.js';
import { measureRow } from './topologies.js';

/** Issue 11's goal for one flow into one client, in Mbit/s. */
const ONE_CLIENT_GOAL = 90;

export const netstackSection: Section = {
  name: 'netstack',
  title: 'netstack: TCP and UDP through the factored stacks (emulated; the whole system)',
  run(ctx) {
    ctx.progress('netstack: factored, 1 and 4 clients, 100 Mbit/s');
    const one = measureRow('factored', 1, 100, ctx.quick);
    const four = measureRow('factored', 4, 100, ctx.quick);
    const w = one.window;
    const measured = `the whole system, factored, busmaster, flip, 100 Mbit/s (physical limit ${(100 * TCP_PAYLOAD_FRACTION).toFixed(1)}), ${w.seconds * 1000} ms window after ${w.warmupSeconds * 1000} ms`;
    const figures: Figure[] = [
      emulated('TCP bulk into 1 client, goodput', one.receive.goodputMbit, 'emulated Mbit/s', measured, atLeast(one.receive.goodputMbit, ONE_CLIENT_GOAL)),
      emulated('TCP bulk into 1 client, CPU busy', one.receive.cpu * 100, '% of the emulated CPU', measured),
      emulated('TCP bulk out of 1 client, goodput', one.send.goodputMbit, 'emulated Mbit/s', measured),
      emulated('TCP bulk into 4 clients sharing the link, goodput', four.receive.goodputMbit, 'emulated Mbit/s, all 4 flows together', measured),
      emulated('TCP bulk into 4 clients, CPU busy', four.receive.cpu * 100, '% of the emulated CPU', measured),
      emulated('UDP round trip, 64-byte datagram, min', one.udp.minUs, "emulated µs (peer to the client's echo server and back)", measured),
      emulated('UDP round trip, 64-byte datagram, median', one.udp.medianUs, 'emulated µs', measured),
    ];
    return { figures };
  },
};
