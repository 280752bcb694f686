// The timeline: the last stretch of cycles on lanes (the card's DMA, interrupts, kernel
// operations, the kernel's CPU accesses, each domain's), one bar per span the recorder
// coalesced. It follows the newest cycle while the machine runs; the window is zoomable from
// a millisecond down to a few cycles, where every cycle gets a tick, by the buttons or the
// wheel, and can be dragged back in time. Hover names a span; a marked cycle (a replay's
// violation) is a red line and the spans on marked frames are outlined.

import type { Span } from '../protocol.js';
import { el, n, Tooltip } from './dom.js';
import { DRIVER_COLOUR, HIGHLIGHT_COLOUR, KERNEL_COLOUR, QUARANTINE_COLOUR } from './palette.js';

/** Spans kept: enough for the widest window of a busy machine. */
const KEPT_SPANS = 60_000;
/** Window widths, in cycles, from wide to single cycles. */
export const ZOOMS = [1_330_000, 266_000, 66_500, 13_300, 2_660, 532, 133, 40, 16] as const;
const LANE_HEIGHT = 16;
const LABEL_WIDTH = 190;
const WIDTH = 900;
/** At or below this many cycles in the window every cycle gets a tick. */
const CYCLE_TICKS = 200;
const FIXED_LANES = ['card DMA', 'interrupts', 'kernel operations', 'kernel (CPU)'];

export class TimelineView {
  private readonly canvas = el('canvas', { id: 'timeline', class: 'timeline' });
  private readonly label = el('span', { id: 'timeline-window' });
  private spans: Span[] = [];
  private lanes: string[] = [...FIXED_LANES];
  private zoom = 2;
  /** The window's right edge; undefined: follow the newest cycle. */
  private pinnedTo: number | undefined;
  private newest = 0;
  private drag: { x: number; at: number } | undefined;
  /** A cycle drawn as a red line, and frames whose spans are outlined. */
  mark: number | undefined;
  markedFrames = new Set<number>();
  onHoverFrame: (frame: number) => void = () => {};
  /** The machine's clock rate, for the window's width in µs. */
  cpuHz = 133_000_000;

