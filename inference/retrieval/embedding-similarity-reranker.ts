import { cosineSimilarity } from './maximal-marginal-relevance.ts';
import type { Reranker, RerankRequest } from './rerank.ts';

/**
 * The default reranker: cosine similarity between the question's embedding and each chunk's
 * stored embedding. It needs no model beyond the feature set's embedder, and it puts the chunks
 * that fusion and MMR chose back in order of closeness to the question itself (not to its rewrites).
 */
export class EmbeddingSimilarityReranker implements Reranker {
  readonly id = 'embedding-similarity';

  async score(request: RerankRequest): Promise<number[]> {
    return request.passages.map((passage) => cosineSimilarity(request.queryVector, passage.vector));
  }

  async close(): Promise<void> {}
}
