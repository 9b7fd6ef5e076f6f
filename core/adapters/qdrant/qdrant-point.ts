import { ValidationError } from '../../errors.ts';
import type { VectorPoint } from '../../ports/vector-store.ts';
import { ChunkPayload } from '../../types/chunk.ts';
import { type QdrantPointId, storedPointId } from './qdrant-point-id.ts';
import { documentSparseVector, type SparseVector } from './sparse-terms.ts';

/** Names of the two vectors every point carries. */
export const denseVectorName = 'dense';
export const keywordVectorName = 'keywords';

export type QdrantPoint = {
  id: QdrantPointId;
  vector: { [denseVectorName]: number[]; [keywordVectorName]?: SparseVector };
  payload: ChunkPayload;
};

/**
 * A point as Qdrant stores it: the dense vector, the keyword vector of its text and title, and
 * the checked payload. Throws a ValidationError for whatever Qdrant would refuse (an id that is
 * neither an integer nor a UUID, a wrong size, a non-finite value, a bad keyword vector) or a bad
 * payload, so a batch can be checked whole before anything is sent.
 */
export function toQdrantPoint(point: VectorPoint, dimensions: number): QdrantPoint {
  const id = storedPointId(point.id);
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
  const problem = sparseVectorProblem(keywords);
  if (problem)
    throw new ValidationError(`point ${point.id} has a keyword vector Qdrant would refuse: ${problem}`);
  return {
    id,
    vector: {
      [denseVectorName]: Array.from(point.vector),
      // A chunk without words has no keyword vector; Qdrant allows a point to lack a named vector.
      ...(keywords.indices.length > 0 ? { [keywordVectorName]: keywords } : {}),
    },
    payload: parsed.data,
  };
}

const maxIndex = 2 ** 32 - 1;

/** What Qdrant checks in a sparse vector (uint32 indices, each once, one value per index), or null. */
export function sparseVectorProblem({ indices, values }: SparseVector): string | null {
  if (indices.length !== values.length) {
    return `${indices.length} indices but ${values.length} values`;
  }
  const bad = indices.find((index) => !Number.isInteger(index) || index < 0 || index > maxIndex);
  if (bad !== undefined) return `index ${bad} is not an unsigned 32-bit integer`;
  if (new Set(indices).size !== indices.length) return 'an index appears more than once';
  if (!values.every(Number.isFinite)) return 'a value is not finite';
  return null;
}
