// The benchmark's SVG writer (emulator/bench/svg.ts): its charts are well-formed XML with a
// title, axes with labels, and one mark per data point carrying that point's value.

import { describe, expect, it } from 'vitest';
import { barChartSvg, escapeXml, lineChartSvg, niceScale } from '../../emulator/charts/svg.js';

/** Whether `xml` is well-formed enough for an SVG viewer: one root, every tag closed in order, attributes quoted, no bare & or <. */
function wellFormed(xml: string): string | undefined {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const TOKEN = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot);)/g;
  for (const m of body.matchAll(TOKEN)) {
    if (m[2] === undefined) return `bare ${m[0]} at ${m.index}`;
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element at ${m.index}`;
    } else {
      if (stack.length === 0) roots++;
      if (!self) stack.push(name!);
    }
  }
  if (stack.length > 0) return `unclosed ${stack.join(', ')}`;
  return roots === 1 ? undefined : `${roots} roots`;
}

describe('bench SVG writer', () => {
  const bars = barChartSvg({
    title: 'Goodput <per> topology & clients', subtitle: 'n/a: monolithic', yLabel: 'goodput, emulated Mbit/s', xLabel: 'clients',
    series: ['factored', 'monolithic'],
    groups: [{ label: '1 client', values: [94.8, null] }, { label: '4 clients', values: [94.6, 91.25] }],
  });

  it('a grouped bar chart: well-formed, titled, axes labelled, a bar per value with the value, n/a for none', () => {
    expect(wellFormed(bars)).toBeUndefined();
    expect(bars).toMatch(/^<\?xml version="1.0"/);
    expect(bars).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(bars).toContain('<title>Goodput &lt;per&gt; topology &amp; clients</title>');
    expect(bars).toContain('goodput, emulated Mbit/s');
    expect(bars).toContain('>clients</text>');
    const values = [...bars.matchAll(/<rect [^>]*><title>([^<]*)<\/title><\/rect>/g)].map((m) => m[1]);
    expect(values).toEqual(['1 client, factored: 94.8', '4 clients, factored: 94.6', '4 clients, monolithic: 91.3']);
    expect(bars.match(/>n\/a</g)).toHaveLength(1);
    // The tallest bar reaches the top of a round axis: 100 Mbit/s for 94.8.
    expect(bars).toContain('>100</text>');
  });

  it('a line chart: well-formed, one point per value, the marker labelled', () => {
    const svg = lineChartSvg({
      title: 'cycles per frame', xLabel: 'frame size, bytes', yLabel: 'driver cycles per frame',
      series: [{ name: 'copy', points: [[64, 4541], [1514, 7975]] }, { name: 'flip', points: [[64, 5306], [1514, 5648]] }],
      markX: { x: 451, label: 'crossover 451 B' },
    });
    expect(wellFormed(svg)).toBeUndefined();
    const points = [...svg.matchAll(/<circle [^>]*><title>([^<]*)<\/title><\/circle>/g)].map((m) => m[1]);
    expect(points).toEqual(['copy, 64: 4,541', 'copy, 1514: 7,975', 'flip, 64: 5,306', 'flip, 1514: 5,648']);
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(svg).toContain('crossover 451 B');
    expect(svg).toContain('frame size, bytes');
  });

  it('the checker and the helpers catch what they should', () => {
    expect(wellFormed('<svg><g></svg>')).toBeDefined();
    expect(wellFormed('<svg>a & b</svg>')).toBeDefined();
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
    expect(niceScale(94.8)).toEqual({ top: 100, step: 20 });
    expect(niceScale(7975)).toEqual({ top: 8000, step: 2000 });
  });
});
