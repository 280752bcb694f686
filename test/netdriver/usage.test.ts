// Acceptance 4 (issue 5): the driver's own bank pays for nothing of any client. With 1 and
// with 16 sessions, before and after traffic in both directions, its bank usage and pin count
// are identical (DESIGN.md §6 item 6); the clients' sub-banks carry the sessions.

import { describe, expect, it } from 'vitest';
import { ipv4Frame } from '../../guest/net/build.js';
import type { CardMode, Strategy } from '../../guest/netdriver/config.js';
import { runChecked } from '../../emulator/cli/scenario/checks.js';
import { CARD_MAC, ipOf, PEER_IP, PEER_MAC, runUntilOpen } from '../../emulator/cli/scenario/net.js';
import { sendSpaced, world } from '../../emulator/cli/scenario/frame-world.js';

function measure(mode: CardMode, strategy: Strategy, stacks: number) {
  const w = world({
    mode, strategy, stacks,
    stack: (i) => ({ send: [ipv4Frame({ dstMac: PEER_MAC, srcMac: CARD_MAC, src: ipOf(i), dst: PEER_IP, payload: new Uint8Array(300).fill(i) })] }),
  });
  const usage = () => [w.driverBank.usage, w.driverBank.pins];
  while (!w.view.driver?.ready) w.machine.runFor(10_000);
  const started = usage();
  runUntilOpen(w);
  expect(w.clients.every((c) => c.probe.status === 'open')).toBe(true);
  const opened = usage();
  const frames = Array.from({ length: stacks * 2 }, (_, k) => ipv4Frame({ dstMac: CARD_MAC, srcMac: PEER_MAC, src: PEER_IP, dst: ipOf(k % stacks), payload: new Uint8Array(1000) }));
  const end = sendSpaced(w, frames, mode === 'classic' ? 150_000 : 60_000);
  runChecked(w, end - w.machine.now + 2_000_000, 100_000);
  expect(w.view.driver!.counters.delivered).toBe(frames.length);
  expect(w.view.driver!.counters.transmitted).toBe(stacks);
  const clientUsage = w.clients.map((c) => [...c.bank.children].reduce((a, b) => a + b.usage, 0));
  return { started, opened, after: usage(), clientUsage };
}

describe('the driver\'s bank usage does not grow with sessions or traffic', () => {
  for (const [mode, strategy] of [['busmaster', 'copy'], ['busmaster', 'flip'], ['classic', 'hybrid']] as [CardMode, Strategy][]) {
    it(`${mode} / ${strategy}: 1 session and 16 sessions`, () => {
      const one = measure(mode, strategy, 1);
      const sixteen = measure(mode, strategy, 16);
      expect(one.opened).toEqual(one.started);
      expect(one.after).toEqual(one.started);
      expect(sixteen.opened).toEqual(one.started);
      expect(sixteen.after).toEqual(one.started);
      // ...while every client's sub-bank pays for its own session
      expect(new Set(sixteen.clientUsage).size).toBe(1);
      expect(sixteen.clientUsage[0]).toBeGreaterThan(0);
      expect(sixteen.clientUsage[0]).toBe(one.clientUsage[0]);
    });
  }
});
