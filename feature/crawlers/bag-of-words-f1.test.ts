import { describe, expect, it } from 'vitest';
import { bagOfWordsF1, wordCounts, wordTokens } from './bag-of-words-f1.ts';

describe('bagOfWordsF1', () => {
  it('ignores order, case and punctuation', () => {
    expect(bagOfWordsF1('The cat sat.', 'sat, THE CAT')).toBe(1);
    expect(bagOfWordsF1('Über café', 'über CAFÉ')).toBe(1);
  });

  it('weighs precision and recall over word counts', () => {
    // Candidate "the cat" against "the cat sat on the mat": overlap 2, P = 2/2, R = 2/6,
    // F1 = 2·1·(1/3) / (1 + 1/3) = 1/2.
    expect(bagOfWordsF1('the cat', 'the cat sat on the mat')).toBeCloseTo(0.5, 10);
    // Repeats count once per occurrence: "the the the" shares two "the" with the reference,
    // P = 2/3, R = 2/6, F1 = 2·(2/3)·(1/3) / (2/3 + 1/3) = 4/9.
    expect(bagOfWordsF1('the the the', 'the cat sat on the mat')).toBeCloseTo(4 / 9, 10);
  });

  it('is 1 when neither text has a word and 0 when only one has or nothing is shared', () => {
    expect(bagOfWordsF1('', '...')).toBe(1);
    expect(bagOfWordsF1('', 'the cat')).toBe(0);
    expect(bagOfWordsF1('the cat', '')).toBe(0);
    expect(bagOfWordsF1('apples and pears', 'dogs bark loudly')).toBe(0);
  });

  it('splits words on anything but letters and digits', () => {
    expect(wordTokens("Don't panic: x^{2} is 42!")).toEqual(['don', 't', 'panic', 'x', '2', 'is', '42']);
    expect(wordCounts('a b a')).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
  });
});
