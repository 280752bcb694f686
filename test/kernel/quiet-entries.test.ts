// The incremental checks skip their record-based parts across "quiet" kernel entries: system
// calls that change no frame, bank, object, mapping or pin (syscalls.ts RECORDS_UNCHANGED,
// state.ts quietEntries). This checks the claim on real traffic, both card modes and every
// receive strategy: after every kernel exit that was exactly one quiet entry, a snapshot of
// those records equals the one after the previous exit. Marking a mutating operation quiet
// (pin, map, allocPage, ...) makes this fail.

import { describe, expect, it } from 'vitest';
import { composeNet, runUntilOpen, type Net } from '../../emulator/cli/scenario/net.js';
import { FrameSource } from '../../devices/peers/source.js';
import { ipv4Frame } from '../../guest/net/build.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC } from '../../emulator/cli/scenario/net.js';
import type { Bank } from '../../guest/kernel/banks.js';

/** The records the invariants read, as one string. */
function records(w: Net): string {
  const k = w.kernel.state;
  const fr = k.frames;
  const banks: string[] = [];
  const visit = (b: Bank): void => {
    banks.push(`${b.id}:${b.usage}/${b.reserved}/${b.pins}/${b.limit}/${b.objects.size}`);
    for (const o of b.objects) if (o.kind === 'bank') visit(o);
  };
  visit(k.primeBank);
  const maps = k.domains.map((d) => w.kernel.mappings(d.space).map((m) => `${m.va}>${m.frame}${m.writable ? 'w' : ''}`).join(','));
  const tokens = k.devprivs.flatMap((dp) => [...dp.tokens.values()].map((t) => `${t.id}@${t.frame}`));
  return JSON.stringify([fr.state, fr.owner.map((o) => o?.id ?? 0), [...fr.pins], [...fr.epoch], [...fr.dirty], banks, maps, tokens, fr.pinReserve]);
}

describe('quiet kernel entries change no record the invariants read', () => {
  for (const [mode, strategy] of [['busmaster', 'flip'], ['busmaster', 'copy'], ['busmaster', 'hybrid'], ['classic', 'copy']] as const) {
    it(`${mode} ${strategy}, with traffic both ways`, () => {
      let peer: FrameSource | undefined;
      const reply = (i: number) => ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(i), dst: PEER_IP, payload: new Uint8Array(300).fill(i) });
      const w = composeNet({ mode, strategy, stacks: 2, memoryBytes: 4 << 20, stack: (i) => ({ send: [reply(i), reply(i)] }), onWire: (wire) => (peer = new FrameSource(wire, 'peer')) });
      runUntilOpen(w);
      const src = w.machine.eventSource('test-peer');
      for (let k = 0; k < 12; k++) src.at(w.machine.now + 1000 + k * 9000, () => peer!.send(ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(k % 2), payload: new Uint8Array(100 + 97 * k) })));
      const cpu = w.machine.cpu;
      const k = w.kernel.state;
      let last = records(w);
      let entries = cpu.supervisorEntries;
      let quiet = k.quietEntries;
      let compared = 0;
      cpu.afterKernelExit = () => {
        const now = records(w);
        if (cpu.supervisorEntries === entries + 1 && k.quietEntries === quiet + 1) {
          compared++;
          expect(now).toBe(last);
        }
        [last, entries, quiet] = [now, cpu.supervisorEntries, k.quietEntries];
      };
      w.machine.runFor(800_000);
      cpu.afterKernelExit = undefined;
      expect(compared).toBeGreaterThan(100);
      expect(w.view.driver!.counters.delivered).toBeGreaterThanOrEqual(6);
    });
  }
});
