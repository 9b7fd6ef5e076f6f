import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../core/adapters/sqlite/open-sqlite-database.ts';
import { SqliteVecVectorStore } from '../../core/adapters/sqlite-vec/sqlite-vec-vector-store.ts';
import { featureSetFromConfig } from '../../core/features/feature-set-from-config.ts';
import { deterministicUuid } from '../../core/hashing.ts';
import type { VectorStore } from '../../core/ports/vector-store.ts';
import type { Category, Platform } from '../../core/types/category.ts';
import type { FeatureSet } from '../../core/types/feature-set.ts';
import { BagOfWordsEmbedder } from './__fixtures__/bag-of-words-embedder.ts';
import { type HybridSearchOptions, hybridSearch } from './hybrid-search.ts';

const chunking = {
  article: { chunkSize: 256, chunkOverlap: 32, strategy: 'prose' as const },
  post: { chunkSize: 128, chunkOverlap: 16, strategy: 'prose' as const },
  repository: { chunkSize: 384, chunkOverlap: 32, strategy: 'code' as const },
};

type Document = {
  id: string;
  text: string;
  platform?: Platform;
  category?: Category;
  publishedAt?: string | null;
};

const documents: Document[] = [
  {
    id: 'rollback-post',
    text: 'rollback alias move took eleven seconds',
    platform: 'linkedin',
    category: 'post',
  },
  {
    id: 'rollback-article',
    text: 'rollback alias move production model version registry',
    publishedAt: '2024-03-28T09:10:00Z',
  },
  { id: 'rollback-copy', text: 'rollback alias move production model version registry again' },
  { id: 'crawler', text: 'polite crawler robots delay per host', publishedAt: '2025-01-22T09:45:00Z' },
  { id: 'join', text: 'point in time join binary search labels', platform: 'github', category: 'repository' },
  {
    id: 'old-rollback',
    text: 'a note on rollback from long ago about other things',
    publishedAt: '2022-06-01T00:00:00Z',
  },
  { id: 'undated-rollback', text: 'rollback alias move eleven', publishedAt: null },
];

