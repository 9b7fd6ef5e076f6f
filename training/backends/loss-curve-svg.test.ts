import { describe, expect, it } from 'vitest';
import type { LossPoint } from '../../core/types/model-version.ts';
import { renderLossCurveSvg } from './loss-curve-svg.ts';

const curve: LossPoint[] = [
  { step: 0, trainLoss: 6.9, validationLoss: 6.95 },
  { step: 50, trainLoss: 4.2, validationLoss: 4.6 },
  { step: 100, trainLoss: 3.1, validationLoss: 3.9 },
  { step: 150, trainLoss: 2.4, validationLoss: null },
];

describe('renderLossCurveSvg', () => {
  const svg = renderLossCurveSvg(curve, { title: 'twin · local · <ds_1 & "a">' });

  it('is a standalone SVG document with both series', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/<script|href=|@import|url\(/);
    const polylines = svg.match(/<polyline [^>]*points="([^"]+)"/g) ?? [];
    expect(polylines).toHaveLength(2);
    // Train has 4 points, validation 3 (the null is skipped) with a dot each.
    expect((polylines[0]?.match(/points="([^"]+)"/)?.[1] ?? '').split(' ')).toHaveLength(4);
    expect((polylines[1]?.match(/points="([^"]+)"/)?.[1] ?? '').split(' ')).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(3);
  });

  it('has axes with tick labels, axis titles, a legend and an escaped title', () => {
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('>train loss</text>');
    expect(svg).toContain('>validation loss</text>');
    expect(svg).toContain('twin · local · &#60;ds_1 &#38; &#34;a&#34;&#62;');
    for (const tick of ['0', '50', '100', '150']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toMatch(/>[3-6]<\/text>/);
  });

  it('draws lower losses lower on the page', () => {
    const points = (svg.match(/<polyline [^>]*points="([^"]+)"/)?.[1] ?? '')
      .split(' ')
      .map((pair) => pair.split(',').map(Number));
    const ys = points.map((pair) => pair[1] as number);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
  });

  it('copes with a single point and with no points', () => {
    expect(renderLossCurveSvg([{ step: 0, trainLoss: 2, validationLoss: null }])).toContain('<polyline');
    expect(renderLossCurveSvg([])).toContain('no loss recorded');
  });
});
