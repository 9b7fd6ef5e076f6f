import { ValidationError } from '../../errors.ts';
import type { VectorPoint } from '../../ports/vector-store.ts';
import { ChunkPayload } from '../../types/chunk.ts';
import { documentSparseVector, type SparseVector } from './sparse-terms.ts';

/** Names of the two vectors every point carries. */
export const denseVectorName = 'dense';
export const keywordVectorName = 'keywords';

export type QdrantPoint = {
  id: string;
  vector: { [denseVectorName]: number[]; [keywordVectorName]?: SparseVector };
  payload: ChunkPayload;
};

/**
 * A point as Qdrant stores it: the dense vector, the keyword vector of its text and title, and
 * the checked payload. Throws a ValidationError for a wrong size, a non-finite value or a bad
 * payload, so a batch can be checked whole before anything is sent.
 */
export function toQdrantPoint(point: VectorPoint, dimensions: number): QdrantPoint {
  if (point.vector.length !== dimensions) {
    throw new ValidationError(
      `point ${point.id} has ${point.vector.length} dimensions, expected ${dimensions}`,
    );
  }
  if (!point.vector.every(Number.isFinite))
    throw new ValidationError(`point ${point.id} has a non-finite value`);
  const parsed = ChunkPayload.safeParse(point.payload);
  if (!parsed.success) {
    throw new ValidationError(`point ${point.id} has an invalid payload: ${parsed.error.message}`);
  }
  const keywords = documentSparseVector(parsed.data.text, parsed.data.title);
  return {
    id: point.id,
    vector: {
      [denseVectorName]: Array.from(point.vector),
      // A chunk without words has no keyword vector; Qdrant allows a point to lack a named vector.
      ...(keywords.indices.length > 0 ? { [keywordVectorName]: keywords } : {}),
    },
    payload: parsed.data,
  };
}
