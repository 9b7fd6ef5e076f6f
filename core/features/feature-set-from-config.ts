import { canonicalJson, sha256 } from '../hashing.ts';
import type { Embedder } from '../ports/embedder.ts';
import type { FeatureSet, FeatureSetSpec } from '../types/feature-set.ts';
import { textProcessingVersion } from './clean-text.ts';

/** The feature set id: a hash of everything that shapes a feature (see DESIGN.md). */
export function featureSetId(spec: FeatureSetSpec): string {
  return `fs_${sha256(canonicalJson(spec)).slice(0, 12)}`;
}

/** The feature set that the current code, chunking settings and embedder produce. */
export function featureSetFromConfig(
  chunking: FeatureSetSpec['chunking'],
  embedder: Pick<Embedder, 'id' | 'dimensions'>,
): FeatureSet {
  const spec: FeatureSetSpec = {
    cleanerVersion: textProcessingVersion,
    chunking,
    embedder: { id: embedder.id, dimensions: embedder.dimensions },
  };
  return { id: featureSetId(spec), spec, createdAt: new Date().toISOString() };
}
