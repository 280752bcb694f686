// The frame map: every 4 KiB frame of RAM a cell, coloured by whose bank pays for it (the
// kernel, the driver, each client) or by the state that is nobody's (free, freed but not yet
// zeroed, quarantined: still pinned for the card after its page was revoked). A kernel
// object's frame (a page table, a domain's state) has a dark corner, a pinned frame a white
// dot. Hover asks the worker for the frame's detail (owner bank, pin count, every mapping
// with its rights); a click keeps it. The legend counts each owner's frames, so a revoked
// bank's count falls to zero as its cells turn free or red.

import * as P from '../protocol.js';
import { el, n, Tooltip } from './dom.js';
import { DIRTY_COLOUR, FREE_COLOUR, HIGHLIGHT_COLOUR, ownerColour, QUARANTINE_COLOUR } from './palette.js';

/** Cell size in CSS pixels (a cell is drawn one pixel smaller: the gap) and cells per row. */
export const CELL = 7;
export const COLUMNS = 128;

export function cellColour(state: number, owner: number): string {
  switch (state & P.FRAME_STATE_MASK) {
    case P.FRAME_FREE:
      return FREE_COLOUR;
    case P.FRAME_FREE_DIRTY:
      return DIRTY_COLOUR;
    case P.FRAME_QUARANTINED:
      return QUARANTINE_COLOUR;
    default:
      return ownerColour(owner);
  }
}

export class FrameMapView {
  private readonly canvas = el('canvas', { id: 'frame-map', class: 'frame-map' });
  private readonly legend = el('ul', { id: 'frame-legend', class: 'legend' });
  private readonly detail = el('pre', { id: 'frame-detail', class: 'detail' }, 'hover over a frame for its owner, pins and mappings; click to keep it');
  private frames: P.FrameMap | undefined;
  private owners: string[] = [];
  private hovered = -1;
  private kept = -1;
  /** Frames drawn outlined (a replay's culprit, a hovered timeline span's frame). */
  highlighted = new Set<number>();

