// The pcap writer: classic libpcap header and records with emulated-time stamps; tshark
// reads a capture of mixed traffic (ARP, ICMP, UDP, TCP built by hand with correct
// checksums) with no malformed frame and the expected protocols.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine/machine.js';
import { createWire } from '../../devices/attach.js';
import { buildFrame, parseMac } from '../../devices/frame.js';
import { PcapWriter } from '../../devices/pcap/writer.js';
import { FrameSource } from '../../devices/peers/source.js';
import { parsePcap } from '../support/pcap.js';
import { has } from '../support/tools.js';

const A_MAC = parseMac('02:00:00:00:00:0a');
const B_MAC = parseMac('02:00:00:00:00:0b');
const A_IP = [10, 0, 0, 1];
const B_IP = [10, 0, 0, 2];

function csum(bytes: number[]): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
const be16 = (v: number) => [v >> 8, v & 0xff];

function ipv4(proto: number, payload: number[]): number[] {
  const h = [0x45, 0, ...be16(20 + payload.length), 0, 1, 0x40, 0, 64, proto, 0, 0, ...A_IP, ...B_IP];
  const c = csum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

function withL4Checksum(proto: number, seg: number[], at: number): number[] {
  const pseudo = [...A_IP, ...B_IP, 0, proto, ...be16(seg.length)];
  const c = csum([...pseudo, ...seg]);
  seg[at] = c >> 8;
  seg[at + 1] = c & 0xff;
  return seg;
}

function frames(): Uint8Array[] {
  const arp = [0, 1, 8, 0, 6, 4, 0, 1, ...A_MAC, ...A_IP, 0, 0, 0, 0, 0, 0, ...B_IP];
  const icmp = [8, 0, 0, 0, 0x12, 0x34, 0, 1, ...Array.from({ length: 32 }, (_, i) => i)];
  const ic = csum(icmp);
  icmp[2] = ic >> 8;
  icmp[3] = ic & 0xff;
  const udpData = Array.from(new TextEncoder().encode('hello, wire'));
  const udp = withL4Checksum(17, [...be16(40000), ...be16(7), ...be16(8 + udpData.length), 0, 0, ...udpData], 6);
  const tcp = withL4Checksum(6, [...be16(40001), ...be16(80), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, ...be16(65535), 0, 0, 0, 0], 16);
  return [
    buildFrame(parseMac('ff:ff:ff:ff:ff:ff'), A_MAC, 0x0806, Uint8Array.from(arp)),
    buildFrame(B_MAC, A_MAC, 0x0800, Uint8Array.from(ipv4(1, icmp))),
    buildFrame(B_MAC, A_MAC, 0x0800, Uint8Array.from(ipv4(17, udp))),
    buildFrame(B_MAC, A_MAC, 0x0800, Uint8Array.from(ipv4(6, tcp))),
  ];
}

const CPU_HZ = 133_000_000;

function capture(): Uint8Array {
  const m = new Machine({ cpuHz: CPU_HZ });
  const wire = createWire(m);
  const src = new FrameSource(wire, 'a');
  const writer = PcapWriter.on(wire, m.config.cpuHz);
  const at = m.eventSource('test-sender');
  frames().forEach((f, i) => at.at(200_000 * i, () => src.send(f)));
  m.runUntil(1_000_000);
  return writer.bytes();
}

describe('pcap writer', () => {
  it('writes the classic header and one record per frame, stamped in emulated microseconds', () => {
    const pcap = parsePcap(capture());
    expect([pcap.versionMajor, pcap.versionMinor, pcap.snaplen, pcap.linkType]).toEqual([2, 4, 65535, 1]);
    const fs = frames();
    expect(pcap.records.length).toBe(fs.length);
    pcap.records.forEach((r, i) => {
      // Frame i is sent at 200,000 * i cycles and ends (8 + len + 4) byte-times later.
      const endCycle = 200_000 * i + Math.floor(((8 + fs[i]!.length + 4) * 1064) / 100);
      expect(r.micros).toBe(Math.floor((endCycle * 1e6) / CPU_HZ));
      expect(Array.from(r.frame)).toEqual(Array.from(fs[i]!));
    });
  });

  it('the reader rejects what is not a classic pcap', () => {
    const good = capture();
    expect(() => parsePcap(good.slice(0, 10))).toThrow(/shorter than the global header/);
    const bad = good.slice();
    bad[0] = 0;
    expect(() => parsePcap(bad)).toThrow(/magic/);
    expect(() => parsePcap(good.slice(0, good.length - 1))).toThrow(/runs past the end/);
  });

  it.skipIf(!has('tshark'))('tshark reads the capture: no malformed frames, the expected protocols', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reloaded-pcap-'));
    const file = join(dir, 'mixed.pcap');
    writeFileSync(file, capture());
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.protocols', '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'], { encoding: 'utf8' });
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(['eth:ethertype:arp', 'eth:ethertype:ip:icmp:data', 'eth:ethertype:ip:udp:echo', 'eth:ethertype:ip:tcp']);
    expect(rows.every((r) => !r[1])).toBe(true);
    const bad = execFileSync('tshark', ['-r', file, '-Y', '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'], { encoding: 'utf8' });
    expect(bad.trim()).toBe('');
  });
});
