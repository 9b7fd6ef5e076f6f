import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/load-config.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import { chunkDocument } from '../../core/features/chunk-document.ts';
import { embedTexts } from '../../core/features/embed-texts.ts';
import { deterministicUuid } from '../../core/hashing.ts';
import { createSeededRandom } from '../../core/local-model/seeded-random.ts';
import { silentLogger } from '../../core/logger.ts';
import type { ChunkPayload } from '../../core/types/chunk.ts';
import type { Dataset, InstructionExample } from '../../core/types/dataset.ts';
import questionsFile from '../../datasets/sample-author/questions.json' with { type: 'json' };
import { sampleAuthorDirectory } from '../../datasets/sample-author/sample-author.ts';
import {
  sampleRepositoryCommits,
  sampleRepositoryName,
} from '../../datasets/sample-author/sample-repository-files.ts';
import { openEmbeddedApiStores } from '../../inference/api/__fixtures__/embedded-api-stores.ts';
import { createGenerator } from '../../inference/generation/create-generator.ts';
import { GeneratorCache } from '../../inference/generation/generator-cache.ts';
import type { InferenceDependencies } from '../../inference/index.ts';
import {
  cleanCorpusDocument,
  loadSampleAuthorCorpus,
} from '../../inference/retrieval/__fixtures__/sample-author-corpus.ts';
import { LocalFineTuneBackend } from '../../training/backends/local-fine-tune-backend.ts';

export type InferenceFixtureOptions = {
  /** Points stored in the vector store. */
  points: number;
  /** Distinct real texts embedded with USE-lite; the points reuse their vectors. */
  embeddedTexts: number;
  /** Steps of the tiny (CI preset) local model's training. */
  trainingSteps: number;
};

export type InferenceFixture = {
  /** Shared by the HTTP app and the direct calls, so both use the same warm generator and metrics. */
  dependencies: InferenceDependencies;
  questions: string[];
  setup: { points: number; embeddedTexts: number; embedSeconds: number; trainSeconds: number; model: string };
  close(): Promise<void>;
};

/**
 * A served twin on the embedded stores: the sample author's real chunk and sentence texts embedded
 * by USE-lite, stored `points` times over, and a tiny local model registered as `twin@production`.
 *
 * Embedding 10k texts at ~50/s would take minutes, so only `embeddedTexts` real texts are embedded
 * (the 90 chunks of the sample author, then sentences of those chunks) and every stored point reuses
 * one of those vectors with small seeded Gaussian noise (σ 0.015 per dimension before
 * re-normalising, cosine ≈ 0.95 to its source). The store then holds 10k distinct, realistically
 * clustered vectors whose texts are real, so dense and BM25 search do the work they do in production;
 * the copies carry their own document ids and URLs, so MMR and the prompt see distinct passages.
 */
