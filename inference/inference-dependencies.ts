import type { InferenceConfig } from '../core/config/inference-config.ts';
import type { Logger } from '../core/logger.ts';
import type { ModelEndpoints } from '../core/models/open-model.ts';
import type { ArtifactStore } from '../core/ports/artifact-store.ts';
import type { Embedder } from '../core/ports/embedder.ts';
import type { JobQueue } from '../core/ports/job-queue.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import type { VectorStore } from '../core/ports/vector-store.ts';
import type { FeatureSet } from '../core/types/feature-set.ts';
import type { GeneratorCache } from './generation/generator-cache.ts';
import type { PromptTemplate } from './generation/prompt-template.ts';
import type { MetricsRegistry } from './monitoring/metrics-registry.ts';
import type { QueryUnderstanding } from './retrieval/query-understanding.ts';
import type { Reranker } from './retrieval/rerank.ts';

/** What the composition root hands the inference pipeline: its config slice, the stores and endpoints. */
export type InferenceInputs = {
  config: InferenceConfig;
  metadata: MetadataStore;
  vectors: VectorStore;
  artifacts: ArtifactStore;
  queue: JobQueue;
  /** The in-process query embedder (the same one the feature set was built with, or a clear error). */
  embedder: () => Promise<Embedder>;
  /** The feature set the configured code and embedder build; served while no model is registered. */
  currentFeatureSet: () => Promise<FeatureSet | null>;
  /** How registered models behind OpenAI-compatible endpoints (and the query LLM) are reached. */
  endpoints: ModelEndpoints;
  logger: Logger;
};

/**
 * Everything serving, the HTTP API and batch jobs use, built once by `createInferenceDependencies`:
 * the inputs plus retrieval components, the generator cache, the prompt template and the metrics.
 */
export type InferenceDependencies = Omit<InferenceInputs, 'endpoints'> & {
  /**
   * The configured cross-encoder (`retrieval.reranker`), loaded once on first call; absent or
   * resolving to undefined = no cross-encoder. See `retrievalFromConfig`.
   */
  reranker: () => Promise<Reranker | undefined>;
  /** The configured query LLM (`retrieval.queryLlm`) for self-query and expansion; absent = rules only. */
  understanding?: QueryUnderstanding;
  /** The generators of the versions served lately; they belong to the cache. */
  generators: GeneratorCache;
  template: PromptTemplate;
  /** The Prometheus registry `/metrics` renders; batch jobs record into it too. */
  metrics: MetricsRegistry;
  /** Releases the generators and the reranker (the stores are the caller's). */
  close(): Promise<void>;
};
