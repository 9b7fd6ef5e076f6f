import { ValidationError } from '../../core/errors.ts';

/**
 * Reciprocal-rank fusion (Cormack et al., 2009): an item's score is the sum over the ranked lists
 * of 1 / (k + rank), rank counted from 1. Only ranks matter, so lists whose scores live on
 * different scales (cosine similarity, BM25) fuse without calibration; `k` (60 in the paper) damps
 * the advantage of the very top ranks. Best first; ties keep the order items were first seen.
 */
export function reciprocalRankFusion(
  lists: readonly (readonly string[])[],
  options: { k?: number } = {},
): { id: string; score: number }[] {
  const k = options.k ?? 60;
  if (!(k >= 0)) throw new ValidationError(`RRF k must be a non-negative number, got ${k}`);
  const scores = new Map<string, number>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach((id, index) => {
      // An id listed twice in one list counts once, at its best rank.
      if (seen.has(id)) return;
      seen.add(id);
      scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1));
    });
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
