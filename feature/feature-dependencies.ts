import type { TwinConfig } from '../core/config/config-schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Embedder } from '../core/ports/embedder.ts';
import type { JobQueue } from '../core/ports/job-queue.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import type { VectorStore } from '../core/ports/vector-store.ts';

/** What the feature pipeline needs; the CLI (the composition root) builds it from configuration. */
export type FeatureDependencies = {
  config: TwinConfig;
  metadata: MetadataStore;
  vectors: VectorStore;
  /** The bulk embedder (worker pool), created on first use and owned by the caller. */
  embedder: () => Promise<Embedder>;
  queue: JobQueue;
  logger: Logger;
};
