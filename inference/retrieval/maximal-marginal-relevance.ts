import { ValidationError } from '../../core/errors.ts';

export type MmrCandidate = { id: string; relevance: number; vector: Float32Array };

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks `k` candidates one at a time,
 * each maximising `lambda · relevance − (1 − lambda) · (highest cosine similarity to a pick so far)`.
 * lambda = 1 is plain relevance order; lower values trade relevance for diversity, so five chunks
 * of one paragraph's neighbourhood do not crowd out a second source. Relevance is rescaled to
 * [0, 1] over the candidates first, so it is on the same scale as the similarities.
 * Returns ids in pick order.
 */
export function maximalMarginalRelevance(
  candidates: readonly MmrCandidate[],
  options: { k: number; lambda: number },
): string[] {
  const { k, lambda } = options;
  if (!(lambda >= 0 && lambda <= 1)) throw new ValidationError(`MMR lambda must be in [0, 1], got ${lambda}`);
  const relevances = candidates.map((candidate) => candidate.relevance);
  const low = Math.min(...relevances);
  const spread = Math.max(...relevances) - low;
  const relevance = relevances.map((value) => (spread > 0 ? (value - low) / spread : 1));

  const remaining = candidates.map((_, index) => index);
  // The highest similarity of each remaining candidate to anything picked so far.
  const closest = new Float64Array(candidates.length).fill(Number.NEGATIVE_INFINITY);
  const picked: string[] = [];
  while (picked.length < k && remaining.length > 0) {
    let bestPosition = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    remaining.forEach((candidate, position) => {
      const penalty = picked.length === 0 ? 0 : (closest[candidate] ?? 0);
      const score = lambda * (relevance[candidate] ?? 0) - (1 - lambda) * penalty;
      if (score > bestScore) {
        bestScore = score;
        bestPosition = position;
      }
    });
    const [chosen] = remaining.splice(bestPosition, 1);
    if (chosen === undefined) break;
    const chosenCandidate = candidates[chosen] as MmrCandidate;
    picked.push(chosenCandidate.id);
    for (const candidate of remaining) {
      const similarity = cosineSimilarity(
        chosenCandidate.vector,
        (candidates[candidate] as MmrCandidate).vector,
      );
      if (similarity > (closest[candidate] ?? Number.NEGATIVE_INFINITY)) closest[candidate] = similarity;
    }
  }
  return picked;
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new ValidationError(`vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] ?? 0;
    const y = b[index] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
