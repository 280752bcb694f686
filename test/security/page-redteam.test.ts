// The page's worker (emulator/web/worker.ts and live/) against a hostile domain, a hostile
// command message and a hostile replay line: the attacks of the page's red team that the
// design already stops, kept as regressions. Each asserts the attack failed.
//
// - A hostile application in a stack domain leaves getters, a proxy, a proxy prototype,
//   NaN, Infinity and thousands of extra keys in its stack's counters: the snapshot reads
//   them as plain data (scenario/plain.ts), so nothing runs in the worker, neither while the
//   snapshot is made nor while postMessage's structured clone walks it, and no key beyond
//   the counters' own reaches the page.
// - Frames on the wire the packet log cannot make sense of (runts, bad IPv4 header lengths,
//   truncated TCP, random bytes): one line each, never an exception in the worker.
// - Command messages of odd shapes (a `__proto__` key, an unknown kind named for an
//   Object.prototype member, an attack named `__proto__` or `constructor`, huge counts):
//   refused with a message, never a TypeError, nothing read through a prototype.
// - Replay lines naming `__proto__` or `constructor` as scenario, bug or flag: refused.
// - The observers the page attaches change nothing a domain could see: with a hostile stack
//   running, the watched run has the hash of the unwatched one.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, BootOptionError, runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { LiveRun } from '../../emulator/web/live/live-run.js';
import { describeFrame } from '../../emulator/web/live/packets.js';
import { checkCommand, CommandError } from '../../emulator/web/commands.js';
import { parseReplayLine, ReplayLineError } from '../../emulator/cli/explore/replay-line.js';
import type { RunConfig, Snapshot } from '../../emulator/web/protocol.js';
import { DiscardServer } from '../../guest/apps/discard-server.js';
import { EchoServer } from '../../guest/apps/echo-server.js';
import { HttpServer } from '../../guest/apps/http-server.js';
import type { App } from '../../guest/apps/app.js';
import type { NetStack } from '../../guest/netstack/stack.js';
import { newStackCounters } from '../../guest/netstack/counters.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../emulator/cli/scenario/net.js';

const config = (o: Partial<RunConfig> = {}): RunConfig => ({ seed: 2, millis: 4, strategy: 'flip', mode: 'busmaster', clients: 2, link: 100, revokes: [], ...o });