describe('hybridSearch', () => {
  let vectors: VectorStore;
  let embedder: BagOfWordsEmbedder;
  let featureSet: FeatureSet;
  const options = (overrides: Partial<HybridSearchOptions> = {}): HybridSearchOptions => ({
    filters: {},
    mode: 'hybrid',
    candidates: 20,
    rrfK: 60,
    perCategory: null,
    limit: 10,
    mmrLambda: 1,
    ...overrides,
  });
  const search = (queries: string[], overrides: Partial<HybridSearchOptions> = {}) =>
    hybridSearch(queries, options(overrides), { vectors, featureSet, embedder });
  const ids = (result: { candidates: { payload: { documentId: string } }[] }) =>
    result.candidates.map((candidate) => candidate.payload.documentId);

  beforeEach(async () => {
    vectors = new SqliteVecVectorStore(openSqliteDatabase(':memory:'), { ownsDatabase: true });
    embedder = new BagOfWordsEmbedder();
    featureSet = featureSetFromConfig(chunking, embedder);
    await vectors.ensureCollection(featureSet);
    const embeddings = await embedder.embed(documents.map((document) => document.text));
    await vectors.upsert(
      featureSet.id,
      documents.map((document, index) => ({
        id: deterministicUuid(featureSet.id, document.id, '0'),
        vector: embeddings[index] as Float32Array,
        payload: {
          authorId: 'ada',
          platform: document.platform ?? 'web',
          category: document.category ?? 'article',
          documentId: document.id,
          url: `https://example.com/${document.id}`,
          title: document.id,
          publishedAt: document.publishedAt === undefined ? '2024-06-01T00:00:00Z' : document.publishedAt,
          chunkIndex: 0,
          featureSetId: featureSet.id,
          text: document.text,
        },
      })),
    );
    embedder.embedded = 0;
  });
  afterEach(() => vectors.close());

  it('fuses dense and keyword lists: each candidate carries both scores and its RRF score', async () => {
    const result = await search(['rollback alias move']);
    expect(ids(result).slice(0, 2).sort()).toEqual(['rollback-post', 'undated-rollback']);
    const top = result.candidates[0];
    expect(top?.scores.dense).toBeGreaterThan(0.5);
    expect(top?.scores.keyword).toBeGreaterThan(0);
    // First in both lists: 2 / (60 + 1).
    expect(top?.scores.fused).toBeCloseTo(2 / 61, 10);
    // A chunk sharing no word is in the dense list (every vector has a cosine) but not in the keyword list.
    const unrelated = result.candidates.find((candidate) => candidate.payload.documentId === 'join');
    expect(unrelated?.scores.keyword).toBeNull();
    expect(unrelated?.scores.dense).not.toBeNull();
    expect(result.queryVector).toHaveLength(embedder.dimensions);
  });

  it('searches one signal only in dense and keyword modes', async () => {
    const keyword = await search(['crawler robots'], { mode: 'keyword' });
    expect(ids(keyword)).toEqual(['crawler']);
    expect(keyword.candidates[0]?.scores.dense).toBeNull();
    const dense = await search(['crawler robots'], { mode: 'dense' });
    expect(dense.candidates).toHaveLength(documents.length);
    expect(dense.candidates.every((candidate) => candidate.scores.keyword === null)).toBe(true);
  });

  it('searches every query variant and fuses them all', async () => {
    const single = await search(['binary search labels'], { mode: 'keyword' });
    expect(ids(single)).toEqual(['join']);
    const expanded = await search(['binary search labels', 'polite crawler'], { mode: 'keyword' });
    expect(ids(expanded).sort()).toEqual(['crawler', 'join']);
    expect(embedder.embedded).toBe(2);
  });

  it('applies payload filters in the store and date filters on publishedAt, looking deeper to keep results', async () => {
    const linkedin = await search(['rollback'], { filters: { platform: ['linkedin'] } });
    expect(ids(linkedin)).toEqual(['rollback-post']);
    // Newer chunks with all three words outrank the 2022 one in both lists; with 2 candidates per
    // list the date filter would leave nothing if the store were not asked for more first.
    const old = await search(['rollback alias move'], {
      candidates: 2,
      filters: { publishedBefore: '2023-01-01T00:00:00.000Z' },
    });
    expect(ids(old)).toEqual(['old-rollback']);
    const recent = await search(['rollback alias eleven'], {
      filters: { publishedAfter: '2024-01-01T00:00:00.000Z', publishedBefore: '2025-01-01T00:00:00.000Z' },
    });
    expect(ids(recent)).not.toContain('undated-rollback');
    expect(ids(recent)).not.toContain('old-rollback');
    expect(ids(recent)).not.toContain('crawler');
    expect(ids(recent)).toContain('rollback-post');
  });

  it('caps chunks per category after fusion', async () => {
    const result = await search(['rollback alias robots join'], { perCategory: 1 });
    const categories = result.candidates.map((candidate) => candidate.payload.category);
    expect(categories.sort()).toEqual(['article', 'post', 'repository']);
  });

  it('diversifies with MMR: a near-copy of a pick gives way to something different', async () => {
    const query = ['production model version registry crawler'];
    const plain = await search(query, { mode: 'dense', limit: 2, mmrLambda: 1 });
    expect(ids(plain).sort()).toEqual(['rollback-article', 'rollback-copy']);
    const diverse = await search(query, { mode: 'dense', limit: 2, mmrLambda: 0.3 });
    expect(ids(diverse)).toHaveLength(2);
    expect(ids(diverse)).toContain('crawler');
  });

  it('refuses a feature set built with another embedder before searching anything (the skew guard)', async () => {
    const other = new BagOfWordsEmbedder('bag-of-words@other', 64);
    await expect(
      hybridSearch(['rollback'], options(), { vectors, featureSet, embedder: other }),
    ).rejects.toThrow(
      new RegExp(
        `feature set ${featureSet.id} was built with embedder bag-of-words@test \\(64-d\\), but bag-of-words@other \\(64-d\\) is configured`,
      ),
    );
    expect(other.embedded).toBe(0);
  });

  it('rejects a question with nothing to search for', async () => {
    await expect(search(['  ', '\u200b'])).rejects.toThrow(/empty/);
  });
});
