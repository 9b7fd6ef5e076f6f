import { describe, expect, it } from 'vitest';
import { longestCommonSubsequence, rougeL, rougeTokens } from './rouge-l.ts';

describe('rougeL', () => {
  it('matches the worked examples of Lin (2004)', () => {
    // LCS "police the gunman" (3 of 4 words each way): P = R = 3/4.
    expect(rougeL('police kill the gunman', 'police killed the gunman')).toBeCloseTo(0.75, 10);
    // LCS "the gunman" only: P = R = 2/4.
    expect(rougeL('the gunman kill police', 'police killed the gunman')).toBeCloseTo(0.5, 10);
  });

  it('weighs precision and recall: a shorter candidate that is a subsequence', () => {
    // LCS 5, P = 5/5, R = 5/6, F1 = 2·1·(5/6) / (1 + 5/6) = 10/11.
    expect(rougeL('the cat on the mat', 'the cat sat on the mat')).toBeCloseTo(10 / 11, 10);
    expect(rougeL('the cat sat on the mat', 'the cat on the mat')).toBeCloseTo(10 / 11, 10);
  });

  it('is 1 for the same words whatever the case and punctuation, 0 with nothing in common or nothing at all', () => {
    expect(rougeL('The Cat, sat!', 'the cat sat')).toBe(1);
    expect(rougeL('Über café 2024', 'über CAFÉ 2024')).toBe(1);
    expect(rougeL('apples and pears', 'dogs bark loudly')).toBe(0);
    expect(rougeL('', 'the cat')).toBe(0);
    expect(rougeL('the cat', '...')).toBe(0);
  });

  it('tokenises into lower-cased words', () => {
    expect(rougeTokens("Don't panic: it's 42!")).toEqual(['don', 't', 'panic', 'it', 's', '42']);
  });

  it('finds the longest common subsequence', () => {
    // The textbook example (CLRS): ABCBDAB and BDCABA share BCBA.
    expect(longestCommonSubsequence([...'ABCBDAB'], [...'BDCABA'])).toBe(4);
    expect(longestCommonSubsequence([], ['a'])).toBe(0);
  });
});
