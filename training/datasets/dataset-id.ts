import { canonicalJson, sha256 } from '../../core/hashing.ts';
import type { DatasetRecipe, DatasetSplits } from '../../core/types/dataset.ts';

/**
 * The content address of a dataset: a hash of how it was made and exactly what it holds. Neither
 * the time it was made nor its usage counters take part, so rebuilding the same inputs gives the
 * same id, and any changed example gives a new one.
 */
export function datasetId(recipe: DatasetRecipe, splits: DatasetSplits<unknown>): string {
  return `ds_${sha256(canonicalJson({ recipe, train: splits.train, test: splits.test })).slice(0, 12)}`;
}

/** Where a dataset's examples live in the artifact store. */
export function datasetArtifactKey(id: string): string {
  return `datasets/${id}.json`;
}
