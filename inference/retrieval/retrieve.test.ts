import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../core/adapters/embedders/create-embedder.ts';
import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { loadConfig } from '../../core/config/load-config.ts';
import { chunkDocument } from '../../core/features/chunk-document.ts';
import { embedTexts } from '../../core/features/embed-texts.ts';
import { featureSetFromConfig } from '../../core/features/feature-set-from-config.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Embedder } from '../../core/ports/embedder.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import questions from '../../datasets/sample-author/questions.json' with { type: 'json' };
import { sampleAuthorDirectory } from '../../datasets/sample-author/sample-author.ts';
import {
  sampleRepositoryCommits,
  sampleRepositoryName,
} from '../../datasets/sample-author/sample-repository-files.ts';
import { type ChatReplayServer, startChatReplayServer } from './__fixtures__/chat-replay-server.ts';
import {
  cleanCorpusDocument,
  loadSampleAuthorCorpus,
  sampleAuthorId,
} from './__fixtures__/sample-author-corpus.ts';
import { ChatJsonClient } from './chat-json-client.ts';
import { LlmQueryUnderstanding } from './llm-query-understanding.ts';
import { type RetrievalResult, type RetrieveOptions, retrieve } from './retrieve.ts';

/**
 * Retrieval over the sample author's 37 documents (90 chunks with the default chunking), embedded
 * by the real USE-lite embedder into the real embedded store, as the feature pipeline would.
 */
const authors = [{ id: sampleAuthorId, name: 'Noor Halvorsen' }];
let vectors: SqliteVecVectorStore;
let embedder: Embedder;
let featureSet: FeatureSet;
const dependencies = () => ({ vectors, featureSet, embedder, logger: silentLogger });
const ask = (question: string, options: RetrieveOptions = {}) =>
  retrieve(question, { authors, ...options }, dependencies());
const documents = (result: RetrievalResult) => [
  ...new Set(result.chunks.map((chunk) => new URL(chunk.payload.url).pathname)),
];

beforeAll(async () => {
  const config = loadConfig({ env: {} });
  embedder = await createEmbedder(
    { provider: 'use-lite', workers: 1, batchSize: 16 },
    { logger: silentLogger },
  );
  featureSet = featureSetFromConfig(config.features.chunking, embedder);
  vectors = new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true });
  await vectors.ensureCollection(featureSet);
  const corpus = await loadSampleAuthorCorpus(sampleAuthorDirectory, {
    name: sampleRepositoryName,
    commits: sampleRepositoryCommits,
  });
  const chunks = corpus.flatMap((document) =>
    chunkDocument(cleanCorpusDocument(document, featureSet.id), featureSet.spec),
  );
  const embeddings = await embedTexts(
    embedder,
    chunks.map((chunk) => chunk.text),
  );
  await vectors.upsert(
    featureSet.id,
    chunks.map(({ id, tokenCount: _tokens, ...payload }, index) => ({
      id,
      vector: embeddings[index] as Float32Array,
      payload,
    })),
  );
});
afterAll(async () => {
  await embedder.close();
  await vectors.close();
});

describe('retrieval quality on the sample author', () => {
  /** Hit@1 and hit@3 over distinct documents, for the 15 labelled questions. */
  async function measure(options: RetrieveOptions) {
    let hitAt1 = 0;
    let hitAt3 = 0;
    for (const { question, expected } of questions.questions) {
      const rank = documents(await ask(question, { k: 10, ...options })).findIndex((path) =>
        path.endsWith(expected),
      );
      if (rank === 0) hitAt1 += 1;
      if (rank >= 0 && rank < 3) hitAt3 += 1;
    }
    return { hitAt1, hitAt3 };
  }

  it('finds the expected document in the top 3; hybrid beats dense', async () => {
    // Measured with USE-lite and the default chunking (out of 15):
    //   dense only                          hit@1  9  hit@3 11
    //   keyword (BM25) only                 hit@1 15  hit@3 15
    //   hybrid (RRF k=60, MMR lambda 0.7)   hit@1 11  hit@3 14
    //   hybrid + embedding-similarity rerank  hit@1 9  hit@3 11 (re-sorting by the dense signal
    //   alone undoes the fusion, which is why reranking is off by default without a cross-encoder)
    // The floors below are those numbers minus one question.
    const dense = await measure({ mode: 'dense', mmrLambda: 1, rerank: false });
    const hybrid = await measure({ mode: 'hybrid', rerank: false });
    const reranked = await measure({ mode: 'hybrid', rerank: true });
    expect(hybrid.hitAt3).toBeGreaterThanOrEqual(dense.hitAt3);
    expect(hybrid.hitAt1).toBeGreaterThanOrEqual(dense.hitAt1);
    expect(hybrid.hitAt3).toBeGreaterThanOrEqual(13);
    expect(hybrid.hitAt1).toBeGreaterThanOrEqual(10);
    expect(dense.hitAt3).toBeGreaterThanOrEqual(10);
    expect(reranked.hitAt3).toBeGreaterThanOrEqual(10);
  });

  it('times every stage and reports the scores of each chunk', async () => {
    const result = await ask('Why should a timestamp never be part of a dataset’s hash?', { rerank: true });
    expect(Object.keys(result.timings).sort()).toEqual(
      [
        'selfQueryMs',
        'expansionMs',
        'embedMs',
        'denseMs',
        'keywordMs',
        'fusionMs',
        'mmrMs',
        'rerankMs',
        'totalMs',
      ].sort(),
    );
    for (const value of Object.values(result.timings))
      expect(Number.isFinite(value) && value >= 0).toBe(true);
    expect(result.chunks).toHaveLength(5);
    expect(result.queries).toEqual(['Why should a timestamp never be part of a dataset’s hash?']);
    const [top] = result.chunks;
    expect(top?.payload.text).toMatch(/timestamp/i);
    expect(top?.scores).toMatchObject({
      dense: expect.any(Number),
      keyword: expect.any(Number),
      fused: expect.any(Number),
      rerank: expect.any(Number),
    });
  });
});

