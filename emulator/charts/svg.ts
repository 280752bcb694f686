// A small SVG writer for charts, so no charting dependency: the benchmark's (reloaded bench)
// and the page's throughput and drops. Grouped bar charts and line charts with axes, ticks,
// labels with units, a legend and a title that names what was measured. Output is plain SVG 1.1 text, deterministic for its input.

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { left: 78, right: 170, top: 56, bottom: 70 };
const PALETTE = ['#3366aa', '#dd7722', '#339955', '#aa3344', '#7755aa', '#666666'];
const TICKS = 5;
const FONT = 'font-family="sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round number at or above `max` for the top of an axis, and its tick step. */
export function niceScale(max: number, ticks = TICKS): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 / ticks };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  return { top: step * Math.ceil(max / step), step };
}

const num = (v: number) => Number(v.toFixed(2)).toString();
const tickText = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString());

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}" ${FONT} ${attrs}>${escapeXml(s)}</text>`;
}

function frame(title: string, subtitle: string | undefined, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(WIDTH / 2, 22, title, 'font-size="15" font-weight="bold" text-anchor="middle"'),
    ...(subtitle ? [text(WIDTH / 2, 40, subtitle, 'font-size="11" text-anchor="middle" fill="#444444"')] : []),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const plot = { x0: MARGIN.left, x1: WIDTH - MARGIN.right, y0: HEIGHT - MARGIN.bottom, y1: MARGIN.top };

/** The y axis with ticks from 0 to `top`, its label rotated beside it; returns the value-to-y map. */
function yAxis(top: number, step: number, label: string, out: string[]): (v: number) => number {
  const y = (v: number) => plot.y0 - ((plot.y0 - plot.y1) * v) / top;
  out.push(`<line x1="${plot.x0}" y1="${plot.y0}" x2="${plot.x0}" y2="${plot.y1}" stroke="#000000"/>`);
  for (let v = 0; v <= top + step / 2; v += step) {
    out.push(`<line x1="${plot.x0 - 4}" y1="${num(y(v))}" x2="${plot.x1}" y2="${num(y(v))}" stroke="${v === 0 ? '#000000' : '#dddddd'}"/>`);
    out.push(text(plot.x0 - 7, y(v) + 4, tickText(v), 'font-size="11" text-anchor="end"'));
  }
  const mid = (plot.y0 + plot.y1) / 2;
  out.push(text(18, mid, label, `font-size="12" text-anchor="middle" transform="rotate(-90 18 ${num(mid)})"`));
  return y;
}

function legend(names: readonly string[], out: string[]): void {
  names.forEach((n, i) => {
    const y = plot.y1 + 8 + i * 20;
    out.push(`<rect x="${plot.x1 + 16}" y="${y}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(text(plot.x1 + 34, y + 10, n, 'font-size="12"'));
  });
}

export interface BarChart {
  title: string;
  subtitle?: string;
  /** The y axis label, with its unit. */
  yLabel: string;
  xLabel: string;
  /** One bar per series in each group. */
  series: readonly string[];
  /** null: not measured (drawn as "n/a"). */
  groups: readonly { label: string; values: readonly (number | null)[] }[];
}

export function barChartSvg(c: BarChart): string {
  const out: string[] = [];
  const values = c.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const { top, step } = niceScale(Math.max(0, ...values));
  const y = yAxis(top, step, c.yLabel, out);
  const groupWidth = (plot.x1 - plot.x0) / Math.max(1, c.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, c.series.length);
  c.groups.forEach((g, gi) => {
    const gx = plot.x0 + gi * groupWidth + groupWidth * 0.1;
    g.values.forEach((v, si) => {
      const x = gx + si * barWidth;
      if (v === null || !Number.isFinite(v)) {
        out.push(text(x + barWidth / 2, plot.y0 - 4, 'n/a', `font-size="9" text-anchor="middle" fill="#888888" transform="rotate(-90 ${num(x + barWidth / 2)} ${num(plot.y0 - 4)})"`));
        return;
      }
      out.push(`<rect x="${num(x)}" y="${num(y(v))}" width="${num(barWidth * 0.92)}" height="${num(plot.y0 - y(v))}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(`${g.label}, ${c.series[si]}: ${tickText(v)}`)}</title></rect>`);
    });
    out.push(text(gx + (groupWidth * 0.8) / 2, plot.y0 + 16, g.label, 'font-size="11" text-anchor="middle"'));
  });
  out.push(text((plot.x0 + plot.x1) / 2, HEIGHT - 24, c.xLabel, 'font-size="12" text-anchor="middle"'));
  legend(c.series, out);
  return frame(c.title, c.subtitle, out);
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: readonly { name: string; points: readonly (readonly [number, number])[] }[];
  /** A vertical marker (e.g. a crossover), labelled. */
  markX?: { x: number; label: string };
}

export function lineChartSvg(c: LineChart): string {
  const out: string[] = [];
  const pts = c.series.flatMap((s) => s.points);
  const { top, step } = niceScale(Math.max(0, ...pts.map((p) => p[1])));
  const y = yAxis(top, step, c.yLabel, out);
  const xs = pts.map((p) => p[0]).concat(c.markX ? [c.markX.x] : []);
  const xMin = Math.min(0, ...xs);
  const { top: xTop, step: xStep } = niceScale(Math.max(...xs));
  const x = (v: number) => plot.x0 + ((plot.x1 - plot.x0) * (v - xMin)) / (xTop - xMin);
  for (let v = xMin; v <= xTop + xStep / 2; v += xStep) {
    out.push(`<line x1="${num(x(v))}" y1="${plot.y0}" x2="${num(x(v))}" y2="${plot.y0 + 4}" stroke="#000000"/>`);
    out.push(text(x(v), plot.y0 + 16, tickText(v), 'font-size="11" text-anchor="middle"'));
  }
  out.push(text((plot.x0 + plot.x1) / 2, HEIGHT - 24, c.xLabel, 'font-size="12" text-anchor="middle"'));
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${num(x(p[0]))},${num(y(p[1]))}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) out.push(`<circle cx="${num(x(p[0]))}" cy="${num(y(p[1]))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}, ${num(p[0])}: ${tickText(p[1])}`)}</title></circle>`);
  });
  if (c.markX) {
    const mx = x(c.markX.x);
    out.push(`<line x1="${num(mx)}" y1="${plot.y0}" x2="${num(mx)}" y2="${plot.y1}" stroke="#aa3344" stroke-dasharray="5,4"/>`);
    out.push(text(mx + 4, plot.y1 + 12, c.markX.label, 'font-size="11" fill="#aa3344"'));
  }
  legend(c.series.map((s) => s.name), out);
  return frame(c.title, c.subtitle, out);
}
