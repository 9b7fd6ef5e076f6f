import { z } from 'zod';

/** How one category is split into chunks. Sizes are in embedder tokens (approximated, see `countTokens`). */
export const ChunkingSpec = z.object({
  chunkSize: z.number().int().min(16).max(8192),
  chunkOverlap: z.number().int().min(0),
  /** Separators tried in order, coarsest first. */
  strategy: z.enum(['prose', 'code']),
});
export type ChunkingSpec = z.infer<typeof ChunkingSpec>;

/** Everything that shapes a feature. Its hash is the feature set id. */
export const FeatureSetSpec = z.object({
  cleanerVersion: z.string().min(1),
  chunking: z.object({ article: ChunkingSpec, post: ChunkingSpec, repository: ChunkingSpec }),
  embedder: z.object({ id: z.string().min(1), dimensions: z.number().int().positive() }),
});
export type FeatureSetSpec = z.infer<typeof FeatureSetSpec>;

/** A registered, immutable feature set. */
export const FeatureSet = z.object({
  id: z.string().regex(/^fs_[0-9a-f]{12}$/),
  spec: FeatureSetSpec,
  createdAt: z.string(),
});
export type FeatureSet = z.infer<typeof FeatureSet>;

/** Per feature set statistics shown by `twin features list`. */
export type FeatureSetStats = FeatureSet & { documents: number; chunks: number; updatedAt: string | null };
