import { z } from 'zod';
import type { VectorFilter } from '../../core/ports/vector-store.ts';
import { Category, Platform } from '../../core/types/category.ts';
import type { ChunkPayload } from '../../core/types/chunk.ts';

/**
 * What a question may be narrowed to. Lists mean "any of". Dates are ISO strings on
 * `payload.publishedAt`: `publishedAfter` is inclusive, `publishedBefore` exclusive, so "in 2025"
 * is `[2025-01-01, 2026-01-01)`. A chunk without a publication date never matches a date filter.
 */
export const RetrievalFilters = z
  .object({
    authorId: z.array(z.string().min(1)).min(1).optional(),
    platform: z.array(Platform).min(1).optional(),
    category: z.array(Category).min(1).optional(),
    publishedAfter: z.iso.datetime().optional(),
    publishedBefore: z.iso.datetime().optional(),
  })
  .strict();
export type RetrievalFilters = z.infer<typeof RetrievalFilters>;

/** The part of the filters the vector store applies inside its search. */
export function toVectorFilter(filters: RetrievalFilters): VectorFilter {
  return {
    ...(filters.authorId ? { authorId: filters.authorId } : {}),
    ...(filters.platform ? { platform: filters.platform } : {}),
    ...(filters.category ? { category: filters.category } : {}),
  };
}

export function hasDateFilter(filters: RetrievalFilters): boolean {
  return filters.publishedAfter !== undefined || filters.publishedBefore !== undefined;
}

/** The date part, applied to search hits: the store's filter has no dates. */
export function matchesPublishedDate(
  payload: Pick<ChunkPayload, 'publishedAt'>,
  filters: RetrievalFilters,
): boolean {
  if (!hasDateFilter(filters)) return true;
  if (payload.publishedAt === null) return false;
  const published = Date.parse(payload.publishedAt);
  if (Number.isNaN(published)) return false;
  if (filters.publishedAfter !== undefined && published < Date.parse(filters.publishedAfter)) return false;
  if (filters.publishedBefore !== undefined && published >= Date.parse(filters.publishedBefore)) return false;
  return true;
}

/** Filters found in the question, overridden field by field by filters the caller gave explicitly. */
export function mergeFilters(
  found: RetrievalFilters,
  explicit: RetrievalFilters | undefined,
): RetrievalFilters {
  return RetrievalFilters.parse({ ...found, ...stripUndefined(explicit ?? {}) });
}

function stripUndefined(filters: RetrievalFilters): RetrievalFilters {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
}
