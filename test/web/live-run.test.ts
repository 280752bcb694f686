// The page's run (emulator/web/live/live-run.ts), in node: stepped in uneven chunks with the
// recorder and the packet log listening, it is the run `reloaded run` makes (same report, same
// trace hash), a revocation the page makes at an arbitrary cycle is the run of the
// `--revoke K@CYCLE` line it shows, and its snapshots say what the kernel's records say.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { bootOptions, commandLine, LiveRun } from '../../emulator/web/live/live-run.js';
import { describeFrame } from '../../emulator/web/live/packets.js';
import { LANE_DMA, LANE_KERNEL_OPS } from '../../emulator/web/live/recorder.js';
import { FRAME_FREE, FRAME_FREE_DIRTY, FRAME_QUARANTINED, FRAME_STATE_MASK, OWNER_FIRST_CLIENT, type RunConfig, type Snapshot } from '../../emulator/web/protocol.js';
import { cyclesOf } from '../../emulator/cli/scenario/boot.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../emulator/cli/scenario/net.js';

const MILLIS = 8;
const HZ = 133_000_000;
const config = (o: Partial<RunConfig> = {}): RunConfig => ({
  seed: 3, millis: MILLIS, strategy: 'flip', mode: 'busmaster', clients: 2, link: 100,
  revokes: [{ client: 1, cycle: Math.floor(cyclesOf(MILLIS, HZ) / 2) }], ...o,
});

/** Step a live run in uneven chunks, keeping every snapshot. */
function stepAll(live: LiveRun, until = Infinity): Snapshot[] {
  const snaps: Snapshot[] = [];
  let k = 0;
  while (!live.done && live.now < until) {
    live.advance(Math.min(until - live.now, 3_000 + ((k++ * 7_919) % 40_000)));
    snaps.push(live.snapshot(true));
  }
  return snaps;
}

const owned = (s: Snapshot, client: number) => [...s.frames.owner].flatMap((o, f) => (o === OWNER_FIRST_CLIENT + client - 1 ? [f] : []));

