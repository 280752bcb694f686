// The card: its NE2000 registers, its bus-master registers, and both descriptor rings as the
// card would read them from memory, each descriptor a cell that says who owns it (OWN set:
// the card's; clear: the driver's) with the card's head marked.

import type { CardView, DescriptorView } from '../protocol.js';
import { el, fillTable, hex, n } from './dom.js';

export class CardPanel {
  private readonly regs = el('div', { id: 'card-regs' });
  private readonly rings = el('div', { id: 'card-rings' });

  constructor(root: HTMLElement) {
    root.append(this.regs, this.rings);
  }

  update(c: CardView): void {
    const row = (name: string, r: Record<string, number>) => [name, Object.entries(r).map(([k, v]) => `${k} ${hex(v, 2)}`).join('  ')];
    fillTable(this.regs, ['', 'registers'], [
      row('NE2000', c.regs),
      row('bus master', c.bm),
      ['totals', `received ${n(c.totals.received)}, sent ${n(c.totals.transmitted)}, missed ${n(c.totals.missed)} (${c.mode} mode)`],
    ]);
    this.rings.replaceChildren(this.ring('receive ring', 'rx', c.rx), this.ring('transmit ring', 'tx', c.tx), this.bufferRing(c.regs));
  }

  /**
   * The DP8390's own receive ring in the card's memory (classic mode's path): 256-byte pages
   * from PSTART to PSTOP; the card writes at CURR, the driver has read up to BNRY, so the pages
   * after BNRY and before CURR hold frames not yet read (the Linux 8390 drivers' convention,
   * which ours follows).
   */
  private bufferRing(r: Record<string, number>): HTMLElement {
    const { pstart = 0, pstop = 0, bnry = 0, curr = 0 } = r;
    const pages = pstop > pstart ? pstop - pstart : 0;
    const held = (p: number) => {
      const from = bnry + 1 >= pstop ? pstart : bnry + 1;
      return from <= curr ? p >= from && p < curr : p >= from || p < curr;
    };
    const cells = Array.from({ length: pages }, (_, k) => {
      const p = pstart + k;
      return el('span', { class: `desc page${held(p) ? ' own' : ''}${p === curr ? ' head' : ''}`, title: `page ${hex(p, 2)}${p === curr ? ': CURR, where the card writes next' : ''}${p === bnry ? ': BNRY, the last page the driver read' : ''}${held(p) ? ' (holds a frame not yet read)' : ''}` }, '');
    });
    const waiting = cells.filter((_, k) => held(pstart + k)).length;
    return el('div', { id: 'ring-buffer', class: 'ring' }, el('span', { class: 'ring-title' }, `the card's buffer ring (classic mode): ${pages === 0 ? 'not set up' : `pages ${hex(pstart, 2)} to ${hex(pstop - 1, 2)}, ${waiting} holding frames not yet read`}`), ...cells);
  }

  private ring(title: string, id: string, ds: readonly DescriptorView[]): HTMLElement {
    const cells = ds.map((d) =>
      el('span', {
        class: `desc${d.own ? ' own' : ''}${d.head ? ' head' : ''}`,
        'data-own': d.own ? '1' : '0',
        title: `descriptor ${d.index}: buffer ${hex(d.addr, 8)}, control ${hex(d.ctrl, 8)}, status ${hex(d.status, 8)}; ${d.own ? 'OWN: the card\'s' : 'the driver\'s'}${d.head ? '; the card\'s next' : ''}`,
      }, String(d.index)));
    return el('div', { id: `ring-${id}`, class: 'ring' }, el('span', { class: 'ring-title' }, `${title} (${ds.length === 0 ? 'not set up' : `${ds.filter((d) => d.own).length} of ${ds.length} the card's`})`), ...cells);
  }
}
