import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../core/adapters/embedders/create-embedder.ts';
import type { TwinConfig } from '../../core/config/config-schema.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { silentLogger } from '../../core/logger.ts';
import {
  type ChatReplayServer,
  startChatReplayServer,
} from '../../core/models/__fixtures__/chat-replay-server.ts';
import { writeTinyGguf } from '../../core/models/__fixtures__/write-tiny-gguf.ts';
import { GgufGenerator } from '../../core/models/gguf-generator.ts';
import { perplexity } from '../../core/models/perplexity.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { NewModelVersion } from '../../core/ports/model-registry.ts';
import { twinSystemPrompt } from '../../core/prompts/twin-system-prompt.ts';
import type { Dataset } from '../../core/types/dataset.ts';
import type { ModelArtifact } from '../../core/types/model-version.ts';
import {
  openTestStores,
  registerFeatureSet,
  storeSampleDocuments,
  type TestStores,
  trainingConfig,
} from '../datasets/__fixtures__/dataset-test-stores.ts';
import { buildDataset } from '../datasets/build-dataset.ts';
import { loadDatasetExamples } from '../datasets/load-dataset-examples.ts';
import { evaluateVersion } from './evaluate-version.ts';
import { spreadAcrossDocuments } from './spread-across-documents.ts';

// node-llama-cpp is an optional dependency.
const installed = existsSync(resolve(import.meta.dirname, '../../node_modules/node-llama-cpp/package.json'));

describe('evaluateVersion', () => {
  let stores: TestStores;
  let embedder: Embedder;
  let dataset: Dataset;
  let replay: ChatReplayServer;
  let config: TwinConfig;

  beforeAll(async () => {
    stores = await openTestStores();
    embedder = await createEmbedder({ provider: 'use-lite', workers: 1, batchSize: 16 });
    const featureSet = await registerFeatureSet(stores.metadata, embedder.id);
    await storeSampleDocuments(stores.metadata, featureSet.id);
    ({ dataset } = await buildDataset(
      { featureSetId: featureSet.id, kind: 'instruction', generator: 'offline' },
      {
        metadata: stores.metadata,
        artifacts: stores.artifacts,
        config: trainingConfig(),
        logger: silentLogger,
      },
    ));
    replay = await startChatReplayServer();
    // The replay server stands in for api.openai.com: the configured key is its.
    config = loadConfig({
      env: {},
      overrides: { training: { backends: { openai: { baseUrl: replay.baseUrl, apiKey: 'sk-eval' } } } },
    });
  });
  afterAll(async () => {
    await replay.close();
    await embedder.close();
    await stores.close();
  });

  const register = (artifact: ModelArtifact) =>
    stores.metadata.models.register({
      name: 'twin',
      backend: artifact.kind,
      baseModel: null,
      hyperparameters: {},
      datasetId: dataset.id,
      featureSetId: dataset.recipe.featureSetId,
      parentVersion: null,
      metrics: {},
      lossCurve: [],
      artifact,
      lossCurveKey: null,
      jobId: null,
      createdBy: 'test',
    } satisfies NewModelVersion);

  const evaluate = (version: Awaited<ReturnType<typeof register>>, limit: number) =>
    evaluateVersion(
      version,
      { datasetId: dataset.id, limit, maxTokens: 3, temperature: 0 },
      { metadata: stores.metadata, artifacts: stores.artifacts, config, embedder, logger: silentLogger },
    );

  it.runIf(installed)('evaluates a GGUF file, perplexity included, and stores the metrics', async () => {
    const path = join(stores.folder, 'tiny.gguf');
    await writeTinyGguf(path);
    const version = await register({ kind: 'gguf', path, sha256: null });
    const { evaluation, version: updated } = await evaluate(version, 1);

    expect(evaluation.samples.map((sample) => sample.generated)).toEqual(['boring boring boring']);
    // The perplexity of the author's answers asked as evaluation asks them: with the twin's system prompt.
    const test = (await loadDatasetExamples(stores.artifacts, dataset, 'instruction')).test.slice(0, 1);
    const model = await GgufGenerator.load({ path, sha256: null }, { id: 'gguf:check' });
    const logProbabilities: number[] = [];
    try {
      for (const example of test) {
        const score = await model.score({
          messages: [
            { role: 'system', content: twinSystemPrompt('twin') },
            { role: 'user', content: example.instruction },
          ],
          answer: example.answer,
        });
        logProbabilities.push(...score.tokenLogProbabilities);
      }
    } finally {
      await model.close();
    }
    expect(evaluation.metrics.perplexity).toBe(perplexity(logProbabilities));
    // Nearly every token of an author's answer is one this model never says (log p ≈ −64).
    expect(Math.log(evaluation.metrics.perplexity ?? 0)).toBeGreaterThan(50);
    expect(updated.metrics).toEqual({
      rougeL: evaluation.metrics.rougeL,
      styleSimilarity: evaluation.metrics.styleSimilarity,
      perplexity: evaluation.metrics.perplexity,
      evalExamples: 1,
    });
  });

  it('evaluates an OpenAI-compatible endpoint with the twin’s system prompt and its key, without perplexity', async () => {
    replay.reset();
    replay.script({ sse: 'openai-chat-stream.sse' }, { sse: 'openai-chat-stream.sse' });
    const version = await register({ kind: 'openai-compatible', baseUrl: replay.baseUrl, model: 'ft:twin' });
    const { evaluation, version: updated } = await evaluate(version, 2);

    expect(evaluation.samples[0]?.generated).toMatch(/^I’d rather ship a small model/);
    expect(evaluation.metrics.perplexity).toBeUndefined();
    expect(updated.metrics).not.toHaveProperty('perplexity');
    const test = spreadAcrossDocuments(
      (await loadDatasetExamples(stores.artifacts, dataset, 'instruction')).test,
      2,
    );
    expect(replay.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer sk-eval',
      'Bearer sk-eval',
    ]);
    // Sent at once (an endpoint takes several requests), so in either order.
    const sent = replay.requests.map((request) => (request.body as { messages: unknown[] }).messages);
    expect(sent).toHaveLength(2);
    for (const example of test) {
      expect(sent).toContainEqual([
        { role: 'system', content: twinSystemPrompt('twin') },
        { role: 'user', content: example.instruction },
      ]);
    }
  });
});
