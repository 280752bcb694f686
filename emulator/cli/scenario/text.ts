// The boot scenario's report as text: what `reloaded run` prints and the page shows. One
// table row per session, then one line per subject. Plain string building, no node modules.

import type { BootReport, SessionReport } from './boot-report.js';

const n = (x: number) => x.toLocaleString('en-US');
const kb = (x: number) => `${(x / 1024).toFixed(x < 10 * 1024 ? 1 : 0)} KiB`;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // First three columns (session, address, status) left-aligned, the counts right-aligned.
  return rows.map((r) => '  ' + r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}

const reasons = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${n(v)}`).join(', ');

/** One line per client: its stack's counters and what the peer got back. */
function clientLines(s: SessionReport): string[] {
  const t = s.tcp;
  const lines = [
    `  client ${s.client} stack: TCP ${n(t.connections)} connections (${n(t.passiveOpens)} accepted), ${kb(t.bytesIn)} in, ${kb(t.bytesOut)} out, ${n(t.retransmissions)} retransmissions; ` +
      `UDP ${n(s.udp.datagramsIn)} in, ${n(s.udp.datagramsOut)} out; ICMP ${n(s.icmp.echoRequestsIn)} pings answered; drops: ${Object.keys(s.drops).length === 0 ? 'none' : reasons(s.drops)}`,
  ];
  const p = s.peer;
  if (p) {
    const http = Object.keys(p.httpFailures).length === 0 ? '' : ` (failed: ${reasons(p.httpFailures as Record<string, number>)})`;
    lines.push(`  client ${s.client} seen from the peer: pings ${n(p.pingsAnswered)}/${n(p.pingsSent)}, UDP echoes ${n(p.udpEchoed)}/${n(p.udpSent)}, TCP echo ${kb(p.tcpEchoBytes)} checked, ` +
      `discard ${kb(p.discardBytes)} sent, HTTP ${n(p.httpOk)}/${n(p.httpRequests)} ok${http} (${kb(p.httpBytes)})`);
  }
  return lines;
}

export function formatBootReport(r: BootReport): string {
  const out: string[] = [];
  const faults = Object.entries(r.faults).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
  const emulated = r.stoppedAtMillis === undefined ? `${r.millis} ms` : `stopped at ${r.stoppedAtMillis} ms of ${r.millis} ms`;
  out.push(`reloaded boot scenario: seed ${r.seed}, ${emulated} emulated (${n(r.cycles)} cycles)`);
  const clients = `${r.clients} client${r.clients === 1 ? '' : 's'}`;
  const layout = {
    factored: `receive strategy ${r.strategy}, ${clients} each running its own TCP/IP stack (echo, discard, HTTP)`,
    monolithic: `receive strategy ${r.strategy}, ${clients} each running its applications (echo, discard, HTTP) in its own domain over one shared TCP/IP stack domain (monolithic)`,
    inkernel: `${clients} whose stacks and applications (echo, discard, HTTP) all run in the kernel's protection domain with the driver (inkernel: no sessions, no client banks)`,
  }[r.topology];
  out.push(`  card in ${r.mode} mode on a ${r.link} Mbit/s wire${faults.length ? ` (faults: ${faults.join(', ')})` : ''}, ${layout}, ${r.peer ? 'exercised by the peer host at 10.0.0.1' : 'no peer host: the wire goes outside (--wire)'}`);
  out.push('');
  const head = ['session', 'address', 'status', 'delivered', 'copied', 'flipped', 'exchanged', 'dropped', 'rejected', 'sent', 'pins'];
  if (r.revocation) head.push('answers after revocation');
  const rows = r.sessions.map((s) => {
    const row = [String(s.client), s.ip, s.status, ...[s.delivered, s.copied, s.flipped, s.exchanged, s.dropped, s.rejected, s.transmitted, s.pinnedPeak].map(n)];
    if (r.revocation) row.push(n(s.progressAfterRevocation ?? 0));
    return row;
  });
  // In-kernel there are no sessions: the stacks take their frames straight from the card's buffers.
  if (r.topology !== 'inkernel') {
    out.push(...table([head, ...rows]));
    out.push('  (the driver\'s counts for each session: frames delivered and how, dropped, rejected, sent; pins: most pages pinned at once)');
    out.push('');
  }
  // A hostile client's stack is its attack (its line below); a client not joined yet has none.
  for (const s of r.sessions) if (s.attack === undefined && s.status !== 'not joined') out.push(...clientLines(s));
  out.push('');
  const d = r.driver;
  const line = (k: string, v: string) => out.push(`  ${k.padEnd(16)} ${v}`);
  if (r.topology === 'inkernel') line('driver', `${d.alive ? 'serving' : `NOT SERVING${d.error ? `: ${d.error}` : ''}`} (in-kernel: the driver and every stack in one domain, no sessions; the card sent ${n(r.wire.fromCard)} frames, the peer ${n(r.wire.fromPeer)})`);
  else line('driver', `${d.alive ? 'serving' : `NOT SERVING${d.error ? `: ${d.error}` : ''}`}; ${n(d.received)} frames received, ${n(d.delivered)} delivered, ${n(d.transmitted)} sent, ${n(d.dropped)} dropped, ${n(d.rejected)} rejected, ${n(d.missed)} missed; sessions opened ${d.sessionsOpened}, closed ${d.sessionsClosed}`);
  const b = d.bank;
  line('driver bank', b.usageReady === b.usageEnd && b.pinsReady === b.pinsEnd
    ? `${b.usageEnd} of ${b.limit} frames and ${b.pinsEnd} pins, the same when the driver became ready and at the end (${r.topology === 'inkernel' ? 'all the network\'s state: no client pays for any' : 'clients pay for their sessions'})`
    : `${b.usageReady} frames / ${b.pinsReady} pins when ready, ${b.usageEnd} / ${b.pinsEnd} at the end (limit ${b.limit})`);
  for (const h of r.hostile) {
    const s = r.sessions[h.client - 1];
    const seen = s ? `; the driver rejected ${n(s.rejected)} of its entries${Object.keys(s.why).length ? ` (${reasons(s.why)})` : ''} and sent ${n(s.transmitted)} of its frames` : '';
    line('hostile', `client ${h.client} runs the attack ${h.attack}: it ${h.summary} (threat model ${h.threat}); the defence: ${h.defence}${seen}`);
  }
  for (const j of r.joins) line('join', j.cycle === undefined ? `client ${j.client} was to join at cycle ${n(j.requestedCycle)}; the run ended first` : `client ${j.client} joined at cycle ${n(j.cycle)}${j.cycle === j.requestedCycle ? '' : ` (planned for ${n(j.requestedCycle)})`}`);
  if (r.revocations.length === 0) line('revocation', 'none');
  for (const rv of r.revocations) line('revocation', rv.summary);
  const c = r.cpu;
  line('cpu', `${(c.utilization * 100).toFixed(1)} % busy (${n(c.busyCycles)} cycles: driver ${n(c.driverCycles)}, stacks ${n(c.stackCycles)}, the rest kernel and interrupts), ${n(c.idleCycles)} idle`);
  line('cost', r.busyCyclesPerPacket === undefined ? 'no frame through the card' : `${n(r.busyCyclesPerPacket)} busy cycles per frame through the card${r.driverCyclesPerDelivered === undefined ? '' : `; ${n(r.driverCyclesPerDelivered)} driver cycles per delivered frame`}`);
  const inv = r.invariants;
  line('invariants', `${n(inv.checks)} checks of the invariants (kernel, isolation, liveness), ${n(inv.dmaBeatsChecked)} DMA beats checked as they landed (each against its transfer), ${inv.violations === 0 ? 'no violation' : `${inv.violations} VIOLATIONS`}`);
  for (const v of inv.listed) out.push(`    ${v}`);
  const w = r.wire;
  const injected = w.lost + w.duplicated + w.reordered + w.corrupted > 0 ? `; injected: ${n(w.lost)} lost, ${n(w.duplicated)} duplicated, ${n(w.reordered)} reordered, ${n(w.corrupted)} corrupted` : '';
  const from = r.peer ? `${n(w.fromCard)} from the card, ${n(w.fromPeer)} from the peer` : `from the card; the frames from outside are in the log's UDP bridge line`;
  line('wire', `${n(w.frames)} frames (${from})${injected}`);
  line('trace', `${n(r.trace.records)} records, hash ${r.trace.hash}`);
  line('result', r.problems.length === 0 ? 'ok' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
  for (const p of r.problems) out.push(`    ${p}`);
  return out.join('\n');
}
