import { LocalArtifactStore } from '../core/adapters/artifacts/local-artifact-store.ts';
import { createEmbedder } from '../core/adapters/embedders/create-embedder.ts';
import type { TwinConfig } from '../core/config/config-schema.ts';
import { resolveDataPath } from '../core/config/load-config.ts';
import { ValidationError } from '../core/errors.ts';
import { featureSetFromConfig } from '../core/features/feature-set-from-config.ts';
import type { Logger } from '../core/logger.ts';
import type { ArtifactStore } from '../core/ports/artifact-store.ts';
import type { Embedder } from '../core/ports/embedder.ts';
import type { JobQueue } from '../core/ports/job-queue.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import type { VectorStore } from '../core/ports/vector-store.ts';
import { resolveBaseModel } from '../core/registry/resolve-base-model.ts';
import type { FeatureSet } from '../core/types/feature-set.ts';
import { registerFeatureJobs } from '../feature/index.ts';
import type { InferenceDependencies } from '../inference/index.ts';
import {
  CommandFineTuneBackend,
  LocalFineTuneBackend,
  LoraFineTuneBackend,
  OpenAIFineTuneBackend,
  registerTrainingJobs,
} from '../training/index.ts';
import { openJobQueue } from './adapters/open-job-queue.ts';
import { openMetadataStore } from './adapters/open-metadata-store.ts';
import { openVectorStore } from './adapters/open-vector-store.ts';
import { wireInference } from './wiring/wire-inference.ts';

/** Every adapter the configuration selects, wired together. The only place that picks engines. */
export type Runtime = {
  config: TwinConfig;
  logger: Logger;
  metadata: MetadataStore;
  vectors: VectorStore;
  artifacts: ArtifactStore;
  queue: JobQueue;
  /** One in-process embedder for queries (created on first use). */
  queryEmbedder(): Promise<Embedder>;
  /** The worker-pool embedder for bulk feature builds (created on first use). */
  bulkEmbedder(): Promise<Embedder>;
  /** The feature set the configured code, chunking and embedder produce. */
  currentFeatureSet(): Promise<FeatureSet>;
  /**
   * The inference pipeline (retrieval, generators, metrics) over these stores, its batch job
   * registered on the queue; what `twin serve`, `chat`, `batch` and `search` use.
   */
  inference: InferenceDependencies;
  close(): Promise<void>;
};

export async function openRuntime(config: TwinConfig, logger: Logger): Promise<Runtime> {
  const opened = await openMetadataStore(config);
  const metadata = opened.metadata;
  const vectors = openVectorStore(config, opened.sqlite);
  const artifacts = new LocalArtifactStore(resolveDataPath(config, config.stores.artifacts.path));
  const queue = openJobQueue(config, metadata, logger);

  const lazily = (bulk: boolean) => {
    let created: Promise<Embedder> | undefined;
    return {
      get: () => {
        created ??= createEmbedder(config.embedder, { bulk, logger });
        return created;
      },
      close: async () => (created ? (await created).close() : undefined),
    };
  };
  const query = lazily(false);
  const bulk = lazily(true);

  registerFeatureJobs({ config, metadata, vectors, embedder: bulk.get, queue, logger });
  registerTrainingJobs({
    config,
    metadata,
    artifacts,
    queue,
    logger,
    backends: {
      local: new LocalFineTuneBackend({ preset: config.training.backends.local.preset }),
      openai: new OpenAIFineTuneBackend(config.training.backends.openai),
      command: new CommandFineTuneBackend(config.training.backends.command),
      lora: new LoraFineTuneBackend({
        resolveBase: (reference) => {
          const chosen = reference ?? config.server.baseModel;
          if (chosen === null)
            throw new ValidationError(
              'the lora backend needs a GGUF base model: give --base-model NAME[:VERSION], or set server.baseModel',
            );
          return resolveBaseModel(metadata.models, chosen);
        },
      }),
    },
  });

  const currentFeatureSet = async () => featureSetFromConfig(config.features.chunking, await query.get());
  const inference = wireInference(config, {
    metadata,
    vectors,
    artifacts,
    queue,
    logger,
    embedder: query.get,
    // Served while no model is registered: the configured feature set once something was built with it.
    currentFeatureSet: async () => metadata.featureSets.get((await currentFeatureSet()).id),
  });

  return {
    config,
    logger,
    metadata,
    vectors,
    artifacts,
    queue,
    queryEmbedder: query.get,
    bulkEmbedder: bulk.get,
    currentFeatureSet,
    inference,
    close: async () => {
      await queue.close();
      await inference.close();
      await Promise.all([query.close(), bulk.close()]);
      await vectors.close();
      await artifacts.close();
      await opened.close();
    },
  };
}
