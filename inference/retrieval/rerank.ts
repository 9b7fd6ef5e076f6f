import { ServiceError } from '../../core/errors.ts';

/** A chunk as a reranker sees it. */
export type RerankPassage = { id: string; text: string; vector: Float32Array };

export type RerankRequest = {
  query: string;
  /** The query embedded with the feature set's embedder (what the passages' vectors were made with). */
  queryVector: Float32Array;
  passages: readonly RerankPassage[];
};

/**
 * Scores each passage's relevance to the query, higher is better, after retrieval has narrowed the
 * store down to a few dozen candidates. A cross-encoder reads query and passage together, which
 * is slower but sharper than comparing two independently made embeddings.
 */
export interface Reranker {
  /** Names the model, for logs and monitoring. */
  readonly id: string;
  /** One score per passage, in input order. */
  score(request: RerankRequest): Promise<number[]>;
  close(): Promise<void>;
}

/** Orders passages by the reranker's scores, best first; ties keep their retrieval order. */
export async function rerank<T extends RerankPassage>(
  reranker: Reranker,
  request: Omit<RerankRequest, 'passages'> & { passages: readonly T[] },
): Promise<{ passage: T; score: number }[]> {
  if (request.passages.length === 0) return [];
  const scores = await reranker.score(request);
  if (scores.length !== request.passages.length) {
    throw new ServiceError(
      `reranker ${reranker.id} returned ${scores.length} scores for ${request.passages.length} passages`,
    );
  }
  return request.passages
    .map((passage, index) => ({ passage, score: scores[index] as number, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ passage, score }) => ({ passage, score }));
}
