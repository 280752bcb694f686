// The x86 example (emulator/platforms/v86/examples/ne2k-selftest.asm), a real NE2000 driver
// in machine code, booted on v86 with our card, wire and peers (issue 6 acceptance 1 and 3):
// it probes, resets, reads the PROM, initialises the ring and echoes frames with the echo
// peer in classic mode then in bus-master mode, and exits 0 through port 0xF4. The pcap of
// the run shows the x86 guest and the TypeScript peer exchanging those frames on one wire.
// The committed images must be what nasm builds from the committed source.

import { execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { swapAddresses } from '../../devices/frame.js';
import { runX86 } from '../../emulator/cli/x86.js';
import { parsePcap } from '../support/pcap.js';
import { has } from '../support/tools.js';
import { exitCode, tinyGuest } from './guests.js';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'emulator/platforms/v86/examples');
const SELFTEST = join(EXAMPLES, 'ne2k-selftest.img');
const CARD_MAC = '02:52:4c:00:00:01'; // the card's default address, read by the guest from the PROM
const PEER_MAC = '02:00:00:00:00:fe'; // where the guest sends its frames
const CPU_HZ = 133_000_000;

const REPORT = [
  'ne2k self-test on x86',
  'probe: card at 0x300',
  'reset: ok',
  `prom: ${CARD_MAC} signature 57 57, 16-bit`,
  'classic: frame 1 len 60 echoed ok',
  'classic: frame 2 len 600 echoed ok',
  'classic: frame 3 len 1514 echoed ok',
  'irq: line 9 pending at the slave PIC',
  'irq: the echo woke the CPU from HLT through IRQ 9',
  'busmaster: frame 1 len 60 echoed ok',
  'busmaster: frame 2 len 1000 echoed ok',
  'busmaster: frame 3 len 1514 echoed ok',
  'self-test passed',
];