/** Client 2's applications: the usual servers, and every trap it can lay in its stack's counters. */
function trappedApps(ran: { count: number }) {
  return (i: number, stack: NetStack): App[] => {
    const apps: App[] = [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
    if (i !== 1) return apps;
    const c = stack.counters as unknown as Record<string, Record<string, unknown>>;
    const trap = () => void ran.count++;
    let v = 0;
    Object.defineProperty(c.tcp, 'bytesIn', { get: () => (trap(), v), set: (x: number) => void (v = x), enumerable: true });
    c.udp = new Proxy(c.udp!, { get: (t, k, r) => (trap(), Reflect.get(t, k, r)), ownKeys: (t) => (trap(), Reflect.ownKeys(t)), getOwnPropertyDescriptor: (t, k) => (trap(), Reflect.getOwnPropertyDescriptor(t, k)) });
    Object.setPrototypeOf(c.ip, new Proxy({}, { get: () => (trap(), 1), has: () => (trap(), true) }));
    c.icmp!.echoRequests = Number.NaN;
    for (let k = 0; k < 5_000; k++) (c.drops as Record<string, unknown>)[`extra${k}`] = k;
    (c.drops as Record<string, unknown>).toJSON = () => (trap(), 'x');
    (c as Record<string, unknown>)[Symbol.toPrimitive as unknown as string] = () => (trap(), 0);
    return apps;
  };
}

/** Every own key of a snapshot's counters, across domains. */
const counterKeys = (s: Snapshot) => new Set(s.domains.flatMap((d) => Object.keys(d.counters)));

describe('the page against its red team: attacks that fail', () => {
  it('traps in a stack\'s counters run neither in the snapshot nor in its structured clone', () => {
    const ran = { count: 0 };
    const live = new LiveRun(config(), { apps: trappedApps(ran) });
    const known = new Set(Object.entries(newStackCounters()).flatMap(([k, v]) => Object.keys(v as object).map((x) => `${k}.${x}`)));
    let snapshots = 0;
    while (!live.done) {
      live.advance(150_000);
      const before = ran.count; // the stack itself (the domain) may run its own getter while it counts
      const s = live.snapshot(true);
      const copy = structuredClone(s); // what postMessage does to it
      expect(ran.count).toBe(before);
      for (const k of counterKeys(copy)) expect(known.has(k) || !k.includes('.')).toBe(true);
      expect(copy.domains.length).toBe(s.domains.length);
      snapshots++;
    }
    expect(snapshots).toBeGreaterThan(3);
    const s = live.snapshot(false);
    const hostile = s.domains.find((d) => d.name === 'stack1')!;
    expect(hostile.counters).toEqual({}); // refused whole, not read
    expect(Object.keys(s.domains.find((d) => d.name === 'stack0')!.counters).length).toBe(known.size);
    expect(s.report!.problems).toContain("client 2: its stack's counters are not plain data (not read; shown as zeros)");
    expect(s.sessions[0]!.delivered).toBeGreaterThan(0);
  });

  it('frames the packet log cannot make sense of get a line each, never an exception', () => {
    const good = ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(0), payload: new Uint8Array(40) });
    const odd: Uint8Array[] = [new Uint8Array(0), new Uint8Array(13), good.slice(0, 14), good.slice(0, 20), good.slice(0, 34), good.slice(0, 36)];
    for (const ihl of [0, 1, 4, 5, 15]) for (const proto of [1, 6, 17, 99]) for (const total of [0, 19, 20, 60, 0xffff]) {
      const f = good.slice();
      f[14] = 0x40 | ihl;
      f[23] = proto;
      f[16] = total >>> 8;
      f[17] = total & 0xff;
      odd.push(f, f.slice(0, 14 + ihl * 4), f.slice(0, 14 + ihl * 4 + 10));
    }
    let x = 12345;
    for (let k = 0; k < 2_000; k++) {
      const f = good.slice(0, (x = (x * 1103515245 + 12345) >>> 0) % good.length);
      for (let b = 14; b < f.length; b++) f[b] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      odd.push(f);
    }
    for (const f of odd) {
      const line = describeFrame(f);
      expect(typeof line).toBe('string');
      expect(line.length).toBeLessThan(120);
    }
  });

  it('command messages of odd shapes are refused by name, nothing read through a prototype', () => {
    const start = (c: object) => structuredClone({ kind: 'start', config: c });
    const base = { seed: 1, millis: 2, strategy: 'flip', mode: 'busmaster', clients: 1, link: 100 };
    // A __proto__ key (JSON.parse makes it an own property; the clone keeps it): its seed is not taken.
    const proto = structuredClone(JSON.parse('{"kind":"start","config":{"__proto__":{"seed":1},"millis":2,"strategy":"flip","mode":"busmaster","clients":1,"link":100}}'));
    expect(() => checkCommand(proto)).toThrow(CommandError);
    for (const kind of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) expect(() => checkCommand({ kind })).toThrow(CommandError);
    expect(() => checkCommand([])).toThrow(CommandError);
    expect(() => checkCommand(null)).toThrow(CommandError);
    // Names of prototype members where a catalogue entry is looked up, and counts past the limits: the scenario's refusal, before anything runs.
    for (const attack of ['__proto__', 'constructor', 'toString']) {
      const c = checkCommand(start({ ...base, clients: 2, hostile: [{ client: 1, attack }] }));
      expect(() => new LiveRun((c as { config: RunConfig }).config)).toThrow(BootOptionError);
    }
    for (const over of [{ clients: 1e15 }, { clients: 2, spare: 1e15 }, { revokes: [{ client: 1e15, cycle: 0 }] }, { millis: Number.POSITIVE_INFINITY }, { joins: [{ client: 1, cycle: 1e15 }] }]) {
      const c = checkCommand(start({ ...base, ...over })) as { config: RunConfig };
      expect(() => new LiveRun(c.config)).toThrow();
    }
    expect(Object.prototype).not.toHaveProperty('seed');
  });

  it('replay lines naming prototype members are refused', () => {
    for (const line of ['npx reloaded explore __proto__ --at 1', 'npx reloaded explore constructor --probe', 'npx reloaded explore fuzz --seeds 1 --bug __proto__', 'npx reloaded explore fuzz --seeds 1 --bug toString', 'npx reloaded explore fuzz --seeds 1 --__proto__ 3', 'npx reloaded explore fuzz --seeds 1 --toString=1']) {
      expect(() => parseReplayLine(line)).toThrow(ReplayLineError);
    }
  });

  it('the page\'s observers change nothing a hostile stack could see: watched, its run has the unwatched hash', () => {
    const c = config({ clients: 3, hostile: [{ client: 2, attack: 'scribble-rings' }, { client: 3, attack: 'spin' }] });
    const live = new LiveRun(c);
    let k = 0;
    while (!live.done) {
      live.advance(5_000 + ((k++ * 7_919) % 60_000));
      live.snapshot(true);
    }
    const node = runBootScenario({ ...BOOT_DEFAULTS, seed: c.seed, millis: c.millis, strategy: c.strategy, mode: c.mode, clients: c.clients, link: c.link, revokes: 'none', hostile: [{ client: 2, attack: 'scribble-rings' }, { client: 3, attack: 'spin' }] });
    expect(live.snapshot(false).report!.trace.hash).toBe(node.trace.hash);
    expect(node.trace.records).toBeGreaterThan(1000);
  });
});
