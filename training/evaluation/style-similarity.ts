import { cleanQuery } from '../../core/features/clean-text.ts';
import { assertEmbedderMatches, embedTexts } from '../../core/features/embed-texts.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';

export type StylePair = { generated: string; reference: string };

/**
 * How close generated answers sit to the author's answers in the embedding space of the feature
 * set the model was trained against: the cosine similarity of each pair and their mean. Both
 * sides are cleaned as queries are, and embedded by the feature set's own embedder (checked
 * first), so the score means the same thing as retrieval similarity at inference time. A pair
 * whose generated answer is empty after cleaning scores 0.
 */
export async function styleSimilarity(
  pairs: readonly StylePair[],
  embedder: Embedder,
  featureSet: FeatureSet,
): Promise<{ mean: number; scores: number[] }> {
  assertEmbedderMatches(featureSet, embedder);
  const cleaned = pairs.map((pair) => ({
    generated: cleanQuery(pair.generated),
    reference: cleanQuery(pair.reference),
  }));
  const embeddable = cleaned.filter((pair) => pair.generated && pair.reference);
  const vectors = await embedTexts(
    embedder,
    embeddable.flatMap((pair) => [pair.generated, pair.reference]),
  );
  let next = 0;
  const scores = cleaned.map((pair) => {
    if (!pair.generated || !pair.reference) return 0;
    const generated = vectors[next++] as Float32Array;
    const reference = vectors[next++] as Float32Array;
    return cosineSimilarity(generated, reference);
  });
  const mean = scores.length === 0 ? 0 : scores.reduce((sum, value) => sum + value, 0) / scores.length;
  return { mean, scores };
}

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
