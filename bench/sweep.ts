// Per-offset host cost of a cycle sweep (DESIGN.md §7), not part of `npm run bench`: for each
// offset of a 24,000-cycle window the composition is built from boot (busmaster, copy, two
// stacks), runs until its sessions are open, a peer sends one full-size frame at TRAFFIC_AT,
// client 0 destroys its bank at TRAFFIC_AT + offset, and every event is checked from the
// destruction until TRAFFIC_AT + 40,000 (the frame's window is over by then).
//   npx esbuild bench/sweep.ts --bundle --platform=node --format=esm --outfile=dist/sweep.mjs \
//     --external:pino --external:commander && CHECK=inc MEM=4 POOL=1 node dist/sweep.mjs
// CHECK: none | full (violations(w), what the tests check per event) | zero (violations(w, true))
// | inc (IncrementalChecks, = zero) | agree (both, throws on any difference). MEM: MiB of RAM
// (default the composition's 16). POOL=1: reuse RAM buffers (RamPool). OFFSETS: how many.

import '../emulator/machine/realm-hardened.js';
import { FrameSource } from '../devices/peers/source.js';
import type { Wire } from '../devices/wire/wire.js';
import { violations } from '../emulator/cli/scenario/checks.js';
import { IncrementalChecks } from '../emulator/cli/scenario/incremental.js';
import { CARD_MAC, composeNet, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../emulator/cli/scenario/net.js';
import { RamPool } from '../emulator/machine/memory.js';
import { ipv4Frame } from '../guest/net/build.js';

const TRAFFIC_AT = 300_000;
const WINDOW = 24_000;
const OFFSETS = Number(process.env.OFFSETS ?? 200);
const MEM = process.env.MEM ? Number(process.env.MEM) << 20 : undefined;
const MODE = process.env.CHECK ?? 'inc';
const pool = process.env.POOL ? new RamPool() : undefined;

const frame = ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(0), payload: new Uint8Array(1514 - 34).fill(7) });
const t = { build: 0, open: 0, window: 0, checks: 0 };
let checks = 0;
let withViolations = 0;
for (let i = 0; i < OFFSETS; i++) {
  const t0 = performance.now();
  let peer: FrameSource | undefined;
  const w = composeNet({ mode: 'busmaster', strategy: 'copy', stacks: 2, ...(MEM && { memoryBytes: MEM }), ...(pool && { ram: pool }), onWire: (wire: Wire) => (peer = new FrameSource(wire, 'peer')) });
  const t1 = performance.now();
  runUntilOpen(w);
  if (w.machine.now > TRAFFIC_AT) throw new Error(`sessions opened late, at cycle ${w.machine.now}`);
  w.machine.eventSource('test-peer').at(TRAFFIC_AT, () => peer!.send(frame));
  w.machine.runUntil(TRAFFIC_AT + Math.floor((i * WINDOW) / OFFSETS));
  const t2 = performance.now();
  const inc = MODE === 'inc' || MODE === 'agree' ? new IncrementalChecks(w) : undefined;
  w.machine.clock.afterEvent = () => {
    if (MODE === 'none') return;
    const c0 = performance.now();
    const v = inc ? inc.check() : violations(w, MODE === 'zero');
    t.checks += performance.now() - c0;
    checks++;
    if (v.length > 0) withViolations++;
    if (MODE === 'agree' && JSON.stringify(violations(w, true)) !== JSON.stringify(v)) throw new Error(`disagreement at cycle ${w.machine.now}`);
  };
  w.kernel.destroy(w.clients[0]!.bank);
  w.machine.runUntil(TRAFFIC_AT + 40_000);
  w.machine.clock.afterEvent = undefined;
  pool?.give(w.machine.memory);
  const t3 = performance.now();
  t.build += t1 - t0;
  t.open += t2 - t1;
  t.window += t3 - t2;
}
const per = (ms: number) => `${(ms / OFFSETS).toFixed(2)} ms`;
console.log(
  `check=${MODE} ram=${MEM ?? 16 << 20}${pool ? ' pooled' : ''}, per offset: build ${per(t.build)}, open + run to the offset ${per(t.open)}, ` +
    `window ${per(t.window)} (checks ${per(t.checks)}: ${(checks / OFFSETS).toFixed(0)} of ${(1000 * t.checks / Math.max(1, checks)).toFixed(1)} µs); ` +
    `total ${per(t.build + t.open + t.window)}; checks with violations ${withViolations}`,
);