export async function createInferenceFixture(options: InferenceFixtureOptions): Promise<InferenceFixture> {
  const folder = mkdtempSync(join(tmpdir(), 'twin-inference-bench-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: folder,
      logLevel: 'silent',
      // The bench drives the server far past a person's request rate.
      server: { rateLimitPerMinute: 0 },
    },
  });
  const stores = await openEmbeddedApiStores(folder, config);
  const { metadata, vectors, artifacts, embedder, featureSet } = stores;
  await metadata.documents.upsertAuthor('Noor Halvorsen');

  const corpus = await loadSampleAuthorCorpus(sampleAuthorDirectory, {
    name: sampleRepositoryName,
    commits: sampleRepositoryCommits,
  });
  const chunks = corpus.flatMap((document) =>
    chunkDocument(cleanCorpusDocument(document, featureSet.id), featureSet.spec),
  );
  const sources: { text: string; payload: ChunkPayload }[] = chunks.map(
    ({ id: _id, tokenCount: _tokens, ...payload }) => ({
      text: payload.text,
      payload,
    }),
  );
  for (const source of [...sources]) {
    for (const sentence of source.text.split(/(?<=[.!?])\s+/)) {
      if (sources.length >= options.embeddedTexts) break;
      if (sentence.length >= 60 && !source.payload.text.startsWith(sentence))
        sources.push({ text: sentence, payload: source.payload });
    }
  }
  const texts = sources.slice(0, options.embeddedTexts);
  process.stderr.write(`inference: embedding ${texts.length} real texts with USE-lite\n`);
  const embedStarted = performance.now();
  const embeddings = await embedTexts(
    embedder,
    texts.map((entry) => entry.text),
  );
  const embedSeconds = (performance.now() - embedStarted) / 1000;

  process.stderr.write(`inference: storing ${options.points} points\n`);
  const random = createSeededRandom(23);
  for (let start = 0; start < options.points; start += 1000) {
    const batch = [];
    for (let index = start; index < Math.min(options.points, start + 1000); index++) {
      const source = texts[index % texts.length] as (typeof texts)[number];
      const copy = Math.floor(index / texts.length);
      const original = embeddings[index % texts.length] as Float32Array;
      const vector = copy === 0 ? original : perturb(original, () => random.normal());
      batch.push({
        id: deterministicUuid(featureSet.id, String(index)),
        vector,
        payload: {
          ...source.payload,
          documentId: `${source.payload.documentId}~${copy}`,
          url: `${source.payload.url}#copy-${copy}`,
          text: source.text,
        },
      });
    }
    await vectors.upsert(featureSet.id, batch);
  }

  process.stderr.write(`inference: training a tiny local model (${options.trainingSteps} steps)\n`);
  const backend = new LocalFineTuneBackend();
  const trainStarted = performance.now();
  const trained = await backend.train(
    {
      jobId: 'bench',
      modelName: config.server.modelName,
      dataset: { id: 'ds_000000000000' } as Dataset,
      examples: { train: examplesFrom(chunks), test: [] },
      baseModel: null,
      parent: null,
      hyperparameters: backend.parseHyperparameters({
        preset: 'ci',
        steps: options.trainingSteps,
        evalEvery: options.trainingSteps,
        validation: 'none',
      }),
    },
    {
      artifacts,
      logger: silentLogger,
      signal: new AbortController().signal,
      progress: async () => {},
      log: async () => {},
    },
  );
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const version = await metadata.models.register({
    name: config.server.modelName,
    backend: 'local',
    baseModel: null,
    hyperparameters: trained.hyperparameters,
    datasetId: null,
    featureSetId: featureSet.id,
    parentVersion: null,
    metrics: trained.metrics,
    lossCurve: trained.lossCurve,
    artifact: trained.artifact,
    lossCurveKey: null,
    jobId: null,
    createdBy: 'bench',
  });
  await metadata.models.moveAlias({
    name: version.name,
    alias: 'production',
    toVersion: version.version,
    movedBy: 'bench',
  });

  const generators = new GeneratorCache({
    capacity: 2,
    logger: silentLogger,
    create: (served) =>
      createGenerator(served, {
        artifacts,
        logger: silentLogger,
        endpoints: modelEndpoints(config.training.backends.openai),
      }),
  });
  return {
    dependencies: stores.dependencies({ generators }),
    questions: questionsFile.questions.map((entry) => entry.question),
    setup: {
      points: options.points,
      embeddedTexts: texts.length,
      embedSeconds,
      trainSeconds,
      model: `${version.name}:${version.version} (local, ci preset)`,
    },
    close: async () => {
      // The stores close the dependencies they handed out, generators included.
      await stores.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The vector plus seeded Gaussian noise, re-normalised to unit length. */
function perturb(vector: Float32Array, gaussian: () => number): Float32Array {
  const noisy = new Float32Array(vector.length);
  let norm = 0;
  for (let index = 0; index < vector.length; index++) {
    const value = (vector[index] as number) + gaussian() * 0.015;
    noisy[index] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let index = 0; index < noisy.length; index++) noisy[index] = (noisy[index] as number) / norm;
  return noisy;
}

/** Title → chunk pairs: enough for the tiny model to learn the author's words, not to be good. */
function examplesFrom(
  chunks: readonly { title: string; text: string; documentId: string }[],
): InstructionExample[] {
  return chunks.map((chunk) => ({
    instruction: `Write about ${chunk.title}.`,
    answer: chunk.text,
    kind: 'bench',
    sourceDocumentId: chunk.documentId,
  }));
}
