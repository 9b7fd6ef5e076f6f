import { z } from 'zod';
import { ChunkPayload } from '../../types/chunk.ts';

/**
 * Minimal schemas of the Qdrant results this adapter reads (the `result` of the REST envelope
 * `{ result, status, time }`, which the client unwraps). Only the fields used are checked.
 */

/**
 * A point id as Qdrant answers it: a UUID string, or an integer that another tool may have written.
 * An integer above 2^53 − 1 is refused rather than misread: Node 20 parses it rounded (the client
 * makes it a BigInt where JSON.rawJSON exists, Node 21 on, and this store could not send it back).
 */
const PointIdValue = z
  .union([z.string(), z.number().int().nonnegative(), z.bigint()])
  .refine(
    (id) => typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)),
    'an integer point id above 2^53 − 1 cannot be read exactly',
  )
  .transform((id) => id as string | number);
/** Our ids are strings; `toQdrantPointId` turns an integer one back into a number. */
const PointId = PointIdValue.transform(String);

const DenseVectorParams = z.object({
  size: z.number().int().positive(),
  distance: z.string(),
  datatype: z.string().nullish(),
  multivector_config: z.unknown().nullish(),
});
export type DenseVectorParams = z.infer<typeof DenseVectorParams>;

export const CollectionInfo = z.object({
  config: z.object({
    params: z.object({
      vectors: z.union([DenseVectorParams, z.record(z.string(), DenseVectorParams)]).optional(),
      sparse_vectors: z.record(z.string(), z.object({ modifier: z.string().nullish() })).nullish(),
    }),
  }),
  payload_schema: z.record(z.string(), z.object({ data_type: z.string() })).optional(),
});
export type CollectionInfo = z.infer<typeof CollectionInfo>;

export const ScoredPoints = z.object({
  points: z.array(z.object({ id: PointId, score: z.number(), payload: ChunkPayload })),
});

export const CountResult = z.object({ count: z.number().int().nonnegative() });

/** Whether a collection was deleted: false when it did not exist. */
export const DropResult = z.boolean();

export const ScrollPage = z.object({
  points: z.array(z.object({ id: PointId, payload: z.object({ chunkIndex: z.number() }) })),
  next_page_offset: PointIdValue.nullish(),
});

export const RetrievedVectors = z.array(
  z.object({ id: PointId, vector: z.record(z.string(), z.unknown()).nullish() }),
);

export const AliasList = z.object({
  aliases: z.array(z.object({ alias_name: z.string(), collection_name: z.string() })),
});

/** Qdrant's error body: `{ "status": { "error": "..." }, "time": 0.0 }`. */
export const ErrorBody = z.object({ status: z.object({ error: z.string() }) });