const mac = (f: Uint8Array, at: number) => [...f.subarray(at, at + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');

describe('the x86 NE2000 self-test on v86 (issue 6)', () => {
  it('acceptance 1: boots in node with the echo peer, prints its report and exits 0', async () => {
    const run = await runX86({ image: readFileSync(SELFTEST), echo: true, maxCycles: 50_000_000 });
    expect(run.result).toMatchObject({ kind: 'exit', code: 0 });
    expect(run.serial.split('\n').filter(Boolean)).toEqual(REPORT);
    expect(run.card).toMatchObject({ received: 7, transmitted: 7, missed: 0, crcErrors: 0, overflows: 0 });
    expect(run.echoed).toBe(7);
    // Each frame and its echo crossed the wire in turn (preamble, frame, FCS at 100 Mbit/s:
    // 10.64 cycles a byte at 133 MHz), so the run lasts at least their wire time, and the
    // guest's polling adds little on top.
    const wireCycles = [60, 600, 1514, 60, 60, 1000, 1514].reduce((sum, len) => sum + 2 * Math.ceil(((8 + len + 4) * 8 * CPU_HZ) / 100e6), 0);
    expect(run.result.cycles).toBeGreaterThan(wireCycles);
    expect(run.result.cycles).toBeLessThan(2 * wireCycles);
    // Deterministic: the same image and seed give the same emulated time and trace.
    const again = await runX86({ image: readFileSync(SELFTEST), echo: true, maxCycles: 50_000_000 });
    expect(again.result.cycles).toBe(run.result.cycles);
    expect(again.traceHash).toBe(run.traceHash);
  });

  it('fails with the failing check as exit code when no peer answers', async () => {
    const run = await runX86({ image: readFileSync(SELFTEST), maxCycles: 500_000_000 });
    expect(run.result).toMatchObject({ kind: 'exit', code: 5 }); // FAIL_CLASSIC_RX
    expect(run.serial.split('\n').filter(Boolean)).toEqual([...REPORT.slice(0, 4), 'FAIL: classic: no echo received']);
  });

  it('acceptance 3: the x86 guest and the TypeScript echo peer exchange frames on one wire, all in one pcap', async () => {
    const run = await runX86({ image: readFileSync(SELFTEST), echo: true, pcap: true, maxCycles: 50_000_000 });
    expect(run.result).toMatchObject({ kind: 'exit', code: 0 });
    const { linkType, versionMajor, versionMinor, records } = parsePcap(run.pcap!);
    expect([linkType, versionMajor, versionMinor]).toEqual([1, 2, 4]); // Ethernet, pcap 2.4
    const lengths = [60, 600, 1514, 60, 60, 1000, 1514];
    expect(records).toHaveLength(2 * lengths.length);
    for (let i = 0; i < lengths.length; i++) {
      const sent = records[2 * i]!.frame;
      const echoed = records[2 * i + 1]!.frame;
      // The guest's frame: to the peer, from the card's PROM address, ethertype 0x88B5.
      expect([mac(sent, 0), mac(sent, 6), sent.length]).toEqual([PEER_MAC, CARD_MAC, lengths[i]]);
      expect([sent[12], sent[13]]).toEqual([0x88, 0xb5]);
      // The peer's answer: addresses swapped, everything else identical.
      expect([mac(echoed, 0), mac(echoed, 6)]).toEqual([CARD_MAC, PEER_MAC]);
      expect(echoed.subarray(12)).toEqual(sent.subarray(12));
      // The answer ends at least its own wire time (preamble, frame, FCS at 100 Mbit/s) after
      // the frame it answers ended; stamps are whole microseconds, so allow one for rounding.
      const answerMicros = ((8 + lengths[i]! + 4) * 8) / 100;
      expect(records[2 * i + 1]!.micros - records[2 * i]!.micros).toBeGreaterThanOrEqual(Math.floor(answerMicros) - 1);
    }
    for (let i = 1; i < records.length; i++) expect(records[i]!.micros).toBeGreaterThanOrEqual(records[i - 1]!.micros);
    expect(records.at(-1)!.micros).toBeLessThanOrEqual(Math.ceil((run.result.cycles * 1e6) / CPU_HZ));
  });

  it('talks to an external peer through the UDP bridge (one frame per datagram), paced to the wall clock', async () => {
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    let datagrams = 0;
    peer.on('message', (msg, from) => {
      datagrams++;
      peer.send(swapAddresses(Uint8Array.from(msg)), from.port, from.address);
    });
    try {
      const run = await runX86({ image: readFileSync(SELFTEST), udp: { host: '127.0.0.1', port: peer.address().port }, timeoutMs: 60_000 });
      expect(run.result).toMatchObject({ kind: 'exit', code: 0 });
      expect(run.serial).toContain('self-test passed');
      expect(datagrams).toBe(7);
    } finally {
      peer.close();
    }
  });

  it.skipIf(!has('nasm', 'rebuilding the x86 example'))('the committed images are byte-identical to a fresh nasm build', () => {
    const out = mkdtempSync(join(tmpdir(), 'reloaded-x86-'));
    execFileSync('node', [join(EXAMPLES, 'build.mjs'), out]);
    for (const name of ['ne2k-selftest.img', 'ne2k-bench.img']) {
      expect(Buffer.compare(readFileSync(join(out, name)), readFileSync(join(EXAMPLES, name))), name).toBe(0);
    }
  });
});

describe('reloaded x86 (the command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reloaded-x86-cli-'));
  // Our own bundle of the CLI entry, beside dist/ so that node finds the packages.
  const bin = join(ROOT, 'dist/test-x86/reloaded.mjs');
  beforeAll(async () => {
    await build({ entryPoints: [join(ROOT, 'emulator/cli/main.ts')], outfile: bin, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  });
  const reloaded = (...args: string[]) => spawnSync('node', [bin, 'x86', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });

  it('runs the example with --peer echo, writes --pcap, and exits 0', () => {
    const pcap = join(dir, 'run.pcap');
    const r = reloaded('--image', SELFTEST, '--peer', 'echo', '--pcap', pcap);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(REPORT);
    expect(parsePcap(readFileSync(pcap)).records).toHaveLength(14);
  });

  it('exits with the guest code, and rejects bad flags and images clearly', () => {
    const exits3 = join(dir, 'exit3.img');
    writeFileSync(exits3, tinyGuest(exitCode(3)));
    expect(reloaded('--image', exits3).status).toBe(3);
    const spins = join(dir, 'spin.img');
    writeFileSync(spins, tinyGuest([0xeb, 0xfe]));
    const timedOut = reloaded('--image', spins, '--timeout-ms', '300');
    expect(timedOut.status).toBe(124);
    expect(timedOut.stderr).toMatch(/no exit within 300 ms/);
    const notMultiboot = join(dir, 'zeros.img');
    writeFileSync(notMultiboot, new Uint8Array(4096));
    const cases: [string[], number, RegExp][] = [
      [['--image', notMultiboot], 2, /not a bootable multiboot image: no multiboot header/],
      [['--image', join(dir, 'missing.img')], 2, /cannot read --image .*missing.img: ENOENT/],
      [['--image', SELFTEST, '--wire', 'tcp:1.2.3.4:5'], 1, /expected udp:HOST:PORT, got 'tcp:1.2.3.4:5'/],
      [['--image', SELFTEST, '--peer', 'mirror'], 1, /Allowed choices are echo/],
      [['--image', SELFTEST, '--timeout-ms', 'soon'], 1, /expected an integer/],
      [['--peer', 'echo'], 1, /required option '--image <file>' not specified/],
    ];
    for (const [args, status, msg] of cases) {
      const r = reloaded(...args);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.status, args.join(' ')).toBe(status);
    }
  });

  it('refuses an unwritable --pcap path before the guest runs (exit 1, one clear line)', () => {
    const r = reloaded('--image', SELFTEST, '--peer', 'echo', '--pcap', join(dir, 'no-such-dir', 'run.pcap'));
    expect(r.stderr).toMatch(/^reloaded x86: cannot write --pcap .*no-such-dir\/run.pcap: ENOENT\n$/);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(''); // the guest never started
  });

  it('turns any other boot failure into one clear line and exit code 2, not a stack trace', () => {
    // Make wasm instantiation fail as it does when the host cannot allocate the guest's memory.
    const failWasm = 'data:text/javascript,WebAssembly.instantiate=async()=>{throw new RangeError("Out of memory: Cannot allocate Wasm memory for new instance")}';
    const r = spawnSync('node', ['--import', failWasm, bin, 'x86', '--image', SELFTEST], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RELOADED_LOG: 'warn' } });
    expect(r.stderr).toMatch(/^reloaded x86: cannot run .*ne2k-selftest.img: Out of memory: Cannot allocate Wasm memory for new instance\n$/);
    expect(r.status).toBe(2);
  });
});
