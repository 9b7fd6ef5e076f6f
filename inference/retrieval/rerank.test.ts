import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { ConfigError } from '../../core/errors.ts';
import { featureSetFromConfig } from '../../core/features/feature-set-from-config.ts';
import { deterministicUuid } from '../../core/hashing.ts';
import { silentLogger } from '../../core/logger.ts';
import { BagOfWordsEmbedder } from './__fixtures__/bag-of-words-embedder.ts';
import { writeTinyCrossEncoder } from './__fixtures__/write-tiny-cross-encoder.ts';
import { CrossEncoderReranker } from './cross-encoder-reranker.ts';
import { EmbeddingSimilarityReranker } from './embedding-similarity-reranker.ts';
import { type Reranker, rerank } from './rerank.ts';
import { retrieve } from './retrieve.ts';

const vector = (...values: number[]) => Float32Array.from(values);
const passage = (id: string, text: string, values: number[] = [1, 0]) => ({
  id,
  text,
  vector: vector(...values),
});

describe('EmbeddingSimilarityReranker', () => {
  it('scores passages by the cosine between the query vector and their stored vectors', async () => {
    const reranker = new EmbeddingSimilarityReranker();
    const scores = await reranker.score({
      query: 'ignored',
      queryVector: vector(1, 0),
      passages: [passage('a', 'x', [0, 1]), passage('b', 'y', [1, 1]), passage('c', 'z', [2, 0])],
    });
    expect(scores.map((score) => Number(score.toFixed(6)))).toEqual([0, Number(Math.SQRT1_2.toFixed(6)), 1]);
  });
});

describe('rerank', () => {
  const fixed = (scores: number[]): Reranker => ({
    id: 'fixed',
    score: async () => scores,
    close: async () => {},
  });
  const request = { query: 'q', queryVector: vector(1, 0) };

  it('orders by score, best first, keeping retrieval order on ties', async () => {
    const passages = [passage('a', 'a'), passage('b', 'b'), passage('c', 'c')];
    const ordered = await rerank(fixed([0.2, 0.9, 0.2]), { ...request, passages });
    expect(ordered.map((entry) => [entry.passage.id, entry.score])).toEqual([
      ['b', 0.9],
      ['a', 0.2],
      ['c', 0.2],
    ]);
    expect(await rerank(fixed([]), { ...request, passages: [] })).toEqual([]);
  });

  it('refuses a reranker that returns the wrong number of scores', async () => {
    await expect(
      rerank(fixed([1]), { ...request, passages: [passage('a', 'a'), passage('b', 'b')] }),
    ).rejects.toThrow(/returned 1 scores for 2 passages/);
  });
});