describe('the page\'s live run', () => {
  it('stepped in chunks, with every observer on, is the run reloaded run makes', () => {
    const c = config();
    const live = new LiveRun(c);
    const snaps = stepAll(live);
    const node = runBootScenario(bootOptions(c));
    expect(snaps.at(-1)!.report).toEqual(node);
    expect(snaps.at(-1)!.run.hash).toBe(node.trace.hash);
    // What it recorded on the way: card DMA, a stack's CPU accesses, kernel operations, packets on the wire.
    const spans = snaps.flatMap((s) => s.spans);
    expect(spans.some((s) => s.lane === LANE_DMA && s.frame >= 0 && s.bytes > 0)).toBe(true);
    expect(spans.some((s) => s.lane === LANE_KERNEL_OPS && s.text.startsWith('kernel.pin'))).toBe(true);
    expect(new Set(spans.map((s) => s.lane)).size).toBeGreaterThanOrEqual(5);
    const packets = snaps.flatMap((s) => s.packets);
    expect(packets.length).toBe(node.wire.frames);
    expect(packets.some((p) => p.direction === 'in') && packets.some((p) => p.direction === 'out')).toBe(true);
    const points = snaps.flatMap((s) => s.points);
    expect(points.length).toBe(Math.floor(node.cycles / Math.round(0.0005 * HZ)));
    expect(points.reduce((a, p) => a + p.bytes[1]!, 0)).toBeGreaterThan(0);
    // A point holds what the wire carried in its interval: at most the link both ways (full duplex), and a frame more each way.
    const most = 2 * (100e6 / 8 * 0.0005 + 1538);
    expect(Math.max(...points.flatMap((p) => p.bytes))).toBeLessThanOrEqual(most);
    expect(points.reduce((a, p) => a + p.bytes[0]! + p.bytes[1]!, 0)).toBe(packets.filter((p) => p.cycle < points.at(-1)!.cycle && /10\.0\.0\.[23]/.test(p.summary)).reduce((a, p) => a + p.length, 0));
    expect(spans.some((s) => /^#\d+ stack1 \(client 2\)$/.test(s.lane))).toBe(true);
  });

  it('the default config is the default run (the hash npm start prints)', () => {
    const c = config({ seed: BOOT_DEFAULTS.seed, millis: 4, revokes: [] });
    const live = new LiveRun(c);
    stepAll(live);
    expect(live.snapshot(false).run.hash).toBe(runBootScenario({ ...BOOT_DEFAULTS, millis: 4, revokes: 'none' }).trace.hash);
    expect(commandLine(c)).toBe('npx reloaded run --seed 1 --millis 4 --strategy flip --mode busmaster --clients 2 --link 100 --revoke none');
  });

  it('a revocation the page makes mid-step is the run of the command line it shows', () => {
    const c = config({ revokes: [] });
    const live = new LiveRun(c);
    stepAll(live, 400_000);
    const at = live.now; // wherever the last chunk stopped: not a stride's end
    const before = live.snapshot(true);
    const mine = owned(before, 2);
    expect(mine.length).toBeGreaterThan(10);
    const deliveredBefore = before.sessions[1]!.delivered;
    expect(deliveredBefore).toBeGreaterThan(0);
    live.revoke(2);
    const after = live.snapshot(true);
    // The revoked bank's cells are free (zeroed or not yet) or quarantined (still pinned), none the client's any more.
    expect(owned(after, 2)).toEqual([]);
    for (const f of mine) expect([FRAME_FREE, FRAME_FREE_DIRTY, FRAME_QUARANTINED]).toContain(after.frames.state[f]! & FRAME_STATE_MASK);
    expect(after.sessions[1]!.status).toBe('revoked');
    const snaps = stepAll(live);
    const end = snaps.at(-1)!;
    expect(end.sessions[1]!.delivered).toBe(after.sessions[1]!.delivered); // its session's counters stop
    expect(end.sessions[0]!.delivered).toBeGreaterThan(after.sessions[0]!.delivered); // the other carries on
    expect(live.config.revokes).toEqual([{ client: 2, cycle: at }]);
    expect(commandLine(live.config)).toContain(`--revoke 2@${at}`);
    const node = runBootScenario(bootOptions(live.config));
    expect(end.report).toEqual(node);
  });

  it('a spare client added mid-run joins the running machine: the run of the --join line it shows', () => {
    const c = config({ clients: 3, spare: 1, revokes: [] });
    const live = new LiveRun(c);
    const end = cyclesOf(MILLIS, HZ);
    expect(live.config.joins).toEqual([{ client: 3, cycle: end }]); // a spare waits to join at the end
    stepAll(live, 350_000);
    const at = live.now;
    const before = live.snapshot(true);
    expect(before.run.waiting).toEqual([3]);
    expect(before.sessions[2]!.status).toBe('not joined');
    expect(live.join()).toBe(3);
    expect(live.config.joins).toEqual([{ client: 3, cycle: at }]);
    expect(commandLine(live.config)).toContain(`--clients 3 --link 100 --revoke none --join 3@${at}`);
    expect(() => live.join()).toThrow('join: no client is waiting to join');
    const snaps = stepAll(live);
    const last = snaps.at(-1)!;
    expect(last.sessions[2]!.status).toBe('open');
    expect(last.sessions[2]!.delivered).toBeGreaterThan(0);
    expect(last.report).toEqual(runBootScenario(bootOptions(live.config)));
  });

  it('a hostile stack from the red-team catalogue runs beside the others; the report names it', () => {
    const live = new LiveRun(config({ clients: 3, revokes: [], hostile: [{ client: 3, attack: 'flood-transmit' }] }));
    const last = stepAll(live).at(-1)!;
    expect(last.sessions[2]!.status).toBe('hostile');
    expect(last.report!.problems).toEqual([]);
    expect(last.report!.hostile?.[0]).toMatchObject({ client: 3, attack: 'flood-transmit' });
    expect(last.run.command).toContain('--hostile 3:flood-transmit');
    expect(() => new LiveRun(config({ hostile: [{ client: 2, attack: 'no-such' }] }))).toThrow(/no-such/);
  });

  it('refuses a revocation it cannot make, with the reason', () => {
    const live = new LiveRun(config({ revokes: [] }));
    live.advance(100_000);
    expect(() => live.revoke(3)).toThrow('revoke: client 3 does not exist (clients are 1 to 2)');
    expect(() => live.revoke(1, 10)).toThrow(/revoke: cycle 10 has passed/);
    live.revoke(1);
    expect(() => live.revoke(1)).toThrow('revoke: client 1 has already destroyed its bank');
    expect(() => live.inspect(1e9)).toThrow(/inspect: frame 1000000000 does not exist/);
  });

  it('a frame\'s detail names its owner, pins and mappings with their rights', () => {
    const live = new LiveRun(config({ revokes: [] }));
    live.advance(300_000);
    const s = live.snapshot(true);
    const f = owned(s, 1).find((x) => live.inspect(x).mappings.length > 0)!;
    const d = live.inspect(f);
    expect(d.text).toMatch(/client 1/);
    expect(d.mappings[0]!.rights).toMatch(/^r[ow]$/);
    expect(d.mappings[0]!.space).toMatch(/space/);
  });

  it('names a frame in one line', () => {
    const f = ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(0), payload: new Uint8Array([0, 7, 0, 9, 0, 12, 0, 0, 1, 2, 3, 4]) });
    expect(describeFrame(f)).toBe('10.0.0.1 → 10.0.0.2 UDP 7 → 9 4 bytes');
    expect(describeFrame(new Uint8Array(5))).toBe('runt frame (5 bytes)');
  });
});
