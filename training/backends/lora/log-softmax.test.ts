import { describe, expect, it } from 'vitest';
import { logSoftmax } from './log-softmax.ts';

describe('logSoftmax', () => {
  it('gives log-probabilities: logits 0 and ln 3 are probabilities 1/4 and 3/4', () => {
    const [first, second] = logSoftmax([0, Math.log(3)]);
    expect(first).toBeCloseTo(Math.log(1 / 4), 14);
    expect(second).toBeCloseTo(Math.log(3 / 4), 14);
  });

  it('does not overflow on large logits', () => {
    const [first, second] = logSoftmax(Float32Array.from([1000, 1000]));
    expect(first).toBeCloseTo(-Math.LN2, 12);
    expect(second).toBeCloseTo(-Math.LN2, 12);
  });
});
