import { payloadKeys } from './qdrant-filter.ts';
import { denseVectorName, keywordVectorName } from './qdrant-point.ts';
import type { CollectionInfo, DenseVectorParams } from './qdrant-responses.ts';

/** The dense vector this store searches, or null when the collection has none by that name. */
export function denseVector(info: CollectionInfo): DenseVectorParams | null {
  const vectors = info.config.params.vectors;
  if (!vectors || 'size' in vectors) return null;
  return vectors[denseVectorName] ?? null;
}

/**
 * How a collection differs from the ones this store creates, one phrase per difference; empty
 * when it matches. Each setting changes scores or filters without an error: another distance or
 * datatype scores differently, no IDF modifier turns BM25 into plain term frequency, a payload
 * index of another type matches differently. A missing payload index is not listed: the store
 * creates it.
 */
export function collectionMismatches(info: CollectionInfo, expectedSize: number | null): string[] {
  const mismatches: string[] = [];
  const vectors = info.config.params.vectors;
  const dense = denseVector(info);
  if (!dense) {
    if (vectors && 'size' in vectors) {
      mismatches.push(`its dense vector has no name, this store names it "${denseVectorName}"`);
    } else {
      const names = Object.keys(vectors ?? {}).map((name) => `"${name}"`);
      const has = names.length > 0 ? names.join(', ') : 'none';
      mismatches.push(`it has no dense vector named "${denseVectorName}" (it has ${has})`);
    }
  } else {
    if (expectedSize !== null && dense.size !== expectedSize) {
      mismatches.push(
        `"${denseVectorName}" has ${dense.size} dimensions, the feature set says ${expectedSize}`,
      );
    }
    if (dense.distance !== 'Cosine') {
      mismatches.push(`"${denseVectorName}" uses ${dense.distance} distance, this store uses Cosine`);
    }
    if (dense.datatype && dense.datatype !== 'float32') {
      mismatches.push(`"${denseVectorName}" stores ${dense.datatype} values, this store stores float32`);
    }
    if (dense.multivector_config) {
      mismatches.push(`"${denseVectorName}" is a multivector, this store keeps one vector per point`);
    }
  }
  const keywords = info.config.params.sparse_vectors?.[keywordVectorName];
  if (!keywords) {
    mismatches.push(`it has no sparse vector named "${keywordVectorName}"`);
  } else if (keywords.modifier !== 'idf') {
    mismatches.push(
      `sparse vector "${keywordVectorName}" has modifier ${keywords.modifier ?? 'none'}, BM25 scores need modifier idf`,
    );
  }
  for (const key of payloadKeys) {
    const index = info.payload_schema?.[key];
    if (index && index.data_type !== 'keyword') {
      mismatches.push(`payload index "${key}" is ${index.data_type}, this store filters it as keyword`);
    }
  }
  return mismatches;
}
