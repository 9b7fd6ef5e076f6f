import type { TwinConfig } from '../../core/config/config-schema.ts';
import type { Logger } from '../../core/logger.ts';
import type { ArtifactStore } from '../../core/ports/artifact-store.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { JobQueue } from '../../core/ports/job-queue.ts';
import type { MetadataStore } from '../../core/ports/metadata-store.ts';
import type { VectorStore } from '../../core/ports/vector-store.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import type { QueryUnderstanding } from '../retrieval/query-understanding.ts';
import type { Reranker } from '../retrieval/rerank.ts';

/** What the HTTP API needs; the CLI's `twin serve` builds it from configuration. */
export type ApiDependencies = {
  config: TwinConfig;
  metadata: MetadataStore;
  vectors: VectorStore;
  artifacts: ArtifactStore;
  queue: JobQueue;
  /** The in-process query embedder (the same one the feature set was built with, or a clear error). */
  embedder: () => Promise<Embedder>;
  /** The feature set the configured code and embedder build; served while no model is registered. */
  currentFeatureSet: () => Promise<FeatureSet | null>;
  logger: Logger;
  /**
   * The configured cross-encoder (`retrieval.reranker`), loaded once on first call; absent or
   * resolving to undefined = no cross-encoder. See `retrievalFromConfig`.
   */
  reranker?: () => Promise<Reranker | undefined>;
  /** The configured query LLM (`retrieval.queryLlm`) for self-query and expansion; absent = rules only. */
  understanding?: QueryUnderstanding;
};