  constructor(root: HTMLElement, private readonly tooltip: Tooltip) {
    const button = (text: string, title: string, act: () => void) => {
      const b = el('button', { type: 'button', title }, text);
      b.addEventListener('click', act);
      return b;
    };
    root.append(
      el('div', { class: 'timeline-controls' },
        button('−', 'zoom out', () => this.setZoom(this.zoom - 1)),
        button('+', 'zoom in', () => this.setZoom(this.zoom + 1)),
        button('follow', 'follow the newest cycle', () => ((this.pinnedTo = undefined), this.draw())),
        this.label),
      this.canvas,
    );
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.setZoom(this.zoom + (e.deltaY < 0 ? 1 : -1), e);
    });
    this.canvas.addEventListener('mousedown', (e) => (this.drag = { x: e.clientX, at: this.right }));
    addEventListener('mouseup', () => (this.drag = undefined));
    this.canvas.addEventListener('mousemove', (e) => this.move(e));
    this.canvas.addEventListener('mouseleave', () => this.tooltip.hide());
  }

  get width(): number {
    return ZOOMS[this.zoom]!;
  }

  private get right(): number {
    return this.pinnedTo ?? this.newest;
  }

  /** Zoom to level `z`, keeping the cycle under the pointer (or the right edge) in place. */
  setZoom(z: number, at?: MouseEvent): void {
    const next = Math.max(0, Math.min(ZOOMS.length - 1, z));
    if (at) {
      const c = this.cycleAt(at.clientX);
      const frac = (this.right - c) / this.width;
      this.pinnedTo = Math.min(this.newest, Math.round(c + frac * ZOOMS[next]!));
    }
    this.zoom = next;
    this.draw();
  }

  /** Show the window ending at `cycle` (a replay's violation, centred). */
  centreOn(cycle: number): void {
    this.pinnedTo = Math.min(this.newest, cycle + Math.floor(this.width / 2));
    this.draw();
  }

  add(spans: readonly Span[], newest: number): void {
    for (const s of spans) {
      this.spans.push(s);
      if (!this.lanes.includes(s.lane)) this.lanes.push(s.lane);
    }
    if (this.spans.length > KEPT_SPANS) this.spans.splice(0, this.spans.length - KEPT_SPANS);
    this.newest = newest;
    this.draw();
  }

  clear(): void {
    this.spans = [];
    this.lanes = [...FIXED_LANES];
    this.pinnedTo = undefined;
    this.newest = 0;
    this.mark = undefined;
    this.markedFrames.clear();
  }

  private cycleAt(clientX: number): number {
    const r = this.canvas.getBoundingClientRect();
    const x = clientX - r.left - LABEL_WIDTH;
    return this.right - this.width + (x / (WIDTH - LABEL_WIDTH)) * this.width;
  }

  private move(e: MouseEvent): void {
    if (this.drag) {
      const dx = e.clientX - this.drag.x;
      this.pinnedTo = Math.max(0, Math.min(this.newest, Math.round(this.drag.at - (dx / (WIDTH - LABEL_WIDTH)) * this.width)));
      this.draw();
      return;
    }
    const r = this.canvas.getBoundingClientRect();
    const lane = this.lanes[Math.floor((e.clientY - r.top - LANE_HEIGHT) / LANE_HEIGHT)];
    const c = this.cycleAt(e.clientX);
    const slack = Math.max(0.5, this.width / (WIDTH - LABEL_WIDTH)) * 2;
    let s: Span | undefined;
    for (let i = this.spans.length - 1; i >= 0 && lane !== undefined && !s; i--) {
      const x = this.spans[i]!;
      if (x.lane === lane && x.from - slack <= c && c <= x.to + 1 + slack) s = x;
    }
    if (!s) return this.tooltip.hide();
    const when = s.from === s.to ? `cycle ${n(s.from)}` : `cycles ${n(s.from)}–${n(s.to)}`;
    this.tooltip.show(e.clientX, e.clientY, [`${when}: ${s.text}`, ...(s.count > 1 || s.bytes > 0 ? [`${n(s.count)} accesses, ${n(s.bytes)} bytes${s.write ? ', writes among them' : ''}`] : [])]);
    if (s.frame >= 0) this.onHoverFrame(s.frame);
  }

  private colour(s: Span): string {
    if (s.lane === 'card DMA') return s.write ? DRIVER_COLOUR : '#6b8fd0';
    if (s.lane === 'interrupts') return '#d08a00';
    if (s.lane.startsWith('kernel')) return KERNEL_COLOUR;
    return s.write ? '#2e9e58' : '#8cc9a2';
  }

  draw(): void {
    const ratio = globalThis.devicePixelRatio || 1;
    const height = LANE_HEIGHT * (this.lanes.length + 1);
    if (this.canvas.height !== height * ratio || this.canvas.width !== WIDTH * ratio) {
      this.canvas.width = WIDTH * ratio;
      this.canvas.height = height * ratio;
      this.canvas.style.width = `${WIDTH}px`;
      this.canvas.style.height = `${height}px`;
    }
    const g = this.canvas.getContext('2d')!;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, WIDTH, height);
    const right = this.right;
    const left = right - this.width;
    const plot = WIDTH - LABEL_WIDTH;
    const x = (c: number) => LABEL_WIDTH + ((c - left) / this.width) * plot;
    g.font = '11px sans-serif';
    g.fillStyle = '#222222';
    this.lanes.forEach((l, i) => g.fillText(l.length > 28 ? `${l.slice(0, 27)}…` : l, 4, LANE_HEIGHT * (i + 2) - 4));
    g.strokeStyle = '#dddddd';
    for (let i = 0; i <= this.lanes.length; i++) {
      g.beginPath();
      g.moveTo(LABEL_WIDTH, LANE_HEIGHT * (i + 1) + 0.5);
      g.lineTo(WIDTH, LANE_HEIGHT * (i + 1) + 0.5);
      g.stroke();
    }
    if (this.width <= CYCLE_TICKS) {
      for (let c = Math.ceil(left); c <= right; c++) {
        g.fillStyle = c % 10 === 0 ? '#999999' : '#dddddd';
        g.fillRect(x(c), LANE_HEIGHT - 4, 1, 4);
      }
    }
    for (const s of this.spans) {
      if (s.to + 1 < left || s.from > right) continue;
      const lane = this.lanes.indexOf(s.lane);
      const x0 = x(s.from);
      const w = Math.max(1, x(s.to + 1) - x0);
      g.fillStyle = this.colour(s);
      g.fillRect(x0, LANE_HEIGHT * (lane + 1) + 2, w, LANE_HEIGHT - 4);
      if (s.frame >= 0 && this.markedFrames.has(s.frame)) {
        g.strokeStyle = HIGHLIGHT_COLOUR;
        g.lineWidth = 2;
        g.strokeRect(x0 - 1, LANE_HEIGHT * (lane + 1) + 1, w + 2, LANE_HEIGHT - 2);
      }
    }
    if (this.mark !== undefined && this.mark >= left && this.mark <= right) {
      g.fillStyle = QUARANTINE_COLOUR;
      g.fillRect(x(this.mark), 0, 2, height);
    }
    g.fillStyle = '#444444';
    g.fillText(`cycle ${n(Math.max(0, Math.round(left)))}`, LABEL_WIDTH + 2, 11);
    const end = `cycle ${n(Math.round(right))}`;
    g.fillText(end, WIDTH - g.measureText(end).width - 2, 11);
    const micros = (this.width * 1e6) / this.cpuHz;
    this.label.textContent = ` window ${n(this.width)} cycles (${micros.toFixed(micros < 10 ? 2 : 0)} µs at ${this.cpuHz / 1e6} MHz)${this.pinnedTo === undefined ? ', following' : ''}`;
  }
}
