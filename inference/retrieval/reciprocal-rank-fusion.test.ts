import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './reciprocal-rank-fusion.ts';

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists, best first', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    expect(fused.map((item) => item.id)).toEqual(['a', 'c', 'b']);
    expect(fused[0]?.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(fused[1]?.score).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused[2]?.score).toBeCloseTo(1 / 62, 12);
  });

  it('rewards agreement: second in both lists beats first in one', () => {
    const fused = reciprocalRankFusion([
      ['dense-only', 'both'],
      ['keyword-only', 'both'],
    ]);
    expect(fused[0]?.id).toBe('both');
  });

  it('k sets how much the top ranks dominate', () => {
    const lists = [['a', 'x', 'y', 'z', 'b'], ['b', 'p', 'q', 'r', 'a'], ['a']];
    // Small k: a's two top ranks win by far. Large k: ranks matter little, so appearing in lists matters most.
    const sharp = reciprocalRankFusion(lists, { k: 0 });
    expect(sharp[0]?.id).toBe('a');
    expect((sharp[0]?.score ?? 0) / (sharp[1]?.score ?? 1)).toBeGreaterThan(1.5);
    const flat = reciprocalRankFusion(lists, { k: 1000 });
    expect((flat[0]?.score ?? 0) / (flat.find((item) => item.id === 'b')?.score ?? 1)).toBeLessThan(1.6);
  });

  it('counts an id once per list, at its best rank, and keeps first-seen order on ties', () => {
    const fused = reciprocalRankFusion([['a', 'a', 'b'], ['b']]);
    expect(fused.find((item) => item.id === 'a')?.score).toBeCloseTo(1 / 61, 12);
    expect(reciprocalRankFusion([['x'], ['y']]).map((item) => item.id)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([])).toEqual([]);
  });

  it('rejects a negative k', () => {
    expect(() => reciprocalRankFusion([['a']], { k: -1 })).toThrow(/k must/);
  });
});
