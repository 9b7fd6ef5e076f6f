import { ValidationError } from '../../core/errors.ts';
import { cleanQuery } from '../../core/features/clean-text.ts';
import { assertEmbedderMatches, embedQuery } from '../../core/features/embed-texts.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { VectorHit, VectorStore } from '../../core/ports/vector-store.ts';
import type { ChunkPayload } from '../../core/types/chunk.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { maximalMarginalRelevance } from './maximal-marginal-relevance.ts';
import { reciprocalRankFusion } from './reciprocal-rank-fusion.ts';
import {
  hasDateFilter,
  matchesPublishedDate,
  type RetrievalFilters,
  toVectorFilter,
} from './retrieval-filters.ts';

/** Which signals to search with: both (the default), or one of them, for comparison and debugging. */
export type SearchMode = 'hybrid' | 'dense' | 'keyword';

export type HybridSearchOptions = {
  filters: RetrievalFilters;
  mode: SearchMode;
  /** Depth of every dense and keyword result list. */
  candidates: number;
  /** Reciprocal-rank fusion constant. */
  rrfK: number;
  /** At most this many chunks of each category survive fusion; null for no limit. */
  perCategory: number | null;
  /** How many chunks MMR picks. */
  limit: number;
  /** MMR trade-off: 1 = relevance only, lower = more diversity. */
  mmrLambda: number;
};

export type SearchCandidate = {
  id: string;
  payload: ChunkPayload;
  /** The stored vector, for MMR and for rerankers that compare embeddings. */
  vector: Float32Array;
  /** Best dense cosine and best BM25 score over the query variants (null: not in that list). */
  scores: { dense: number | null; keyword: number | null; fused: number };
};

export type HybridSearchTimings = {
  embedMs: number;
  denseMs: number;
  keywordMs: number;
  fusionMs: number;
  mmrMs: number;
};

export type HybridSearchResult = {
  /** In MMR pick order. */
  candidates: SearchCandidate[];
  /** The first query's vector (the question's), for rerankers. */
  queryVector: Float32Array;
  timings: HybridSearchTimings;
};

export type HybridSearchDependencies = { vectors: VectorStore; featureSet: FeatureSet; embedder: Embedder };

/** Filtering on dates happens after the store's search, so date-filtered searches look deeper first. */
const dateFilterOverfetch = 4;

/**
 * Dense + keyword search for every query variant, fused by reciprocal rank, capped per category,
 * diversified by MMR. Queries are cleaned and embedded by core's `embedQuery`, the code that built
 * the features, and only with the embedder the feature set was built with (the skew guard throws
 * before anything is searched otherwise).
 */
export async function hybridSearch(
  queries: readonly string[],
  options: HybridSearchOptions,
  dependencies: HybridSearchDependencies,
): Promise<HybridSearchResult> {
  const { vectors, featureSet, embedder } = dependencies;
  assertEmbedderMatches(featureSet, embedder);
  const usable = queries.filter((query) => cleanQuery(query).length > 0);
  if (usable.length === 0) throw new ValidationError('the question is empty after cleaning');
  const timings: HybridSearchTimings = { embedMs: 0, denseMs: 0, keywordMs: 0, fusionMs: 0, mmrMs: 0 };
  const filter = toVectorFilter(options.filters);
  const dated = hasDateFilter(options.filters);
  const depth = dated ? Math.min(4096, options.candidates * dateFilterOverfetch) : options.candidates;
  const keep = (hits: VectorHit[]) =>
    hits.filter((hit) => matchesPublishedDate(hit.payload, options.filters)).slice(0, options.candidates);

  let started = performance.now();
  const queryVectors: Float32Array[] = [];
  // Keyword-only search still embeds the question: rerankers and MMR compare embeddings.
  for (const query of options.mode === 'keyword' ? usable.slice(0, 1) : usable) {
    queryVectors.push(await embedQuery(query, embedder, featureSet));
  }
  timings.embedMs = performance.now() - started;

  started = performance.now();
  const denseLists =
    options.mode === 'keyword'
      ? []
      : await Promise.all(
          queryVectors.map(async (vector) =>
            keep(await vectors.search(featureSet.id, vector, { k: depth, filter })),
          ),
        );
  timings.denseMs = performance.now() - started;

  started = performance.now();
  const keywordLists =
    options.mode === 'dense'
      ? []
      : await Promise.all(
          usable.map(async (query) =>
            keep(await vectors.keywordSearch(featureSet.id, cleanQuery(query), { k: depth, filter })),
          ),
        );
  timings.keywordMs = performance.now() - started;

  started = performance.now();
  const payloads = new Map<string, ChunkPayload>();
  const best = (lists: VectorHit[][]) => {
    const scores = new Map<string, number>();
    for (const hit of lists.flat()) {
      payloads.set(hit.id, hit.payload);
      scores.set(hit.id, Math.max(scores.get(hit.id) ?? Number.NEGATIVE_INFINITY, hit.score));
    }
    return scores;
  };
  const denseScores = best(denseLists);
  const keywordScores = best(keywordLists);
  const fused = reciprocalRankFusion(
    [...denseLists, ...keywordLists].map((list) => list.map((hit) => hit.id)),
    { k: options.rrfK },
  );
  const perCategory = new Map<string, number>();
  const pool = fused
    .filter(({ id }) => {
      if (options.perCategory === null) return true;
      const category = payloads.get(id)?.category ?? '';
      const taken = perCategory.get(category) ?? 0;
      perCategory.set(category, taken + 1);
      return taken < options.perCategory;
    })
    .slice(0, options.candidates);
  timings.fusionMs = performance.now() - started;

  started = performance.now();
  const withVectors = (
    await Promise.all(
      pool.map(async ({ id, score }) => {
        const vector = await vectors.getVector(featureSet.id, id);
        const payload = payloads.get(id);
        if (!vector || !payload) return [];
        const candidate: SearchCandidate = {
          id,
          payload,
          vector,
          scores: {
            dense: denseScores.get(id) ?? null,
            keyword: keywordScores.get(id) ?? null,
            fused: score,
          },
        };
        return [candidate];
      }),
    )
  ).flat();
  const byId = new Map(withVectors.map((candidate) => [candidate.id, candidate]));
  const picked = maximalMarginalRelevance(
    withVectors.map((candidate) => ({
      id: candidate.id,
      relevance: candidate.scores.fused,
      vector: candidate.vector,
    })),
    { k: options.limit, lambda: options.mmrLambda },
  );
  timings.mmrMs = performance.now() - started;

  return {
    candidates: picked.flatMap((id) => byId.get(id) ?? []),
    queryVector: queryVectors[0] as Float32Array,
    timings,
  };
}
