// The domains as the kernel holds them: name, priority, state, CPU cycles, whose bank pays,
// counters (a stack's own, the driver's), and every capability slot with its rights; and the
// sessions the driver serves, one row per client, with its bank's usage against its limit.

import type { DomainView, SessionView } from '../protocol.js';
import { el, fillTable, n } from './dom.js';

/** Counters shown in the row; the rest are in the details. */
const SHOWN_COUNTERS = 4;

export class DomainsView {
  private readonly sessions = el('div', { id: 'sessions' });
  private readonly domains = el('div', { id: 'domains' });
  /** Domains whose details the user opened: kept open across updates. */
  private readonly open = new Set<number>();

  constructor(root: HTMLElement) {
    root.append(el('h3', {}, 'sessions'), this.sessions, el('h3', {}, 'domains'), this.domains);
  }

  update(domains: readonly DomainView[], sessions: readonly SessionView[]): void {
    fillTable(this.sessions, ['client', 'address', 'status', 'bank frames', 'delivered', 'sent', 'dropped', 'rejected', 'pinned'],
      sessions.map((s) => [String(s.client), s.ip, s.status, `${n(s.bankUsage)} / ${n(s.bankLimit)}`, n(s.delivered), n(s.transmitted), n(s.dropped), n(s.rejected), n(s.pinned)]));
    this.sessions.querySelectorAll('tbody tr').forEach((tr, i) => tr.setAttribute('data-client', String(sessions[i]!.client)));
    fillTable(this.domains, ['#', 'domain', 'priority', 'state', 'CPU cycles', 'bank', 'counters and capabilities'],
      domains.map((d) => [String(d.id), d.name, String(d.priority), d.state, n(d.cycles), d.bank, this.details(d)]));
  }

  private details(d: DomainView): HTMLElement {
    const counters = Object.entries(d.counters).filter(([, v]) => v !== 0);
    const summary = counters.slice(0, SHOWN_COUNTERS).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    const box = el('details', {},
      el('summary', {}, `${summary || 'no counters'}; ${d.caps.length} capabilities`),
      el('div', {}, counters.map(([k, v]) => `${k} ${n(v)}`).join(', ')),
      el('ul', { class: 'caps' }, ...d.caps.map((c) => el('li', {}, `slot ${c.slot}: ${c.kind} [${c.rights.join(', ') || 'no rights'}]${c.badge ? ` badge ${c.badge}` : ''}`))));
    box.open = this.open.has(d.id);
    box.addEventListener('toggle', () => (box.open ? this.open.add(d.id) : this.open.delete(d.id)));
    return box;
  }
}
