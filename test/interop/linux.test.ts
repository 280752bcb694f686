// Interoperability with a real TCP/IP stack, the Linux kernel's own (issue 11). Every other
// test pits our stacks against our own peer, which shares their reading of the RFCs and so
// their mistakes; here Linux is the other end: its ARP, its TCP options (window scaling,
// SACK, timestamps), its delayed ACKs, curl's HTTP/1.1 and netcat, in real time.
//
// The test makes a private network namespace, and in it socat makes a TAP device at
// 10.0.0.1/24 and bridges it to a UDP socket on the namespace's own loopback; `reloaded run
// --wire udp:...` (also in the namespace) puts the emulated wire on that socket, one frame a
// datagram. From Linux it then pings each client, fetches GET /bytes/1000000 with curl (and a
// second body on the same connection) and checks every byte, echoes a line over UDP with
// `nc -u`, and echoes 1 MiB over TCP with `nc -N`, checked byte for byte; last, SIGINT must end
// the run early with its JSON report. Nothing leaves the namespace: loopback there is its own,
// and the host's network is never touched. Processes and the namespace are removed after the
// test, also when it fails. Needs root, /dev/net/tun, socat, iproute2, curl, iputils-ping and
// netcat-openbsd (CI installs them: .ci/run).

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { has, requires } from '../support/tools.js';

const ROOT = resolve(__dirname, '../..');
const BIN = resolve(ROOT, 'dist/reloaded.mjs');
const CPU_HZ = 133_000_000;
const NS = `rl-${process.pid}`;
const TAP = `rlt${process.pid}`.slice(0, 15); // an interface name has at most 15 characters
const CLIENTS = ['10.0.0.2', '10.0.0.3'];
/** The bridge's UDP socket (reloaded's) and socat's, both on the namespace's loopback. */
const RELOADED_PORT = 7000;
const SOCAT_PORT = 7001;
/** The run's length if nothing ends it: the CLI's most; the test ends it with SIGINT long before. */
const RUN_MILLIS = 60_000;
const HTTP_BYTES = 1_000_000;
const TCP_ECHO_BYTES = 1 << 20;

function netcatIsOpenbsd(): boolean {
  const r = spawnSync('nc', ['-h'], { encoding: 'utf8' });
  return /OpenBSD netcat/.test(`${r.stdout}${r.stderr}`);
}

