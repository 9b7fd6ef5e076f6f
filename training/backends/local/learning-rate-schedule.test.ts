import { describe, expect, it } from 'vitest';
import { learningRateAt } from './learning-rate-schedule.ts';

describe('learningRateAt', () => {
  const base = { peak: 0.01, steps: 100, warmupSteps: 10, minRatio: 0.1 } as const;

  it('warms up linearly, peaks after warmup and decays to the floor at the last step', () => {
    for (const schedule of ['cosine', 'linear'] as const) {
      const rates = Array.from({ length: 100 }, (_, step) => learningRateAt(step, { ...base, schedule }));
      expect(rates[0]).toBeCloseTo(0.01 / 11, 8);
      expect(rates.slice(0, 10)).toEqual([...rates.slice(0, 10)].sort((a, b) => a - b));
      expect(rates[10]).toBeCloseTo(0.01, 8);
      expect(rates[99]).toBeCloseTo(0.001, 8);
      expect(rates.slice(10)).toEqual([...rates.slice(10)].sort((a, b) => b - a));
    }
    expect(learningRateAt(50, { ...base, schedule: 'constant' })).toBe(0.01);
  });
});