  constructor(
    root: HTMLElement,
    private readonly ask: (frame: number) => void,
    private readonly tooltip: Tooltip,
  ) {
    root.append(this.canvas, this.legend, this.detail);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.hovered = -1;
      this.tooltip.hide();
    });
    this.canvas.addEventListener('click', (e) => {
      this.kept = this.frameAt(e);
      if (this.kept >= 0) this.ask(this.kept);
    });
  }

  update(s: P.Snapshot): void {
    this.frames = s.frames;
    this.owners = s.owners;
    this.draw();
    this.drawLegend();
    if (this.kept >= 0) this.ask(this.kept);
  }

  /** The worker's answer to ask(): shown in the tooltip (hovered) and the detail box (kept). */
  showDetail(d: P.FrameDetail, x?: number, y?: number): void {
    const lines = [
      `frame ${d.frame} (physical 0x${(d.frame * 4096).toString(16)}): ${d.text}`,
      `pin count ${d.pinCount}`,
      ...(d.mappings.length === 0 ? ['not mapped'] : d.mappings.map((m) => `mapped ${m.rights} at va 0x${m.va.toString(16)} in ${m.space}`)),
      ...(d.mappingCount > d.mappings.length ? [`and ${d.mappingCount - d.mappings.length} more mappings`] : []),
    ];
    if (d.frame === this.kept) this.detail.textContent = lines.join('\n');
    if (d.frame === this.hovered && x !== undefined && y !== undefined) this.tooltip.show(x, y, lines);
  }

  private lastPointer = { x: 0, y: 0 };
  get pointer() {
    return this.lastPointer;
  }

  private frameAt(e: MouseEvent): number {
    const r = this.canvas.getBoundingClientRect();
    const f = Math.floor((e.clientY - r.top) / CELL) * COLUMNS + Math.floor((e.clientX - r.left) / CELL);
    return this.frames && f >= 0 && f < this.frames.state.length ? f : -1;
  }

  private hover(e: MouseEvent): void {
    this.lastPointer = { x: e.clientX, y: e.clientY };
    const f = this.frameAt(e);
    if (f === this.hovered) return;
    this.hovered = f;
    if (f < 0) this.tooltip.hide();
    else this.ask(f);
  }

  /** Draw again (the highlighted frames changed between snapshots, e.g. while paused). */
  redraw(): void {
    if (this.frames) this.draw();
  }

  isHovered(frame: number): boolean {
    return frame === this.hovered;
  }

  /** The colour cell `frame` is drawn with now (tests read the canvas against it). */
  colourOf(frame: number): string | undefined {
    return this.frames ? cellColour(this.frames.state[frame]!, this.frames.owner[frame]!) : undefined;
  }

  private draw(): void {
    const fm = this.frames!;
    const rows = Math.ceil(fm.state.length / COLUMNS);
    const ratio = globalThis.devicePixelRatio || 1;
    if (this.canvas.width !== COLUMNS * CELL * ratio) {
      this.canvas.width = COLUMNS * CELL * ratio;
      this.canvas.height = rows * CELL * ratio;
      this.canvas.style.width = `${COLUMNS * CELL}px`;
      this.canvas.style.height = `${rows * CELL}px`;
    }
    const g = this.canvas.getContext('2d')!;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (let f = 0; f < fm.state.length; f++) {
      const x = (f % COLUMNS) * CELL;
      const y = Math.floor(f / COLUMNS) * CELL;
      const s = fm.state[f]!;
      g.fillStyle = cellColour(s, fm.owner[f]!);
      g.fillRect(x, y, CELL - 1, CELL - 1);
      if ((s & P.FRAME_STATE_MASK) === P.FRAME_KERNEL) {
        g.fillStyle = '#000000';
        g.beginPath();
        g.moveTo(x, y);
        g.lineTo(x + 4, y);
        g.lineTo(x, y + 4);
        g.fill();
      }
      if (s & P.FRAME_PINNED) {
        g.fillStyle = '#ffffff';
        g.fillRect(x + 3, y + 3, 2, 2);
      }
    }
    g.strokeStyle = HIGHLIGHT_COLOUR;
    g.lineWidth = 2;
    for (const f of this.highlighted) g.strokeRect((f % COLUMNS) * CELL - 1, Math.floor(f / COLUMNS) * CELL - 1, CELL + 1, CELL + 1);
  }

  private drawLegend(): void {
    const fm = this.frames!;
    const byOwner = new Array<number>(this.owners.length).fill(0);
    let free = 0;
    let dirty = 0;
    let quarantined = 0;
    let pinned = 0;
    for (let f = 0; f < fm.state.length; f++) {
      const st = fm.state[f]! & P.FRAME_STATE_MASK;
      if (fm.state[f]! & P.FRAME_PINNED) pinned++;
      if (st === P.FRAME_FREE) free++;
      else if (st === P.FRAME_FREE_DIRTY) dirty++;
      else if (st === P.FRAME_QUARANTINED) quarantined++;
      else byOwner[fm.owner[f]!]!++;
    }
    const item = (colour: string, label: string, count: number, key: string) =>
      el('li', { 'data-key': key, 'data-count': String(count) }, el('span', { class: 'swatch', style: `background:${colour}` }), `${label}: ${n(count)}`);
    this.legend.replaceChildren(
      item(FREE_COLOUR, 'free', free, 'free'),
      item(DIRTY_COLOUR, 'free, not yet zeroed', dirty, 'dirty'),
      item(QUARANTINE_COLOUR, 'quarantined', quarantined, 'quarantined'),
      ...this.owners.flatMap((name, o) => (o === P.OWNER_NONE ? [] : [item(ownerColour(o), name, byOwner[o]!, `owner-${o}`)])),
      el('li', { 'data-key': 'pinned', 'data-count': String(pinned) }, `pinned for the card (white dot): ${n(pinned)}`),
    );
  }
}
