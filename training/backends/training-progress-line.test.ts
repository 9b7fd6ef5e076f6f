import { describe, expect, it } from 'vitest';
import { trainingProgressLine } from './training-progress-line.ts';

describe('trainingProgressLine', () => {
  it('shows the step, the losses to a thousandth and the rate', () => {
    expect(
      trainingProgressLine(12, 60, { trainLoss: 2.34567, validationLoss: 2.4101, tokensPerSecond: 31.24 }),
    ).toBe('step 12/60 · loss 2.346 · val 2.410 · 31.2 tok/s');
  });

  it('leaves out a validation loss not measured yet', () => {
    expect(trainingProgressLine(3, 6, { trainLoss: 1, validationLoss: null, tokensPerSecond: 0 })).toBe(
      'step 3/6 · loss 1.000 · 0.0 tok/s',
    );
  });
});
