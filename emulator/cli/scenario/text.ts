// The boot scenario's report as text: what `reloaded run` prints and the page shows. One
// table row per session, then one line per subject. Plain string building, no node modules.

import type { BootReport } from './boot.js';

const n = (x: number) => x.toLocaleString('en-US');

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // First three columns (session, address, status) left-aligned, the counts right-aligned.
  return rows.map((r) => '  ' + r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}

export function formatBootReport(r: BootReport): string {
  const out: string[] = [];
  out.push(`reloaded boot scenario: seed ${r.seed}, ${r.millis} ms emulated (${n(r.cycles)} cycles)`);
  out.push(`  card in ${r.mode} mode, receive strategy ${r.strategy}, ${r.clients} client stack${r.clients === 1 ? '' : 's'} exchanging UDP datagrams with the echo peer`);
  out.push('');
  const head = ['session', 'address', 'status', 'delivered', 'copied', 'flipped', 'exchanged', 'dropped', 'rejected', 'sent', 'echoed', 'lost'];
  if (r.revocation) head.push('echoed after revocation');
  const rows = r.sessions.map((s) => {
    const row = [String(s.client), s.ip, s.status, ...[s.delivered, s.copied, s.flipped, s.exchanged, s.dropped, s.rejected, s.transmitted, s.stack.echoed, s.stack.lost].map(n)];
    if (r.revocation) row.push(n(s.echoedAfterRevocation ?? 0));
    return row;
  });
  out.push(...table([head, ...rows]));
  out.push('  (sent: frames the driver put on the wire for the session; echoed, lost: what the client counted)');
  out.push('');
  const d = r.driver;
  const line = (k: string, v: string) => out.push(`  ${k.padEnd(16)} ${v}`);
  line('driver', `${d.alive ? 'serving' : `NOT SERVING${d.error ? `: ${d.error}` : ''}`}; ${n(d.received)} frames received, ${n(d.delivered)} delivered, ${n(d.dropped)} dropped, ${n(d.rejected)} rejected, ${n(d.missed)} missed; sessions opened ${d.sessionsOpened}, closed ${d.sessionsClosed}`);
  const b = d.bank;
  line('driver bank', b.usageReady === b.usageEnd && b.pinsReady === b.pinsEnd
    ? `${b.usageEnd} of ${b.limit} frames and ${b.pinsEnd} pins, the same when the driver became ready and at the end (clients pay for their sessions)`
    : `${b.usageReady} frames / ${b.pinsReady} pins when ready, ${b.usageEnd} / ${b.pinsEnd} at the end (limit ${b.limit})`);
  line('revocation', r.revocation ? r.revocation.summary : 'none');
  line('cost', r.cyclesPerDelivered === undefined ? 'no frame delivered' : `${n(r.cyclesPerDelivered)} cycles of run per delivered frame, ${n(r.driverCyclesPerDelivered!)} of them the driver's CPU time`);
  const inv = r.invariants;
  line('invariants', `${n(inv.checks)} checks of the invariants (kernel, isolation, liveness), ${n(inv.dmaBeatsChecked)} DMA beats checked as they landed (each against its transfer), ${inv.violations === 0 ? 'no violation' : `${inv.violations} VIOLATIONS`}`);
  for (const v of inv.listed) out.push(`    ${v}`);
  line('wire', `${n(r.wire.frames)} frames (${n(r.wire.fromCard)} from the card, ${n(r.wire.fromEcho)} from the echo peer)`);
  line('trace', `${n(r.trace.records)} records, hash ${r.trace.hash}`);
  line('result', r.problems.length === 0 ? 'ok' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}:`);
  for (const p of r.problems) out.push(`    ${p}`);
  return out.join('\n');
}
