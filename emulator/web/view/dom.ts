// Small helpers the views share: elements built with text only (nothing the worker sends is
// ever parsed as HTML), numbers as people read them, and one floating tooltip.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export const n = (x: number) => x.toLocaleString('en-US');
export const hex = (x: number, digits = 0) => `0x${(x >>> 0).toString(16).padStart(digits, '0')}`;

/** A table from a header row and body rows, replacing `into`'s contents. */
export function fillTable(into: HTMLElement, head: string[], rows: (string | Node)[][]): void {
  const t = el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
  into.replaceChildren(t);
}

/** The page's one tooltip: shown beside the pointer with plain text lines. */
export class Tooltip {
  private readonly box = el('div', { class: 'tooltip', role: 'tooltip' });

  constructor() {
    this.box.hidden = true;
    document.body.append(this.box);
  }

  show(x: number, y: number, lines: readonly string[]): void {
    this.box.replaceChildren(...lines.map((l) => el('div', {}, l)));
    this.box.style.left = `${x + 14}px`;
    this.box.style.top = `${y + 14}px`;
    this.box.hidden = false;
  }

  hide(): void {
    this.box.hidden = true;
  }
}
