export { ChatJsonClient, type ChatJsonEndpoint, type ChatJsonMessage } from './chat-json-client.ts';
export { CrossEncoderReranker, type CrossEncoderRerankerOptions } from './cross-encoder-reranker.ts';
export { EmbeddingSimilarityReranker } from './embedding-similarity-reranker.ts';
export {
  type HybridSearchDependencies,
  type HybridSearchOptions,
  type HybridSearchResult,
  type HybridSearchTimings,
  hybridSearch,
  type SearchCandidate,
  type SearchMode,
} from './hybrid-search.ts';
export { LlmQueryUnderstanding } from './llm-query-understanding.ts';
export {
  cosineSimilarity,
  type MmrCandidate,
  maximalMarginalRelevance,
} from './maximal-marginal-relevance.ts';
export { expandQuery } from './query-expansion.ts';
export type { KnownAuthor, QueryUnderstanding, SelfQuery, SelfQueryContext } from './query-understanding.ts';
export { reciprocalRankFusion } from './reciprocal-rank-fusion.ts';
export { type Reranker, type RerankPassage, type RerankRequest, rerank } from './rerank.ts';
export {
  matchesPublishedDate,
  mergeFilters,
  RetrievalFilters,
  toVectorFilter,
} from './retrieval-filters.ts';
export {
  type RetrievalResult,
  type RetrievalTimings,
  type RetrieveDependencies,
  type RetrievedChunk,
  type RetrieveOptions,
  retrieve,
} from './retrieve.ts';
export { ruleBasedSelfQuery, selfQuery } from './self-query.ts';
