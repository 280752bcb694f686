// The packet log: the last frames on the wire, newest first, one line each.

import type { PacketView } from '../protocol.js';
import { el, n } from './dom.js';

const SHOWN = 200;

export class PacketsView {
  private readonly list = el('ol', { id: 'packets', class: 'packets', reversed: '' });
  private kept: PacketView[] = [];
  count = 0;

  constructor(root: HTMLElement) {
    root.append(this.list);
  }

  add(ps: readonly PacketView[]): void {
    if (ps.length === 0) return;
    this.count += ps.length;
    this.kept = [...ps.slice(-SHOWN).reverse(), ...this.kept].slice(0, SHOWN);
    this.list.replaceChildren(...this.kept.map((p) => el('li', { class: p.direction }, `${n(p.cycle)}  ${p.direction === 'in' ? '→ card' : '← card'}  ${p.length} B  ${p.summary}`)));
  }

  clear(): void {
    this.kept = [];
    this.count = 0;
    this.list.replaceChildren();
  }
}
