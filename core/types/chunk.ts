import { z } from 'zod';
import { Category, Platform } from './category.ts';

/** The payload every stored vector carries, so search results need no join to be useful. */
export const ChunkPayload = z.object({
  authorId: z.string(),
  platform: Platform,
  category: Category,
  documentId: z.string(),
  url: z.string(),
  title: z.string(),
  publishedAt: z.string().nullable(),
  chunkIndex: z.number().int().nonnegative(),
  featureSetId: z.string(),
  text: z.string(),
});
export type ChunkPayload = z.infer<typeof ChunkPayload>;

/** A piece of a cleaned document sized for the embedder; `id` is deterministic. */
export const Chunk = ChunkPayload.extend({
  id: z.string().uuid(),
  tokenCount: z.number().int().nonnegative(),
});
export type Chunk = z.infer<typeof Chunk>;
