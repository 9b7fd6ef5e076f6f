import { ValidationError } from '../../errors.ts';
import type { QdrantPoint } from './qdrant-point.ts';

/** Qdrant's default `service.max_request_size_mb` (32), in bytes: it refuses a bigger body with a 400. */
export const defaultMaxRequestBytes = 32 * 1024 * 1024;

/** The upsert body around its points, `{"points":[` and `]}`, as the client writes it. */
const envelopeBytes = Buffer.byteLength(JSON.stringify({ points: [] }));

/**
 * Splits points into upsert requests of at most `maxPoints` points and `maxBytes` bytes of JSON
 * body, measured exactly as the client serialises it, so no request is refused for its size.
 * Throws a ValidationError, before anything is sent, for a point that would not fit on its own.
 */
export function upsertBatches(
  points: readonly QdrantPoint[],
  limits: { maxPoints: number; maxBytes: number },
): QdrantPoint[][] {
  const batches: QdrantPoint[][] = [];
  let batch: QdrantPoint[] = [];
  let bytes = envelopeBytes;
  for (const point of points) {
    const size = Buffer.byteLength(JSON.stringify(point));
    if (envelopeBytes + size > limits.maxBytes) {
      throw new ValidationError(
        `point ${point.id} takes ${envelopeBytes + size} bytes of JSON in an upsert request, more than the ${limits.maxBytes} Qdrant accepts`,
      );
    }
    // Points after the first are preceded by a comma.
    const added = batch.length === 0 ? size : size + 1;
    if (batch.length === limits.maxPoints || bytes + added > limits.maxBytes) {
      batches.push(batch);
      batch = [];
      bytes = envelopeBytes;
    }
    bytes += batch.length === 0 ? size : size + 1;
    batch.push(point);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
