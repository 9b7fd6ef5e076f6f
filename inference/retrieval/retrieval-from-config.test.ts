import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrievalConfig } from '../../core/config/config-schema.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { modelEndpoints } from '../../core/config/model-endpoints.ts';
import { ConfigError } from '../../core/errors.ts';
import { BatchPayload } from '../../core/jobs/job-contracts.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Category, Platform } from '../../core/types/category.ts';
import {
  type EmbeddedApiStores,
  openEmbeddedApiStores,
  testEndpoints,
} from '../api/__fixtures__/embedded-api-stores.ts';
import { createApp } from '../api/create-app.ts';
import { runBatch } from '../batch/run-batch.ts';
import { createGenerator } from '../generation/create-generator.ts';
import { GeneratorCache } from '../generation/generator-cache.ts';
import type { InferenceDependencies } from '../inference-dependencies.ts';
import { resolveServing } from '../serving/resolve-serving.ts';
import { retrieveForServing } from '../serving/retrieve-for-serving.ts';
import { BagOfWordsEmbedder } from './__fixtures__/bag-of-words-embedder.ts';
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import { writeTinyCrossEncoder } from './__fixtures__/write-tiny-cross-encoder.ts';
import { retrievalFromConfig, withConfiguredRetrieval } from './retrieval-from-config.ts';

type Passage = { id: string; text: string; platform: Platform; category: Category; publishedAt: string };
const passages: Passage[] = [
  {
    id: 'dog',
    text: 'The dog wants a walk in the park.',
    platform: 'web',
    category: 'article',
    publishedAt: '2025-02-01',
  },
  {
    id: 'rollback',
    text: 'A model rollback is an alias move: production points back at the previous version.',
    platform: 'web',
    category: 'article',
    publishedAt: '2025-03-01',
  },
  {
    id: 'crawler',
    text: 'A polite crawler reads robots and waits per host.',
    platform: 'medium',
    category: 'article',
    publishedAt: '2024-05-01',
  },
  {
    id: 'fast-rollback',
    text: 'Rollback of the model took eleven seconds. Fast rollback, fast sleep.',
    platform: 'linkedin',
    category: 'post',
    publishedAt: '2024-06-01',
  },
  {
    id: 'bread',
    text: 'Bread needs a warm oven.',
    platform: 'web',
    category: 'article',
    publishedAt: '2025-04-01',
  },
  {
    id: 'zebra',
    text: 'zebra zebra zebra crossing',
    platform: 'web',
    category: 'article',
    publishedAt: '2025-05-01',
  },
];

const llmEndpoint = {
  model: 'gpt-4o-mini',
  apiKey: null,
  temperature: 0,
  timeoutMs: 5000,
  retries: 0,
  concurrency: 1,
  inputCostPerMillion: null,
  outputCostPerMillion: null,
};

