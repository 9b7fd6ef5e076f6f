import { describe, expect, it } from 'vitest';
import { perplexity } from './perplexity.ts';

describe('perplexity', () => {
  it('is exp of the mean negative log-probability per token', () => {
    // log p of −1, −2 and −3: mean −2, so e².
    expect(perplexity([-1, -2, -3])).toBeCloseTo(Math.exp(2), 12);
    // A model certain of every token is not perplexed at all.
    expect(perplexity([0, 0])).toBe(1);
    // Four equally likely choices per token: perplexity 4.
    expect(perplexity([Math.log(0.25), Math.log(0.25), Math.log(0.25)])).toBeCloseTo(4, 12);
  });

  it('weighs tokens, not answers, over a set of answers', () => {
    // One answer of one token at log p −4, one of three tokens at 0: mean −1 per token.
    expect(perplexity([-4, 0, 0, 0])).toBeCloseTo(Math.E, 12);
  });

  it('is NaN when nothing was scored', () => {
    expect(perplexity([])).toBeNaN();
  });
});
