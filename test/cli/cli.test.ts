// The `reloaded` command as a user runs it: built with the project's own build script,
// started with node, judged by its output and exit code. `run` is the boot scenario (the
// default command), also with its wire on a UDP socket of the test's (--wire: the pace and
// Ctrl-C); `machine` is the machine alone.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { has } from '../support/tools.js';
import { TX_SLOT_BYTES } from '../../guest/netstack/domain.js';
import { WIDE_GEOMETRY } from '../../emulator/cli/scenario/stacks.js';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');
const CPU_HZ = 133_000_000;

function reloaded(...args: string[]) {
  return spawnSync('node', [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
}

function runJson(...args: string[]) {
  const r = reloaded('run', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

// dist/ is built once for the whole run (test/support/build.ts).

describe('reloaded run (the boot scenario)', () => {
  it('is deterministic: same options, same trace hash; another seed, another run', () => {
    const a = runJson('--millis', '8', '--seed', '3');
    const b = runJson('--millis', '8', '--seed', '3');
    const c = runJson('--millis', '8', '--seed', '4');
    expect(a.trace.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toEqual(a);
    expect(c.trace.hash).not.toBe(a.trace.hash);
    // 8 ms at 133 MHz; the CPU stops at its first preemption point past that.
    expect(a.cycles).toBeGreaterThanOrEqual(8e-3 * CPU_HZ);
    expect(a.cycles).toBeLessThan(8e-3 * CPU_HZ + 100_000);
  });

  it("client 1 revokes mid-run: the driver survives and client 2's traffic keeps flowing", () => {
    const r = runJson('--millis', '12');
    expect([r.mode, r.strategy, r.clients]).toEqual(['busmaster', 'flip', 2]);
    const [one, two] = r.sessions;
    const mid = Math.floor((12e-3 * CPU_HZ) / 2);
    expect(r.revocation.requestedCycle).toBe(mid);
    expect(r.revocation.cycle).toBeGreaterThanOrEqual(mid);
    expect(r.revocation.cycle).toBeLessThan(mid + 50_000);
    expect(r.revocation.sessionOpen).toBe(true);
    expect(r.revocation.framesReleased).toBeGreaterThan(0);
    expect(r.revocation.violationsRightAfter).toBe(0);
    expect(r.revocation.sessionClosedBy).toBeGreaterThan(r.revocation.cycle);
    expect(one.status).toBe('revoked');
    // Only what had left the card before the destroy can still reach the peer: at most its transmit slots' worth.
    expect(one.progressAfterRevocation).toBeLessThanOrEqual(((WIDE_GEOMETRY.txPages * 4096) / TX_SLOT_BYTES) * 1514);
    expect(one.peer.pingsAnswered).toBeGreaterThan(0); // it was served before
    expect(one.tcp.passiveOpens).toBeGreaterThan(0);
    expect(two.status).toBe('open');
    expect(two.progressAfterRevocation).toBeGreaterThan(10);
    expect(r.revocation.othersProgressAfter).toBe(two.progressAfterRevocation);
    expect(r.revocations).toEqual([r.revocation]);
    // The driver kept serving and paid for nothing of the clients'.
    expect(r.driver.alive).toBe(true);
    expect(r.revocation.driverAlive).toBe(true);
    expect(r.driver.bank.usageEnd).toBe(r.driver.bank.usageReady);
    expect(r.driver.bank.pinsEnd).toBe(r.driver.bank.pinsReady);
    expect(r.driver.sessionsClosed).toBe(1);
    // Flip delivers in place or by exchange; every answer came back intact.
    for (const s of r.sessions) {
      expect(s.delivered).toBe(s.copied + s.flipped + s.exchanged);
      expect(s.peer.udpMismatched + s.peer.tcpEchoMismatched).toBe(0);
      expect(s.peer.httpFailures).toEqual({});
    }
    expect(one.flipped + two.flipped).toBeGreaterThan(0);
    expect(one.exchanged + two.exchanged).toBeGreaterThan(0);
    // Invariants were checked all along, with no violation.
    expect(r.invariants.checks).toBeGreaterThan((12e-3 * CPU_HZ) / 40_000); // one every 20,000 cycles, past the CPU's last preemption point
    expect(r.invariants.violations).toBe(0);
    expect(r.invariants.dmaBeatsChecked).toBeGreaterThan(0);
    expect(r.wire.frames).toBe(r.wire.fromCard + r.wire.fromPeer);
    // Every frame the driver counted went on the wire; a frame that left the card just before
    // the run's end may not have had its completion taken yet (at most the clients' transmit slots).
    expect(r.wire.fromCard).toBeGreaterThanOrEqual(r.driver.transmitted);
    expect(r.wire.fromCard - r.driver.transmitted).toBeLessThanOrEqual(((WIDE_GEOMETRY.txPages * 4096) / TX_SLOT_BYTES) * r.clients);
    expect(r.cyclesPerDelivered).toBe(Math.round(r.cycles / r.driver.delivered));
    expect(r.problems).toEqual([]);
  });

  it('takes the strategy, card mode, client count and revocation cycle it is given', () => {
    // Classic mode moves every byte through port I/O system calls (about 90,000 cycles a frame): a longer run to see every client served.
    const r = runJson('--millis', '60', '--strategy', 'copy', '--mode', 'classic', '--clients', '3', '--revoke-at', 'none');
    expect([r.mode, r.strategy, r.clients, r.revocation]).toEqual(['classic', 'copy', 3, undefined]);
    expect(r.sessions.map((s: { status: string }) => s.status)).toEqual(['open', 'open', 'open']);
    // Copy delivers only by copying; classic mode pins nothing (the CPU moves every byte through the data port).
    for (const s of r.sessions) expect([s.delivered, s.flipped, s.exchanged, s.pinnedPeak]).toEqual([s.copied, 0, 0, 0]);
    expect(r.sessions.map((s: { peer: { pingsAnswered: number } }) => s.peer.pingsAnswered > 0)).toEqual([true, true, true]);
    expect(r.invariants.dmaBeatsChecked).toBe(0);
    const early = runJson('--millis', '6', '--revoke-at', '1000');
    expect(early.revocation.cycle).toBeGreaterThanOrEqual(1000);
    expect(early.revocation.sessionOpen).toBe(false); // before client 1's session existed
    expect(early.sessions[0].transmitted).toBe(0);
    expect(early.sessions[0].peer).toBeUndefined(); // the peer starts once the sessions are open: there was none to exercise
    expect(early.sessions[1].peer.pingsAnswered).toBeGreaterThan(0);
  });

  it('is the default command and prints a readable report', () => {
    const r = reloaded('--millis', '8');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^reloaded boot scenario: seed 1, 8 ms emulated/);
    expect(r.stdout).toMatch(/card in busmaster mode on a 100 Mbit\/s wire, receive strategy flip, 2 clients each running its own TCP\/IP stack/);
    expect(r.stdout).toMatch(/\n {2}1 +10\.0\.0\.2 +revoked +\d+/);
    expect(r.stdout).toMatch(/\n {2}2 +10\.0\.0\.3 +open +\d+/);
    expect(r.stdout).toMatch(/client 2 stack: TCP \d+ connections/);
    expect(r.stdout).toMatch(/client 2 seen from the peer: pings \d+\/\d+/);
    expect(r.stdout).toMatch(/revocation +client 1 destroyed its bank at cycle [\d,]+ .*the driver kept serving; the other clients answered the peer [\d,]+ times after it/);
    expect(r.stdout).toMatch(/invariants +\d+ checks of the invariants \(kernel, isolation, liveness\), [\d,]+ DMA beats checked as they landed \(each against its transfer\), no violation/);
    expect(r.stdout).toMatch(/trace +[\d,]+ records, hash [0-9a-f]{16}/);
    expect(r.stdout).toMatch(/result +ok/);
  });

  it('writes every frame on the wire to --pcap without changing the run', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'reloaded-')), 'run.pcap');
    const plain = runJson('--millis', '6');
    const r = runJson('--millis', '6', '--pcap', file);
    expect(r.trace.hash).toBe(plain.trace.hash);
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    let records = 0;
    for (let off = 24; off < bytes.length; off += 16 + bytes.readUInt32LE(off + 8)) records++;
    expect(records).toBe(r.wire.frames);
  });

  it.skipIf(!has('tshark'))('--seed 7: the same trace hash twice; its capture reads in tshark with no malformed frame and no bad IP, TCP, UDP or ICMP checksum', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'reloaded-')), 'seed7.pcap');
    const a = runJson('--seed', '7');
    const b = runJson('--seed', '7', '--pcap', file);
    expect(b.trace.hash).toBe(a.trace.hash);
    expect(a.problems).toEqual([]);
    const checks = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];
    const tshark = (...args: string[]) => execFileSync('tshark', ['-r', file, ...checks, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const protocols = new Set(tshark('-T', 'fields', '-e', 'frame.protocols').trim().split('\n'));
    for (const p of ['eth:ethertype:arp', 'eth:ethertype:ip:icmp:data', 'eth:ethertype:ip:udp:echo', 'eth:ethertype:ip:tcp:http', 'eth:ethertype:ip:tcp:echo']) expect(protocols.has(p), p).toBe(true);
    expect(tshark('-T', 'fields', '-e', 'frame.number').trim().split('\n')).toHaveLength(a.wire.frames);
    const bad = tshark('-Y', '_ws.malformed || _ws.expert.severity == "Error" || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"');
    expect(bad.trim()).toBe('');
  });

  it('rejects bad flags with a clear message and exit code 1', () => {
    for (const [args, msg] of [
      [['run', '--seed', 'abc'], /--seed .* expected an integer, got 'abc'/],
      [['run', '--millis', '-3'], /expected a positive number/],
      [['run', '--millis', '1e12'], /expected at most 60000/],
      [['run', '--strategy', 'zap'], /--strategy .* Allowed choices are copy, flip, hybrid/],
      [['run', '--mode', 'pci'], /--mode .* Allowed choices are busmaster, classic/],
      [['run', '--clients', '0'], /--clients .* expected an integer from 1 to 16, got 0/],
      [['run', '--clients', '17'], /expected an integer from 1 to 16, got 17/],
      [['run', '--revoke-at', 'soon'], /--revoke-at .* expected a cycle number or 'none', got 'soon'/],
      [['run', '--millis', '1', '--revoke-at', '999999999'], /^reloaded: --revoke-at: cycle 999999999 is after the end of the run \(133000 cycles in 1 ms\)$/m],
      [['run', '--millis', '1', '--pcap', '/nonexistent/dir/x.pcap'], /^reloaded: --pcap \/nonexistent\/dir\/x.pcap: cannot write: ENOENT$/m],
      [['run', '--frobnicate'], /unknown option '--frobnicate'/],
      [['run', '--link', '1000'], /--link .* Allowed choices are 10, 100/],
      [['run', '--revoke', '2'], /--revoke .* expected K@CYCLE \(client K from 1, an emulated cycle\) or 'none', got '2'/],
      [['run', '--revoke', '0@5'], /expected K@CYCLE with K ≥ 1, got '0@5'/],
      [['run', '--millis', '1', '--revoke', '3@5'], /^reloaded: --revoke: client 3 does not exist \(clients are 1 to 2\)$/m],
      [['run', '--millis', '1', '--revoke', '1@5', '--revoke', '1@9'], /^reloaded: --revoke: client 1 is revoked twice/m],
      [['run', '--millis', '1', '--revoke', '1@999999999'], /^reloaded: --revoke: 1@999999999: cycle 999999999 is after the end of the run/m],
      [['run', '--millis', '1', '--revoke', 'none', '--revoke', '1@5'], /^reloaded: --revoke none: cannot be combined/m],
      [['run', '--millis', '1', '--revoke', '1@5', '--revoke-at', '7'], /^reloaded: --revoke and --revoke-at: give one of them/m],
      [['run', '--loss', '1.5'], /--loss .* expected a rate from 0 to 1 \(or 0% to 100%\), got '1.5'/],
      [['run', '--corrupt', 'lots'], /--corrupt .* expected a rate from 0 to 1/],
      [['run', '--dup', '-0.1'], /--dup .* expected a rate/],
      [['run', '--wire', 'tcp:1.2.3.4:5'], /--wire .* expected udp:HOST:PORT, got 'tcp:1.2.3.4:5'/],
      [['run', '--wire', 'udp:localhost:70000'], /UDP port must be 1–65535, got 70000/],
      [['run', '--wire-bind', '127.0.0.1:9000'], /^reloaded: --wire-bind: only with --wire$/m],
      [['run', '--log-level', 'loud'], /--log-level .* Allowed choices are fatal, error/],
      [['run', '--topology', 'mesh'], /--topology .* Allowed choices are factored, monolithic, inkernel/],
      [['run', '--millis', '1', '--topology', 'inkernel', '--revoke', '1@5'], /^reloaded: --revoke: the inkernel topology has no client banks to destroy .*use --revoke none$/m],
      [['run', '--millis', '1', '--topology', 'inkernel', '--revoke-at', '5'], /^reloaded: --revoke: the inkernel topology has no client banks/m],
    ] as const) {
      const r = reloaded(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });

  it('--topology inkernel: every client served from the kernel\'s protection domain, no session and no revocation; the default stays factored', () => {
    const r = runJson('--millis', '20', '--topology', 'inkernel');
    expect(r.topology).toBe('inkernel');
    expect(r.problems).toEqual([]);
    expect(r.revocations).toEqual([]);
    expect(r.driver.sessionsOpened).toBe(0);
    for (const s of r.sessions) {
      expect(s.status).toBe('open');
      expect(s.delivered).toBe(0); // no session: the stack reads its frames out of the card's buffers
      expect(s.peer.udpEchoed).toBeGreaterThan(0);
      expect(s.tcp.bytesIn).toBeGreaterThan(0);
    }
    expect(r.cpu.stackCycles).toBe(0);
    expect(r.invariants.violations).toBe(0);
    expect(r.invariants.dmaBeatsChecked).toBeGreaterThan(0);
    expect(runJson('--millis', '4').topology).toBe('factored');
    const text = reloaded('run', '--millis', '4', '--topology', 'inkernel').stdout;
    expect(text).toMatch(/inkernel: no sessions, no client banks/);
    expect(text).not.toMatch(/^  session  address/m);
  });

  it('--topology monolithic: the applications in their own domains over one shared stack; client 1 revokes mid-run and client 2 is still served', () => {
    const r = runJson('--millis', '20', '--topology', 'monolithic');
    expect(r.topology).toBe('monolithic');
    expect(r.problems).toEqual([]);
    expect(r.revocation.client).toBe(1);
    expect(r.sessions.map((s: { status: string }) => s.status)).toEqual(['revoked', 'open']);
    expect(r.sessions[1].progressAfterRevocation).toBeGreaterThan(0);
    expect(r.driver.sessionsOpened).toBe(2); // the server holds one driver session per client
    expect(r.invariants.violations).toBe(0);
  });

  it('--revoke K@CYCLE revokes those clients at those cycles; --revoke none revokes nobody', () => {
    const r = runJson('--millis', '20', '--clients', '3', '--revoke', '3@800000', '--revoke', '2@1600000');
    expect(r.revocations.map((v: { client: number; requestedCycle: number }) => [v.client, v.requestedCycle])).toEqual([[3, 800_000], [2, 1_600_000]]);
    expect(r.revocation.client).toBe(3);
    expect(r.sessions.map((s: { status: string }) => s.status)).toEqual(['open', 'revoked', 'revoked']);
    expect(r.sessions[0].progressAfterRevocation).toBeGreaterThan(0);
    const none = runJson('--millis', '4', '--revoke', 'none');
    expect([none.revocation, none.revocations]).toEqual([undefined, []]);
  });

  it('--link 10 and wire faults: the run reports them, and TCP still delivers intact bytes', () => {
    const r = runJson('--millis', '60', '--link', '10', '--revoke', 'none', '--loss', '0.02', '--dup', '1%', '--reorder', '0.01', '--corrupt', '0.005');
    expect(r.link).toBe(10);
    expect(r.faults).toEqual({ loss: 0.02, duplicate: 0.01, reorder: 0.01, corrupt: 0.005 });
    expect(r.wire.lost).toBeGreaterThan(0);
    // 60 ms at 10 Mbit/s carry at most ~75,000 bytes each way.
    const bytes = r.sessions.reduce((a: number, s: { tcp: { bytesIn: number } }) => a + s.tcp.bytesIn, 0);
    expect(bytes).toBeGreaterThan(5_000);
    expect(bytes).toBeLessThan(80_000);
    for (const s of r.sessions) expect(s.peer.udpMismatched + s.peer.tcpEchoMismatched).toBe(0);
    expect(r.problems).toEqual([]);
  });

  it('--log-level sets what goes to stderr', () => {
    const quiet = spawnSync('node', [BIN, 'run', '--millis', '1', '--log-level', 'silent'], { cwd: ROOT, encoding: 'utf8' });
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    const loud = spawnSync('node', [BIN, 'run', '--millis', '1', '--log-level', 'info'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'silent' } });
    expect(loud.stderr).toMatch(/boot scenario starting/);
  });

  it('a bad log level is one clear line, not a stack trace', () => {
    const r = spawnSync('node', [BIN, 'run', '--millis', '1'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'loud' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('reloaded: RELOADED_LOG=loud: expected one of fatal, error, warn, info, debug, trace, silent');
  });
});

/** A UDP socket on 127.0.0.1 at a free port. */
function udpSocket(): Promise<{ socket: dgram.Socket; port: number }> {
  return new Promise((done) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => done({ socket, port: socket.address().port }));
  });
}

