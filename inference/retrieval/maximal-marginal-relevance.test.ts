import { describe, expect, it } from 'vitest';
import { cosineSimilarity, maximalMarginalRelevance } from './maximal-marginal-relevance.ts';

const vector = (...values: number[]) => Float32Array.from(values);

// Two near-duplicates of one passage and one different passage that is a little less relevant.
const candidates = [
  { id: 'best', relevance: 1.0, vector: vector(1, 0, 0) },
  { id: 'near-copy', relevance: 0.95, vector: vector(0.99, 0.14, 0) },
  { id: 'different', relevance: 0.8, vector: vector(0, 0, 1) },
  { id: 'weak', relevance: 0.1, vector: vector(0, 1, 0) },
];

describe('maximalMarginalRelevance', () => {
  it('with lambda 1 is the relevance order', () => {
    expect(maximalMarginalRelevance(candidates, { k: 4, lambda: 1 })).toEqual([
      'best',
      'near-copy',
      'different',
      'weak',
    ]);
  });

  it('with a lower lambda prefers a different passage over a near-copy of one already picked', () => {
    expect(maximalMarginalRelevance(candidates, { k: 2, lambda: 0.7 })).toEqual(['best', 'different']);
    // Diversity never overrides relevance entirely: the weak candidate still comes last.
    expect(maximalMarginalRelevance(candidates, { k: 4, lambda: 0.7 }).at(-1)).toBe('weak');
  });

  it('with lambda 0 picks the candidate least like the picks so far', () => {
    // The first pick has no penalty yet, so all are tied at 0 and the first candidate wins.
    expect(maximalMarginalRelevance(candidates, { k: 3, lambda: 0 })).toEqual(['best', 'different', 'weak']);
  });

  it('returns at most k ids, and no more than there are candidates', () => {
    expect(maximalMarginalRelevance(candidates, { k: 1, lambda: 0.5 })).toEqual(['best']);
    expect(maximalMarginalRelevance(candidates, { k: 10, lambda: 0.5 })).toHaveLength(4);
    expect(maximalMarginalRelevance([], { k: 3, lambda: 0.5 })).toEqual([]);
  });

  it('rescales relevance, so raw RRF scores (around 0.03) still compete with similarities', () => {
    const rrfScaled = candidates.map((candidate) => ({ ...candidate, relevance: candidate.relevance / 30 }));
    expect(maximalMarginalRelevance(rrfScaled, { k: 2, lambda: 0.7 })).toEqual(['best', 'different']);
  });

  it('rejects lambda outside [0, 1]', () => {
    expect(() => maximalMarginalRelevance(candidates, { k: 2, lambda: 1.5 })).toThrow(/lambda/);
  });
});

describe('cosineSimilarity', () => {
  it('is 1 for the same direction, 0 for orthogonal, -1 for opposite, 0 for a zero vector', () => {
    expect(cosineSimilarity(vector(1, 2), vector(2, 4))).toBeCloseTo(1, 6);
    expect(cosineSimilarity(vector(1, 0), vector(0, 3))).toBe(0);
    expect(cosineSimilarity(vector(1, 1), vector(-1, -1))).toBeCloseTo(-1, 6);
    expect(cosineSimilarity(vector(0, 0), vector(1, 0))).toBe(0);
    expect(() => cosineSimilarity(vector(1), vector(1, 2))).toThrow(/dimensions/);
  });
});
