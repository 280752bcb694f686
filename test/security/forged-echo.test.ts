// A hostile client against its neighbour's standing: it sends the peer host UDP datagrams
// shaped like the neighbour's echo answers (the sequence numbers the peer's exerciser for
// the neighbour is waiting for, wrong bytes after them) to that exerciser's port, so that the
// report would blame the neighbour for answers "with bytes the peer did not send". The
// driver stops it spoofing the neighbour's address, and the exerciser takes an answer only
// from its target's echo server: the neighbour is reported clean. With that check switched
// off, the forged datagrams frame the neighbour.

import { describe, expect, it } from 'vitest';
import { BOOT_DEFAULTS, runBootScenario } from '../../emulator/cli/scenario/boot.js';
import { PEER_IP } from '../../emulator/cli/scenario/net.js';
import type { App } from '../../guest/apps/app.js';
import { DiscardServer } from '../../guest/apps/discard-server.js';
import { EchoServer } from '../../guest/apps/echo-server.js';
import { HttpServer } from '../../guest/apps/http-server.js';
import type { NetStack } from '../../guest/netstack/stack.js';

/** The peer's exerciser for client 2 (index 1) listens on this port (stacks.ts exerciserPort). */
const NEIGHBOUR_EXERCISER_PORT = 40_001;

/** Client 1's applications: the usual servers, and a forger answering for client 2 every cycle it can. */
function forgerApps(i: number, stack: NetStack): App[] {
  const apps: App[] = [new EchoServer(stack), new DiscardServer(stack), new HttpServer(stack)];
  if (i !== 0) return apps;
  const sock = stack.udpBind(6666);
  if (typeof sock === 'string') throw new Error(sock);
  let seq = 0;
  apps.push({
    advance() {
      for (let k = 0; k < 4 && seq < 4000; k++, seq++) {
        const forged = new Uint8Array(64).fill(0xee);
        forged[0] = (seq & 0xffff) >>> 8;
        forged[1] = seq & 0xff;
        sock.sendto(PEER_IP, NEIGHBOUR_EXERCISER_PORT, forged);
      }
    },
  });
  return apps;
}

describe('a client forging its neighbour\'s answers to the peer', () => {
  it('the neighbour is not blamed: the exerciser takes answers only from its target', () => {
    const r = runBootScenario({ ...BOOT_DEFAULTS, millis: 12, revokes: 'none', apps: forgerApps });
    expect(r.sessions[0]!.udp.datagramsOut).toBeGreaterThan(50); // the forgeries went out (as fast as its transmit slots free)
    expect(r.sessions[1]!.peer!.udpMismatched).toBe(0);
    expect(r.sessions[1]!.peer!.udpEchoed).toBeGreaterThan(0);
    expect(r.problems).toEqual([]);
  });

  it('with the source check switched off, the forgeries frame the neighbour', () => {
    const r = runBootScenario({ ...BOOT_DEFAULTS, millis: 12, revokes: 'none', apps: forgerApps, traffic: { unsafeAnySource: true } });
    expect(r.sessions[1]!.peer!.udpMismatched).toBeGreaterThan(0);
    expect(r.problems.some((p) => /^client 2: \d+ answers came back with bytes the peer did not expect$/.test(p))).toBe(true);
  });
});