describe('retrieval configuration reaches retrieve() through the API', () => {
  const folder = mkdtempSync(join(tmpdir(), 'twin-retrieval-config-'));
  let stores: EmbeddedApiStores;
  let base: InferenceDependencies;
  let replay: ChatReplayServer;
  let crossEncoderFolder: string;
  const embedder = new BagOfWordsEmbedder();

  /**
   * The dependencies `twin serve` builds, for a configuration with these retrieval settings and
   * this OpenAI key (configured for OpenAI's own origin).
   */
  const configured = (
    settings: Partial<RetrievalConfig>,
    openaiKey: string | null = null,
    generators?: GeneratorCache,
  ) => {
    const retrieval = { ...base.config.retrieval, ...settings };
    const components = retrievalFromConfig(
      retrieval,
      modelEndpoints({ baseUrl: 'https://api.openai.com/v1', apiKey: openaiKey, timeoutMs: 60_000 }),
      silentLogger,
    );
    return {
      dependencies: stores.dependencies({
        config: { retrieval },
        retrieval: components,
        ...(generators ? { generators } : {}),
      }),
      close: components.close,
    };
  };
  const search = async (dependencies: InferenceDependencies, body: Record<string, unknown>) => {
    const { app } = createApp(dependencies);
    const response = await app.request('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as {
      filters: Record<string, unknown>;
      queries: string[];
      results: {
        payload: { documentId: string };
        scores: { dense: number | null; keyword: number | null; rerank: number | null };
      }[];
    };
  };

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: folder, logLevel: 'silent' } });
    stores = await openEmbeddedApiStores(folder, config, { embedder });
    const author = await stores.metadata.documents.upsertAuthor('Noor Halvorsen');
    await stores.storeChunks(
      passages.map((entry) => [
        entry.id,
        entry.text,
        {
          authorId: author.id,
          platform: entry.platform,
          category: entry.category,
          publishedAt: `${entry.publishedAt}T00:00:00.000Z`,
        },
      ]),
    );
    base = stores.dependencies();
    replay = await startChatReplayServer();
    crossEncoderFolder = await writeTinyCrossEncoder(join(folder, 'tiny-cross-encoder'));
  });
  afterAll(async () => {
    await replay.close();
    await stores.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('uses the configured k and mode; a request’s own values win', async () => {
    const serving = await resolveServing(base, undefined);
    const question = 'model rollback seconds';
    const two = configured({ k: 2 });
    const retrieved = await retrieveForServing(question, {}, serving, two.dependencies);
    expect(retrieved.chunks).toHaveLength(2);
    const four = configured({ k: 4 });
    expect((await retrieveForServing(question, {}, serving, four.dependencies)).chunks).toHaveLength(4);
    // An optional field the request left out does not erase the configured value.
    expect(
      (await retrieveForServing(question, { k: 3, mode: undefined }, serving, two.dependencies)).chunks,
    ).toHaveLength(3);
    expect(withConfiguredRetrieval(two.dependencies.config.retrieval, { k: undefined }).k).toBe(2);

    const keywordOnly = configured({ k: 3, mode: 'keyword' });
    const keyword = await retrieveForServing(question, {}, serving, keywordOnly.dependencies);
    expect(keyword.chunks.length).toBeGreaterThan(0);
    expect(
      keyword.chunks.every((chunk) => chunk.scores.dense === null && chunk.scores.keyword !== null),
    ).toBe(true);
    // Through the API: the search route's own mode wins over the configured one.
    const dense = await search(keywordOnly.dependencies, { query: question, mode: 'dense', k: 2 });
    expect(dense.results).toHaveLength(2);
    expect(
      dense.results.every((result) => result.scores.keyword === null && result.scores.dense !== null),
    ).toBe(true);
  });

  it('reranks with the configured cross-encoder folder, loaded once', async () => {
    const { dependencies, close } = configured({
      k: 3,
      reranker: { modelPath: crossEncoderFolder, quantized: false },
    });
    try {
      const first = await dependencies.reranker();
      expect(first?.id).toBe('cross-encoder:tiny-cross-encoder');
      expect(await dependencies.reranker()).toBe(first);
      // Retrieval alone favours the zebra passage (three matches of a rare word); the cross-encoder
      // does not know the word and puts the two passages about rollback first.
      const question = 'zebra zebra zebra model rollback';
      const unranked = await search(base, { query: question, k: 3 });
      expect(unranked.results[0]?.payload.documentId).toBe('zebra');
      expect(unranked.results.every((result) => result.scores.rerank === null)).toBe(true);
      const reranked = await search(dependencies, { query: question, k: 3 });
      expect(
        reranked.results
          .slice(0, 2)
          .map((result) => result.payload.documentId)
          .sort(),
      ).toEqual(['fast-rollback', 'rollback']);
      expect(reranked.results[0]?.scores.rerank).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('batch jobs retrieve with the configured reranker too', async () => {
    const generators = new GeneratorCache({
      create: (version) =>
        createGenerator(version, {
          artifacts: base.artifacts,
          logger: base.logger,
          endpoints: testEndpoints,
        }),
    });
    const plain = stores.dependencies({ generators });
    const { dependencies, close } = configured(
      { k: 3, reranker: { modelPath: crossEncoderFolder, quantized: false } },
      null,
      generators,
    );
    const sourcesOf = async (batchDependencies: InferenceDependencies, name: string) => {
      await base.artifacts.put(
        `batches/${name}/input.jsonl`,
        `${JSON.stringify({ id: 'q1', prompt: 'zebra zebra zebra model rollback' })}\n`,
      );
      const result = await runBatch(
        BatchPayload.parse({
          inputKey: `batches/${name}/input.jsonl`,
          outputKey: `batches/${name}/results.jsonl`,
        }),
        { progress: async () => {}, log: async () => {}, signal: new AbortController().signal },
        batchDependencies,
      );
      expect(result.succeeded).toBe(1);
      const line = JSON.parse(new TextDecoder().decode(await base.artifacts.get(result.outputKey)));
      return (line.sources as { documentId: string }[]).map((source) => source.documentId);
    };
    try {
      expect((await sourcesOf(plain, 'plain'))[0]).toBe('zebra');
      const reranked = await sourcesOf(dependencies, 'reranked');
      expect(reranked.slice(0, 2).sort()).toEqual(['fast-rollback', 'rollback']);
    } finally {
      await generators.close();
      await close();
    }
  });

  it('fails with the folder’s problem when the configured cross-encoder cannot load', async () => {
    const { dependencies } = configured({
      reranker: { modelPath: join(folder, 'no-such-model'), quantized: false },
    });
    const error = await dependencies.reranker().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/no-such-model is not a folder/);
  });

  it('reads filters and rewrites from the configured query LLM, without the OpenAI key', async () => {
    replay.reset();
    await replay.play('self-query-linkedin-2024.json', 'expansion-rollback.json');
    // An OpenAI key is configured, but the query LLM is a local server: it must not receive it.
    const { dependencies } = configured(
      { k: 3, expansions: 2, queryLlm: { ...llmEndpoint, baseUrl: replay.baseUrl } },
      'sk-openai-secret-key',
    );
    expect(dependencies.understanding?.id).toBe('llm:gpt-4o-mini');
    const result = await search(dependencies, {
      query: 'What did Noor post about rolling back models on LinkedIn in 2024?',
    });
    expect(result.filters).toEqual({
      authorId: ['noor-halvorsen'],
      platform: ['linkedin'],
      category: ['post'],
      publishedAfter: '2024-01-01T00:00:00.000Z',
      publishedBefore: '2025-01-01T00:00:00.000Z',
    });
    expect(result.queries).toEqual([
      'What did Noor post about rolling back models?',
      'rolling back a model in seconds with an alias move',
      'how fast can a model rollback be',
    ]);
    expect(result.results.map((entry) => entry.payload.documentId)).toEqual(['fast-rollback']);
    expect(replay.requests).toHaveLength(2);
    expect(replay.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });

  it('sends the OpenAI key to a query LLM on the key’s own origin', async () => {
    replay.reset();
    await replay.play('expansion-rollback.json');
    // The replay server stands in for OpenAI here: the key's owner and the query LLM share its origin.
    const rewrites = await retrievalFromConfig(
      { ...base.config.retrieval, queryLlm: { ...llmEndpoint, baseUrl: replay.baseUrl } },
      modelEndpoints({ baseUrl: replay.baseUrl, apiKey: 'sk-openai-secret-key', timeoutMs: 60_000 }),
      silentLogger,
    ).understanding?.expand('What did Noor post about rolling back models?', 2);
    expect(rewrites).toEqual([
      'rolling back a model in seconds with an alias move',
      'how fast can a model rollback be',
    ]);
    expect(replay.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer sk-openai-secret-key',
    ]);
  });
});
