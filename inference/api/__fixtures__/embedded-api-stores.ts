import { join } from 'node:path';
import { LocalArtifactStore } from '../../../core/adapters/artifacts/local-artifact-store.ts';
import { createEmbedder } from '../../../core/adapters/embedders/create-embedder.ts';
import { InProcessJobQueue } from '../../../core/adapters/queue/in-process-job-queue.ts';
import {
  openSqliteDatabase,
  type SqliteDatabase,
} from '../../../core/adapters/sqlite/open-sqlite-database.ts';
import { createSqliteMetadataStore } from '../../../core/adapters/sqlite/sqlite-metadata-store.ts';
import { SqliteVecVectorStore } from '../../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import type { ServerConfig, TwinConfig } from '../../../core/config/config-schema.ts';
import { type InferenceConfig, inferenceConfig } from '../../../core/config/inference-config.ts';
import { modelEndpoints } from '../../../core/config/model-endpoints.ts';
import { featureSetFromConfig } from '../../../core/features/feature-set-from-config.ts';
import { deterministicUuid } from '../../../core/hashing.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Embedder } from '../../../core/ports/embedder.ts';
import type { MetadataStore } from '../../../core/ports/metadata-store.ts';
import type { ChunkPayload } from '../../../core/types/chunk.ts';
import type { FeatureSet } from '../../../core/types/feature-set.ts';
import { createInferenceDependencies } from '../../create-inference-dependencies.ts';
import type { GeneratorCache } from '../../generation/generator-cache.ts';
import type { InferenceDependencies } from '../../inference-dependencies.ts';
import type { RetrievalComponents } from '../../retrieval/retrieval-from-config.ts';

/** One stored chunk: its document id, its text, and any payload fields that differ from the defaults. */
export type StoredChunk = readonly [documentId: string, text: string, overrides?: Partial<ChunkPayload>];

/** The embedded stores an API test serves from; see `openEmbeddedApiStores`. */
export type EmbeddedApiStores = {
  database: SqliteDatabase;
  metadata: MetadataStore;
  vectors: SqliteVecVectorStore;
  artifacts: LocalArtifactStore;
  queue: InProcessJobQueue;
  embedder: Embedder;
  /** The configured feature set, registered, with its collection created. */
  featureSet: FeatureSet;
  /**
   * Embeds the texts and stores each as one chunk (index 0) of its own document, by
   * `noor-halvorsen`, a web article at `https://example.com/<documentId>` titled with its id.
   */
  storeChunks(chunks: readonly StoredChunk[]): Promise<void>;
  /**
   * What `twin serve` would hand the API for these stores (its own generator cache and metrics),
   * logging nothing; `server` settings and the rest of `options` replace the configured ones.
   */
  dependencies(options?: DependencyOptions): InferenceDependencies;
  /** Closes everything opened here, dependencies included; the folder stays the caller's to remove. */
  close(): Promise<void>;
};

/** What a test changes in the dependencies `twin serve` would build. */
export type DependencyOptions = {
  server?: Partial<ServerConfig>;
  config?: Partial<InferenceConfig>;
  currentFeatureSet?: InferenceDependencies['currentFeatureSet'];
  generators?: GeneratorCache;
  retrieval?: RetrievalComponents;
};

/** No OpenAI key: registered models behind endpoints are reached without one. */
export const testEndpoints = modelEndpoints({ baseUrl: 'https://api.openai.com/v1', apiKey: null, timeoutMs: 60_000 });

/**
 * The embedded stores `twin serve` runs on, in `folder`: SQLite metadata, sqlite-vec vectors,
 * local artifacts, an in-process job queue and the configured feature set. The embedder is
 * USE-lite unless the test brings its own (which it then closes itself).
 */
export async function openEmbeddedApiStores(
  folder: string,
  config: TwinConfig,
  options: { embedder?: Embedder } = {},
): Promise<EmbeddedApiStores> {
  const database = openSqliteDatabase(join(folder, 'twin.db'));
  const metadata = createSqliteMetadataStore(database);
  await metadata.migrate();
  const vectors = new SqliteVecVectorStore(database);
  const artifacts = new LocalArtifactStore(join(folder, 'artifacts'));
  const queue = new InProcessJobQueue(metadata.jobs, { concurrency: 1, logger: silentLogger });
  const embedder =
    options.embedder ??
    (await createEmbedder({ provider: 'use-lite', workers: 1, batchSize: 16 }, { logger: silentLogger }));
  const featureSet = await metadata.featureSets.register(
    featureSetFromConfig(config.features.chunking, embedder),
  );
  await vectors.ensureCollection(featureSet);
  const handedOut: InferenceDependencies[] = [];
  const configured = inferenceConfig(config);

  return {
    database,
    metadata,
    vectors,
    artifacts,
    queue,
    embedder,
    featureSet,
    async storeChunks(chunks) {
      const embedded = await embedder.embed(chunks.map(([, text]) => text));
      await vectors.upsert(
        featureSet.id,
        chunks.map(([documentId, text, overrides], index) => ({
          id: deterministicUuid(featureSet.id, documentId),
          vector: embedded[index] as Float32Array,
          payload: {
            authorId: 'noor-halvorsen',
            platform: 'web',
            category: 'article',
            documentId,
            url: `https://example.com/${documentId}`,
            title: documentId,
            publishedAt: '2026-03-01T00:00:00.000Z',
            chunkIndex: 0,
            featureSetId: featureSet.id,
            text,
            ...overrides,
          } satisfies ChunkPayload,
        })),
      );
    },
    dependencies(options = {}) {
      const dependencies = createInferenceDependencies(
        {
          config: {
            ...configured,
            ...options.config,
            server: { ...configured.server, ...options.config?.server, ...options.server },
          },
          metadata,
          vectors,
          artifacts,
          queue,
          embedder: async () => embedder,
          currentFeatureSet: options.currentFeatureSet ?? (async () => featureSet),
          endpoints: testEndpoints,
          logger: silentLogger,
        },
        {
          ...(options.generators ? { generators: options.generators } : {}),
          ...(options.retrieval ? { retrieval: options.retrieval } : {}),
        },
      );
      handedOut.push(dependencies);
      return dependencies;
    },
    async close() {
      await queue.close();
      for (const dependencies of handedOut) await dependencies.close();
      if (!options.embedder) await embedder.close();
      await vectors.close();
      await metadata.close();
      database.close();
    },
  };
}