/** `reloaded run --json --wire` to a socket of ours, optionally interrupted with SIGINT; its output, exit code and wall time. */
async function wireRun(args: string[], sigintAfterMs?: number) {
  const peer = await udpSocket();
  const free = await udpSocket(); // a free port for the bridge to bind, released just before
  const bindPort = free.port;
  await new Promise<void>((r) => free.socket.close(() => r()));
  const start = performance.now();
  const child = spawn('node', [BIN, 'run', '--json', '--log-level', 'warn', '--wire', `udp:127.0.0.1:${peer.port}`, '--wire-bind', `127.0.0.1:${bindPort}`, ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let interruptedAt: number | undefined;
  const timer = sigintAfterMs === undefined ? undefined : setTimeout(() => {
    interruptedAt = performance.now();
    child.kill('SIGINT');
  }, sigintAfterMs);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const end = performance.now();
  clearTimeout(timer);
  peer.socket.close();
  return { code, stdout, stderr, wallMs: end - start, afterSigintMs: interruptedAt === undefined ? undefined : end - interruptedAt };
}

describe('reloaded run --wire (the wire on an external UDP frame socket)', () => {
  it('keeps to the wall clock: 1.5 emulated seconds take about 1.5 s, not ten times that', async () => {
    const r = await wireRun(['--millis', '1500', '--revoke', 'none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.cycles).toBeGreaterThanOrEqual(1.5 * CPU_HZ);
    expect(report.stoppedAtMillis).toBeUndefined();
    expect(report.problems).toEqual([]);
    expect(report.sessions.map((s: { status: string }) => s.status)).toEqual(['open', 'open']);
    // Never ahead of the wall clock; behind it by node's start-up and what a busy host takes,
    // never by the ~6.6× of a pace restarted at every 20,000-cycle stride.
    expect(r.wallMs).toBeGreaterThanOrEqual(1500);
    expect(r.wallMs).toBeLessThan(6000);
  });

  it('Ctrl-C (SIGINT) ends a long run early, with its report and exit code 0', async () => {
    const r = await wireRun(['--millis', '60000', '--revoke', 'none'], 1500);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.millis).toBe(60000);
    expect(report.stoppedAtMillis).toBeGreaterThan(0);
    expect(report.stoppedAtMillis).toBeLessThan(10_000);
    expect(report.cycles).toBeGreaterThan(0);
    expect(report.cycles).toBeLessThan(10 * CPU_HZ);
    expect(r.afterSigintMs).toBeLessThan(3000);
    expect(report.problems).toEqual([]);
  });
});

describe('reloaded machine (the machine alone)', () => {
  it('prints a deterministic report: same seed, same trace hash', () => {
    const a = reloaded('machine', '--millis', '5.5', '--seed', '3', '--json');
    const b = reloaded('machine', '--millis', '5.5', '--seed', '3', '--json');
    expect(a.status).toBe(0);
    const ra = JSON.parse(a.stdout);
    // 5.5 ms at 133 MHz; the CPU stops at its first preemption point past that.
    expect(ra.cycles).toBeGreaterThanOrEqual(731_500);
    expect(ra.cycles).toBeLessThan(732_500);
    // The demo programs a 1 kHz timer: reload 1193 of the 14.31818 MHz / 12 clock. Boot takes
    // well under a tick, far from the boundary of a period.
    const period = (1193 * 12) / 14_318_180;
    expect(ra.interrupts).toBe(Math.floor(5.5e-3 / period));
    expect(ra.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(b.stdout).traceHash).toBe(ra.traceHash);
  });

  it('prints a human report', () => {
    const r = reloaded('machine', '--millis', '2');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/reloaded machine demo: seed 1, 2 ms emulated/);
    expect(r.stdout).toMatch(/trace +\d[\d,]* records, hash [0-9a-f]{16}/);
  });

  it('rejects bad flags with a clear message and exit code 1', () => {
    for (const [args, msg] of [
      [['machine', '--seed', 'abc'], /--seed .* expected an integer, got 'abc'/],
      [['machine', '--millis', '1e12'], /expected at most 60000/],
      [['machine', '--clients', '2'], /unknown option '--clients'/],
    ] as const) {
      const r = reloaded(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
  });
});