const ready =
  requires(process.platform === 'linux' && process.getuid?.() === 0, 'root (the test makes a network namespace and a TAP device)') &&
  requires(existsSync('/dev/net/tun'), 'the TUN/TAP device /dev/net/tun') &&
  has('ip', 'the interop test makes its network namespace with iproute2') &&
  has('socat', 'the interop test bridges a TAP device to UDP with socat') &&
  has('curl', 'the interop test fetches from a client with curl') &&
  has('ping', 'the interop test pings the clients with iputils-ping') &&
  has('nc', 'the interop test echoes over UDP and TCP with netcat-openbsd') &&
  requires(netcatIsOpenbsd(), "netcat-openbsd's nc (-N and -u -w as the test uses them)");

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A process started in the namespace, its output kept (stdout as text unless it goes to a file). */
class NsProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Done>;

  constructor(
    readonly what: string,
    argv: string[],
    io: { stdin?: string; stdinFile?: string; stdoutFile?: string } = {},
  ) {
    const inFd = io.stdinFile === undefined ? undefined : openSync(io.stdinFile, 'r');
    const outFd = io.stdoutFile === undefined ? undefined : openSync(io.stdoutFile, 'w');
    this.child = spawn('ip', ['netns', 'exec', NS, ...argv], { cwd: ROOT, stdio: [inFd ?? 'pipe', outFd ?? 'pipe', 'pipe'] });
    if (inFd !== undefined) closeSync(inFd);
    if (outFd !== undefined) closeSync(outFd);
    this.child.stdout?.on('data', (d) => (this.stdout += d));
    this.child.stderr?.on('data', (d) => (this.stderr += d));
    this.child.stdin?.end(io.stdin ?? '');
    this.exited = new Promise((done) => {
      this.child.on('error', (e) => {
        this.stderr += `\n[spawn error: ${e.message}]`;
        done({ code: null, signal: null, stdout: this.stdout, stderr: this.stderr });
      });
      this.child.on('close', (code, signal) => done({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit, or an error naming the command and what it printed if it takes longer than `ms` (it is killed). */
  async finish(ms: number): Promise<Done> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r !== 'late') return r;
    this.child.kill('SIGKILL');
    throw new Error(`${this.what}: still running after ${ms} ms (killed)\nstdout: ${this.stdout.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`);
  }

  /** Stop it: `signal`, then SIGKILL if it has not exited within `ms`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 3000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    try {
      await this.finish(ms);
    } catch {
      await this.exited;
    }
  }
}

/** Run a command in the namespace to its end; fails with its output unless it exits 0. */
async function inNs(what: string, argv: string[], ms: number, io: ConstructorParameters<typeof NsProcess>[2] = {}): Promise<Done> {
  const r = await new NsProcess(what, argv, io).finish(ms);
  if (r.code !== 0) throw new Error(`${what}: exit code ${r.code ?? r.signal}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`);
  return r;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where `got` first differs from `want` (a length difference counts), or -1. */
function firstDifference(got: Uint8Array, want: Uint8Array): number {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) return i;
  return got.length === want.length ? -1 : n;
}

/** What GET /bytes/N answers: byte i is i mod 251. */
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

/** Bytes from a fixed xorshift: not periodic, so a misplaced segment shows. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe.skipIf(!ready)('interop with the Linux kernel TCP/IP stack (TAP, socat, a private network namespace)', () => {
  let dir = '';
  let socat: NsProcess | undefined;
  let reloaded: NsProcess | undefined;
  let nsMade = false;

  /** Remove what the test made, in order: its processes, then the namespace (and with it the TAP device). */
  async function cleanUp(): Promise<void> {
    await reloaded?.stop('SIGKILL');
    await socat?.stop('SIGTERM');
    if (nsMade) {
      try {
        ip('netns', 'del', NS);
        nsMade = false;
      } catch (e) {
        console.error(`[interop] could not delete network namespace ${NS}: ${String(e)}`);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }

  /** A last resort if the worker exits without afterAll (a hook timed out, the run was cut short). */
  function cleanUpNow(): void {
    for (const p of [reloaded, socat]) if (p?.running) p.child.kill('SIGKILL');
    if (nsMade) spawnSync('ip', ['netns', 'del', NS]);
  }

  function diagnostics(): string {
    return [
      `--- socat (stderr) ---\n${socat?.stderr.slice(-4000) ?? '(not started)'}`,
      `--- reloaded (stderr) ---\n${reloaded?.stderr.slice(-4000) ?? '(not started)'}`,
      `--- reloaded (stdout, end) ---\n${reloaded?.stdout.slice(-2000) ?? ''}`,
    ].join('\n');
  }

  beforeAll(async () => {
    process.once('exit', cleanUpNow);
    try {
      // dist/ is built once for the whole run (test/support/build.ts).
      dir = mkdtempSync(join(tmpdir(), 'rl-interop-'));
      if (ip('netns', 'list').split('\n').some((l) => l.split(' ')[0] === NS)) ip('netns', 'del', NS); // left by an earlier run of this pid
      ip('netns', 'add', NS);
      nsMade = true;
      ip('-n', NS, 'link', 'set', 'lo', 'up');
      // The TAP device, created inside the namespace by socat: no packet-info header (iff-no-pi),
      // so each datagram is exactly one Ethernet frame, as the bridge expects.
      socat = new NsProcess('socat', [
        'socat', '-d',
        `TUN:10.0.0.1/24,tun-type=tap,tun-name=${TAP},iff-no-pi,iff-up`,
        `UDP-DATAGRAM:127.0.0.1:${RELOADED_PORT},bind=127.0.0.1:${SOCAT_PORT}`,
      ]);
      for (let i = 0; ; i++) {
        if (!socat.running) throw new Error(`socat exited before the TAP device was up:\n${socat.stderr}`);
        const addr = spawnSync('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', TAP], { encoding: 'utf8' }).stdout;
        if (/inet 10\.0\.0\.1\/24/.test(addr)) break;
        if (i >= 100) throw new Error(`the TAP device ${TAP} did not get 10.0.0.1/24 in 10 s:\n${addr}\n${socat.stderr}`);
        await sleep(100);
      }
      // The device is the namespace's alone: the host's network has no such interface.
      expect(spawnSync('ip', ['-o', 'link', 'show', 'dev', TAP]).status).not.toBe(0);
      reloaded = new NsProcess('reloaded run', [
        'node', BIN, 'run', '--clients', String(CLIENTS.length), '--revoke', 'none', '--millis', String(RUN_MILLIS),
        '--wire', `udp:127.0.0.1:${SOCAT_PORT}`, '--wire-bind', `127.0.0.1:${RELOADED_PORT}`, '--json', '--log-level', 'warn',
      ]);
      // Up once every client answers a ping (node's start, the kernel's boot, the sessions opening).
      for (const client of CLIENTS) {
        for (let i = 0; ; i++) {
          if (!reloaded.running) throw new Error(`reloaded exited before ${client} answered a ping`);
          if ((await new NsProcess(`ping ${client}`, ['ping', '-c', '1', '-W', '1', client]).finish(5000)).code === 0) break;
          if (i >= 30) throw new Error(`${client} did not answer a ping within 30 tries`);
        }
      }
    } catch (e) {
      console.error(`[interop] setting up failed: ${e instanceof Error ? e.message : String(e)}\n${diagnostics()}`);
      await cleanUp();
      throw e;
    }
  }, 60_000);

  beforeEach(({ onTestFailed }) => onTestFailed(() => console.error(`[interop] a step failed; what the processes printed:\n${diagnostics()}`)));

  afterAll(async () => {
    await cleanUp();
    process.off('exit', cleanUpNow);
    expect(ip('netns', 'list')).not.toMatch(new RegExp(`^${NS}\\b`, 'm'));
  }, 20_000);

  it('Linux pings each client: 3 of 3 answered', async () => {
    for (const client of CLIENTS) {
      const r = await inNs(`ping ${client}`, ['ping', '-c', '3', '-i', '0.2', '-W', '2', client], 20_000);
      expect(r.stdout).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    }
  }, 30_000);

  it('curl GETs /bytes/1000000 from a client, then a second body on the same connection: every byte right', async () => {
    const big = join(dir, 'big');
    const small = join(dir, 'small');
    const url = `http://${CLIENTS[0]}/bytes`;
    const r = await inNs('curl', [
      'curl', '-sS', '--fail', '--max-time', '60', '-w', '%{http_code} %{size_download} %{num_connects}\\n',
      `${url}/${HTTP_BYTES}`, '-o', big, `${url}/1000`, '-o', small,
    ], 70_000);
    // Two answers, both 200; the second on the connection the first opened (HTTP/1.1 keep-alive).
    expect(r.stdout.trim().split('\n')).toEqual([`200 ${HTTP_BYTES} 1`, '200 1000 0']);
    const body = readFileSync(big);
    expect(body.length).toBe(HTTP_BYTES);
    expect(firstDifference(body, pattern(HTTP_BYTES)), 'first byte of the body that is not i mod 251').toBe(-1);
    expect(firstDifference(readFileSync(small), pattern(1000))).toBe(-1);
  }, 75_000);

  it('UDP echo with nc -u: each client sends the line back', async () => {
    await Promise.all(CLIENTS.map(async (client) => {
      const line = `hello ${client} from Linux (pid ${process.pid})\n`;
      // -w 3: nc quits 3 s after stdin's end with nothing more to read (the echo comes back within it).
      const r = await inNs(`nc -u ${client} 7`, ['nc', '-u', '-w', '3', client, '7'], 15_000, { stdin: line });
      expect(r.stdout).toBe(line);
    }));
  }, 20_000);

  it('TCP echo of 1 MiB with nc -N: every byte comes back, in order', async () => {
    const input = join(dir, 'echo-in');
    const output = join(dir, 'echo-out');
    const data = noise(TCP_ECHO_BYTES);
    writeFileSync(input, data);
    // nc writes while it reads (the echo server sends only as fast as it reads); -N shuts its
    // sending side down at the end of input, the server closes after echoing all, nc exits.
    await inNs(`nc -N ${CLIENTS[1]} 7`, ['nc', '-N', CLIENTS[1]!, '7'], 60_000, { stdinFile: input, stdoutFile: output });
    const got = readFileSync(output);
    expect(got.length).toBe(TCP_ECHO_BYTES);
    expect(firstDifference(got, data), 'first echoed byte that differs').toBe(-1);
  }, 65_000);

  it('SIGINT ends the run early, and its report shows what Linux did', async () => {
    const r = reloaded!;
    expect(r.running, 'reloaded is still running (its --millis is far off)').toBe(true);
    r.child.kill('SIGINT');
    const done = await r.finish(15_000);
    expect(done.stderr).toBe(''); // nothing at warn level: no datagram the bridge rejected
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout);
    expect(report.problems).toEqual([]);
    expect(report.millis).toBe(RUN_MILLIS);
    expect(report.stoppedAtMillis).toBeGreaterThan(0); // ended by SIGINT, not by --millis
    expect(report.stoppedAtMillis).toBeLessThan(0.75 * RUN_MILLIS);
    expect(report.cycles).toBeLessThan(0.75 * RUN_MILLIS * 1e-3 * CPU_HZ);
    expect(report.driver.alive).toBe(true);
    expect(report.invariants.violations).toBe(0);
    const [one, two] = report.sessions;
    for (const s of report.sessions) {
      expect(s.status).toBe('open');
      expect(s.tcp.passiveOpens).toBeGreaterThan(0);
      // No reset either way, and no connection given up on.
      expect([s.tcp.resetsSent, s.tcp.endedByReset, s.tcp.endedByTimeout]).toEqual([0, 0, 0]);
      expect(s.icmp.echoRequestsIn).toBeGreaterThanOrEqual(4); // the readiness ping and 3
      expect(s.icmp.echoRepliesOut).toBe(s.icmp.echoRequestsIn);
      expect(s.servers.echoDatagrams).toBeGreaterThanOrEqual(1);
    }
    expect(one.servers.httpRequests).toBe(2);
    expect(one.servers.httpBodyBytes).toBe(HTTP_BYTES + 1000);
    expect(one.tcp.passiveOpens).toBe(1); // curl's two requests on one connection
    expect(two.servers.echoBytes).toBe(TCP_ECHO_BYTES);
  }, 20_000);
});