describe('CrossEncoderReranker (tiny ONNX cross-encoder written by the test)', () => {
  let folder: string;
  let reranker: CrossEncoderReranker;
  const query = 'How fast is a model rollback?';
  const passages = [
    passage('dog', 'The dog wants a walk in the park.'),
    passage('rollback', 'A model rollback is an alias move: production points back at the previous version.'),
    passage('crawler', 'A polite crawler reads robots and waits per host.'),
    passage('fast-rollback', 'Rollback of the model took eleven seconds. Fast rollback, fast sleep.'),
    passage('bread', 'Bread needs a warm oven.'),
  ];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'twin-cross-encoder-'));
    reranker = await CrossEncoderReranker.create({
      modelPath: await writeTinyCrossEncoder(join(folder, 'tiny-cross-encoder')),
      maxBatchSize: 2,
    });
  });
  afterAll(async () => {
    await reranker.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('reads query and passage together and scores shared content words', async () => {
    expect(reranker.id).toBe('cross-encoder:tiny-cross-encoder');
    const scores = await reranker.score({ query, queryVector: vector(1), passages });
    expect(scores).toHaveLength(passages.length);
    const ordered = await rerank(reranker, { query, queryVector: vector(1), passages });
    expect(ordered.map((entry) => entry.passage.id).slice(0, 2)).toEqual(['fast-rollback', 'rollback']);
    expect(scores[0]).toBe(0);
    expect(scores[4]).toBe(0);
    expect(scores[3]).toBeGreaterThan(scores[1] ?? Number.POSITIVE_INFINITY);
  });

  it('scores a pair the same whatever batch it is in (padding does not leak)', async () => {
    const batched = await reranker.score({ query, queryVector: vector(1), passages });
    const alone = await Promise.all(
      passages.map(
        async (entry) => (await reranker.score({ query, queryVector: vector(1), passages: [entry] }))[0],
      ),
    );
    alone.forEach((score, index) => {
      expect(score).toBeCloseTo(batched[index] ?? Number.NaN, 5);
    });
  });

  it('reranks retrieve() results and reports the rerank score of each chunk', async () => {
    // Retrieval favours the zebra passage (three matches of a rare query word); the cross-encoder
    // does not know the word and puts the passages about rollback first.
    const stored = [...passages, passage('zebra', 'zebra zebra zebra crossing')];
    const question = 'zebra zebra zebra model rollback';
    const embedder = new BagOfWordsEmbedder();
    const featureSet = featureSetFromConfig(
      {
        article: { chunkSize: 256, chunkOverlap: 32, strategy: 'prose' },
        post: { chunkSize: 128, chunkOverlap: 16, strategy: 'prose' },
        repository: { chunkSize: 384, chunkOverlap: 32, strategy: 'code' },
      },
      embedder,
    );
    const vectors = new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true });
    await vectors.ensureCollection(featureSet);
    const embeddings = await embedder.embed(stored.map((entry) => entry.text));
    await vectors.upsert(
      featureSet.id,
      stored.map((entry, index) => ({
        id: deterministicUuid(featureSet.id, entry.id, '0'),
        vector: embeddings[index] as Float32Array,
        payload: {
          authorId: 'ada',
          platform: 'web',
          category: 'article',
          documentId: entry.id,
          url: `https://example.com/${entry.id}`,
          title: entry.id,
          publishedAt: null,
          chunkIndex: 0,
          featureSetId: featureSet.id,
          text: entry.text,
        },
      })),
    );
    const dependencies = { vectors, featureSet, embedder, reranker, logger: silentLogger };
    const unranked = await retrieve(question, { k: 2, rerank: false }, dependencies);
    expect(unranked.chunks[0]?.payload.documentId).toBe('zebra');
    expect(unranked.chunks.every((chunk) => chunk.scores.rerank === null)).toBe(true);
    // A configured reranker is used by default.
    const result = await retrieve(question, { k: 3 }, dependencies);
    expect(
      result.chunks
        .map((chunk) => chunk.payload.documentId)
        .slice(0, 2)
        .sort(),
    ).toEqual(['fast-rollback', 'rollback']);
    expect(result.chunks[0]?.scores.rerank).toBeGreaterThan(0);
    expect(result.chunks.find((chunk) => chunk.payload.documentId === 'zebra')?.scores.rerank ?? 0).toBe(0);
    await vectors.close();
  });

  it('names what is missing from a model folder, and never downloads', async () => {
    const error = await CrossEncoderReranker.create({ modelPath: join(folder, 'nothing-here') }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/nothing-here is not a folder.*never downloaded/);
    const quantized = await CrossEncoderReranker.create({
      modelPath: join(folder, 'tiny-cross-encoder'),
      quantized: true,
    }).catch((caught: unknown) => caught);
    expect(String(quantized)).toMatch(/missing onnx\/model_quantized\.onnx/);
  });

  it('refuses to score once closed', async () => {
    const closing = await CrossEncoderReranker.create({ modelPath: join(folder, 'tiny-cross-encoder') });
    await closing.close();
    await expect(closing.score({ query, queryVector: vector(1), passages })).rejects.toThrow(/closed/);
  });
});
