import { ValidationError } from '../errors.ts';
import type { Embedder } from '../ports/embedder.ts';
import type { FeatureSet } from '../types/feature-set.ts';
import { cleanQuery } from './clean-text.ts';

/** Embeds any number of texts in batches of the embedder's `maxBatchSize`. */
export async function embedTexts(embedder: Embedder, texts: readonly string[]): Promise<Float32Array[]> {
  const batches: Promise<Float32Array[]>[] = [];
  for (let start = 0; start < texts.length; start += embedder.maxBatchSize) {
    batches.push(embedder.embed(texts.slice(start, start + embedder.maxBatchSize)));
  }
  // Batches are started together so a pooled embedder can spread them over its workers.
  return (await Promise.all(batches)).flat();
}

/**
 * The skew guard: a feature set can only be queried with the embedder that built it. Features and
 * queries then share the cleaning code and the embedder, so the same text gets the same vector.
 */
export function assertEmbedderMatches(
  featureSet: FeatureSet,
  embedder: Pick<Embedder, 'id' | 'dimensions'>,
): void {
  const expected = featureSet.spec.embedder;
  if (expected.id !== embedder.id || expected.dimensions !== embedder.dimensions) {
    throw new ValidationError(
      `feature set ${featureSet.id} was built with embedder ${expected.id} (${expected.dimensions}-d), ` +
        `but ${embedder.id} (${embedder.dimensions}-d) is configured; configure the same embedder or build a new feature set`,
    );
  }
}

/** Cleans and embeds a query exactly as the feature pipeline cleans and embeds documents. */
export async function embedQuery(
  query: string,
  embedder: Embedder,
  featureSet: FeatureSet,
): Promise<Float32Array> {
  assertEmbedderMatches(featureSet, embedder);
  const cleaned = cleanQuery(query);
  if (!cleaned) throw new ValidationError('the query is empty after cleaning');
  const [vector] = await embedder.embed([cleaned]);
  if (!vector) throw new ValidationError('the embedder returned no vector for the query');
  return vector;
}