describe('filters from the question', () => {
  it('"on LinkedIn" searches only LinkedIn', async () => {
    const result = await ask('What did Noor post about rolling back a model on LinkedIn?');
    expect(result.filters).toEqual({ authorId: [sampleAuthorId], platform: ['linkedin'] });
    expect(result.queries).toEqual(['What did Noor post about rolling back a model?']);
    expect(result.chunks.length).toBeGreaterThan(0);
    expect(result.chunks.every((chunk) => chunk.payload.platform === 'linkedin')).toBe(true);
    // The share "Rolled back a model today in 11 seconds"; a LinkedIn article about rollback may come first.
    expect(documents(result).slice(0, 2)).toContain('/feed/update/urn%3Ali%3Ashare%3A7179463990117511168');
  });

  it('"articles from 2025" keeps articles published in 2025', async () => {
    const result = await ask('Which articles from 2025 are about crawlers?');
    expect(result.filters).toMatchObject({
      category: ['article'],
      publishedAfter: '2025-01-01T00:00:00.000Z',
      publishedBefore: '2026-01-01T00:00:00.000Z',
    });
    expect(result.chunks.length).toBeGreaterThan(0);
    for (const chunk of result.chunks) {
      expect(chunk.payload.category).toBe('article');
      expect(chunk.payload.publishedAt?.startsWith('2025-')).toBe(true);
    }
    expect(documents(result).slice(0, 2)).toEqual(expect.arrayContaining(['/posts/polite-crawlers.html']));
  });

  it('"in the code" searches the repository', async () => {
    const result = await ask('How is the point-in-time join done in the code?');
    expect(result.filters).toEqual({ category: ['repository'] });
    expect(result.chunks.every((chunk) => chunk.payload.category === 'repository')).toBe(true);
    expect(documents(result).slice(0, 2)).toContain(
      '/noorhalvorsen/tiny-feature-store/blob/main/src/point-in-time-join.ts',
    );
  });

  it('filters given by the caller win over the ones in the question; self-query can be turned off', async () => {
    const result = await ask('What did Noor write about drift on LinkedIn?', {
      filters: { platform: ['medium'] },
    });
    expect(result.filters.platform).toEqual(['medium']);
    expect(result.chunks.every((chunk) => chunk.payload.platform === 'medium')).toBe(true);
    const literal = await ask('rollback on LinkedIn', { selfQuery: false });
    expect(literal.filters).toEqual({});
    expect(literal.queries).toEqual(['rollback on LinkedIn']);
  });

  it('caps chunks per category', async () => {
    const result = await ask('How do I keep training and serving features the same?', {
      k: 10,
      perCategory: 1,
    });
    const categories = result.chunks.map((chunk) => chunk.payload.category);
    expect(new Set(categories).size).toBe(categories.length);
    expect(categories.length).toBeGreaterThan(1);
  });
});

describe('with an LLM for self-query and expansion (recorded chat completions)', () => {
  let server: ChatReplayServer;
  beforeAll(async () => {
    server = await startChatReplayServer();
  });
  afterAll(() => server.close());

  it('searches with the LLM’s filters and every rewrite', async () => {
    await server.play('self-query-linkedin-2024.json', 'expansion-rollback.json');
    const understanding = new LlmQueryUnderstanding(
      new ChatJsonClient({
        baseUrl: server.baseUrl,
        model: 'gpt-4o-mini',
        apiKey: 'sk-test',
        temperature: 0,
        timeoutMs: 5_000,
        retries: 0,
      }),
    );
    const result = await retrieve(
      'What did Noor post about rolling back models on LinkedIn in 2024?',
      { authors, expansions: 2, now: new Date('2026-05-01T00:00:00Z') },
      { ...dependencies(), understanding },
    );
    expect(result.filters).toEqual({
      authorId: [sampleAuthorId],
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
    expect(server.requests).toHaveLength(2);
    for (const chunk of result.chunks) {
      expect(chunk.payload).toMatchObject({ platform: 'linkedin', category: 'post' });
      expect(chunk.payload.publishedAt?.startsWith('2024-')).toBe(true);
    }
    expect(result.chunks[0]?.payload.text).toMatch(/Rolled back a model today in 11 seconds/);
  });
});

describe('the skew guard', () => {
  it('refuses to query a feature set built with another embedder, before any other work', async () => {
    const otherEmbedder = {
      ...featureSet,
      spec: {
        ...featureSet.spec,
        embedder: { id: 'transformers:all-MiniLM-L6-v2@0a1b2c3d4e5f:mean', dimensions: 384 },
      },
    };
    await expect(retrieve('rollback', {}, { ...dependencies(), featureSet: otherEmbedder })).rejects.toThrow(
      /was built with embedder transformers:all-MiniLM-L6-v2@0a1b2c3d4e5f:mean \(384-d\), but use-lite@[\d.]+ \(512-d\) is configured/,
    );
    // Same size, other model: still refused, never searched with silently.
    const sameSize = {
      ...featureSet,
      spec: { ...featureSet.spec, embedder: { id: 'use-lite@9.9.9', dimensions: 512 } },
    };
    await expect(retrieve('rollback', {}, { ...dependencies(), featureSet: sameSize })).rejects.toMatchObject(
      {
        name: 'ValidationError',
        message: expect.stringMatching(/configure the same embedder or build a new feature set/),
      },
    );
  });
});
