import { ValidationError } from '../../core/errors.ts';
import { assertEmbedderMatches } from '../../core/features/embed-texts.ts';
import type { Logger } from '../../core/logger.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { VectorStore } from '../../core/ports/vector-store.ts';
import type { ChunkPayload } from '../../core/types/chunk.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { EmbeddingSimilarityReranker } from './embedding-similarity-reranker.ts';
import { hybridSearch, type SearchMode } from './hybrid-search.ts';
import { expandQuery } from './query-expansion.ts';
import type { KnownAuthor, QueryUnderstanding } from './query-understanding.ts';
import { type Reranker, rerank } from './rerank.ts';
import { mergeFilters, type RetrievalFilters } from './retrieval-filters.ts';
import { selfQuery } from './self-query.ts';

export type RetrieveOptions = {
  /** Chunks returned. Default 5. */
  k?: number;
  /** Default 'hybrid'. */
  mode?: SearchMode;
  /** Filters set by the caller; they win over what self-query reads from the question, field by field. */
  filters?: RetrievalFilters;
  /** Read filters from the question. Default true. */
  selfQuery?: boolean;
  /** Authors whose names self-query recognises. */
  authors?: readonly KnownAuthor[];
  /** Clock for relative dates ("last year"). */
  now?: Date;
  /** Rewrites asked of the LLM (none without one). Default 2. */
  expansions?: number;
  /** Depth of each dense and keyword list. Default 50. */
  candidates?: number;
  /** Reciprocal-rank fusion constant. Default 60. */
  rrfK?: number;
  /** At most this many chunks per category after fusion. Default: no limit. */
  perCategory?: number | null;
  /** MMR trade-off between relevance (1) and diversity (0). Default 0.7. */
  mmrLambda?: number;
  /**
   * Rerank MMR's picks. Default: when a reranker is configured. Without one, `true` reranks by
   * embedding similarity, which re-sorts by the dense signal alone: on the sample author that
   * measured below the hybrid order (hit@3 11/15 against 14/15), so it is not on by default.
   */
  rerank?: boolean;
  /** How many chunks MMR picks for the reranker to order. Default max(4·k, 20). */
  rerankDepth?: number;
};

export type RetrieveDependencies = {
  vectors: VectorStore;
  /** The feature set the serving model was trained on; queries are embedded its way. */
  featureSet: FeatureSet;
  /** Must be the feature set's embedder (checked). */
  embedder: Embedder;
  /** A cross-encoder, when one is configured; `rerank: true` without one uses embedding similarity. */
  reranker?: Reranker;
  /** The configured LLM for self-query and expansion; rules and no expansion without it. */
  understanding?: QueryUnderstanding;
  logger: Logger;
};

export type RetrievedChunk = {
  id: string;
  payload: ChunkPayload;
  /** dense: cosine; keyword: BM25; fused: RRF; rerank: the reranker's (null when not reranked). */
  scores: { dense: number | null; keyword: number | null; fused: number; rerank: number | null };
};

export type RetrievalTimings = {
  selfQueryMs: number;
  expansionMs: number;
  embedMs: number;
  denseMs: number;
  keywordMs: number;
  fusionMs: number;
  mmrMs: number;
  rerankMs: number;
  totalMs: number;
};

export type RetrievalResult = {
  chunks: RetrievedChunk[];
  /** The filters applied: found in the question, then overridden by the caller's. */
  filters: RetrievalFilters;
  /** What was searched for: the question (without its filter phrases) first, then its rewrites. */
  queries: string[];
  timings: RetrievalTimings;
};

const defaultReranker = new EmbeddingSimilarityReranker();

/**
 * The inference pipeline's retrieval: self-query → query expansion → hybrid search (dense + BM25,
 * RRF, per-category cap, MMR) → rerank, each stage timed.
 */
export async function retrieve(
  question: string,
  options: RetrieveOptions,
  dependencies: RetrieveDependencies,
): Promise<RetrievalResult> {
  const totalStarted = performance.now();
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 100)
    throw new ValidationError(`k must be an integer from 1 to 100, got ${k}`);
  if (!/[\p{L}\p{N}]/u.test(question)) throw new ValidationError('the question is empty');
  const { logger, understanding } = dependencies;
  // The skew guard, first: a misconfigured embedder fails before any LLM call is paid for.
  assertEmbedderMatches(dependencies.featureSet, dependencies.embedder);

  let started = performance.now();
  const understood =
    options.selfQuery === false
      ? { text: question.trim(), filters: {} }
      : await selfQuery(question, {
          ...(understanding ? { understanding } : {}),
          ...(options.authors ? { authors: options.authors } : {}),
          ...(options.now ? { now: options.now } : {}),
          logger,
        });
  const filters = mergeFilters(understood.filters, options.filters);
  const selfQueryMs = performance.now() - started;

  started = performance.now();
  const queries = await expandQuery(understood.text, {
    ...(understanding ? { understanding } : {}),
    count: options.expansions ?? 2,
    logger,
  });
  const expansionMs = performance.now() - started;

  const reranking = options.rerank ?? dependencies.reranker !== undefined;
  const search = await hybridSearch(
    queries,
    {
      filters,
      mode: options.mode ?? 'hybrid',
      candidates: options.candidates ?? 50,
      rrfK: options.rrfK ?? 60,
      perCategory: options.perCategory ?? null,
      limit: reranking ? Math.max(k, options.rerankDepth ?? Math.max(4 * k, 20)) : k,
      mmrLambda: options.mmrLambda ?? 0.7,
    },
    dependencies,
  );

  started = performance.now();
  let chunks: RetrievedChunk[];
  if (reranking) {
    const reranker = dependencies.reranker ?? defaultReranker;
    const ordered = await rerank(reranker, {
      query: understood.text,
      queryVector: search.queryVector,
      passages: search.candidates.map((candidate) => ({ ...candidate, text: candidate.payload.text })),
    });
    chunks = ordered.slice(0, k).map(({ passage, score }) => ({
      id: passage.id,
      payload: passage.payload,
      scores: { ...passage.scores, rerank: score },
    }));
  } else {
    chunks = search.candidates.slice(0, k).map((candidate) => ({
      id: candidate.id,
      payload: candidate.payload,
      scores: { ...candidate.scores, rerank: null },
    }));
  }
  const rerankMs = performance.now() - started;

  const timings: RetrievalTimings = {
    selfQueryMs,
    expansionMs,
    ...search.timings,
    rerankMs,
    totalMs: performance.now() - totalStarted,
  };
  logger.debug('retrieved', { chunks: chunks.length, queries: queries.length, filters, ...timings });
  return { chunks, filters, queries, timings };
}
