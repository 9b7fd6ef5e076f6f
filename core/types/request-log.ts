import { z } from 'zod';

/** One served request, kept for monitoring and for sampling evaluation sets. */
export const RequestLog = z.object({
  id: z.string().min(1),
  at: z.string(),
  route: z.string(),
  status: z.number().int(),
  /** The version that answered (`twin:3`), or null for retrieval-only requests without one. */
  model: z.string().nullable(),
  featureSetId: z.string().nullable(),
  question: z.string(),
  filters: z.record(z.string(), z.unknown()),
  retrieved: z.array(z.object({ chunkId: z.string(), documentId: z.string(), score: z.number() })),
  timings: z.record(z.string(), z.number()),
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  error: z.string().nullable(),
});
export type RequestLog = z.infer<typeof RequestLog>;
