import { describe, expect, it } from 'vitest';
import { lossSparkline, renderLossCurveAscii } from './loss-curve-ascii.ts';

describe('renderLossCurveAscii', () => {
  it('plots train and validation with a scale, the step range and the last values', () => {
    const plot = renderLossCurveAscii(
      [
        { step: 0, trainLoss: 6, validationLoss: 6 },
        { step: 100, trainLoss: 4, validationLoss: 4.5 },
        { step: 200, trainLoss: 2, validationLoss: 3 },
      ],
      { width: 21, height: 5 },
    );
    const lines = plot.split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^ *6\.\d+ ┤◆/);
    expect(lines[4]).toMatch(/┤ {20}•$/);
    expect(plot).toContain('└─────────────────────');
    expect(plot).toMatch(/step 0 +200/);
    expect(plot).toContain('• train 2.000   o validation 3.000');
    // Every plot row has the same width.
    expect(new Set(lines.slice(0, 5).map((line) => line.length)).size).toBe(1);
  });

  it('says so when there is nothing to plot', () => {
    expect(renderLossCurveAscii([])).toBe('no loss recorded');
  });
});

describe('lossSparkline', () => {
  it('maps the range onto eight block heights', () => {
    expect(lossSparkline([8, 6, 4, 2, Number.NaN, 1])).toMatch(/^█.{3} ▁$/u);
    expect(lossSparkline([])).toBe('');
  });
});
