import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deterministicUuid } from '../hashing.ts';
import type { VectorPoint, VectorStore } from '../ports/vector-store.ts';
import type { Category, Platform } from '../types/category.ts';
import type { FeatureSet } from '../types/feature-set.ts';

const dimensions = 8;

export const contractFeatureSet: FeatureSet = {
  id: 'fs_0123456789ab',
  spec: {
    cleanerVersion: 'test',
    chunking: {
      article: { chunkSize: 64, chunkOverlap: 8, strategy: 'prose' },
      post: { chunkSize: 64, chunkOverlap: 8, strategy: 'prose' },
      repository: { chunkSize: 64, chunkOverlap: 8, strategy: 'code' },
    },
    embedder: { id: 'test-embedder', dimensions },
  },
  createdAt: '2026-01-01T00:00:00.000Z',
};

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / norm);
}

function point(
  documentId: string,
  chunkIndex: number,
  vector: number[],
  fields: { authorId?: string; platform?: Platform; category?: Category; text?: string; title?: string } = {},
): VectorPoint {
  return {
    id: deterministicUuid(contractFeatureSet.id, documentId, String(chunkIndex)),
    vector: unit(vector),
    payload: {
      authorId: fields.authorId ?? 'ada',
      platform: fields.platform ?? 'web',
      category: fields.category ?? 'article',
      documentId,
      url: `https://example.com/${documentId}`,
      title: fields.title ?? `Title of ${documentId}`,
      publishedAt: '2026-01-02T00:00:00.000Z',
      chunkIndex,
      featureSetId: contractFeatureSet.id,
      text: fields.text ?? `chunk ${chunkIndex} of ${documentId}`,
    },
  };
}

const axis = (index: number, noise = 0) =>
  Array.from({ length: dimensions }, (_, position) => (position === index ? 1 : noise));

/** The behaviour every VectorStore adapter must have. */
export function runVectorStoreContract(name: string, create: () => Promise<VectorStore>) {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    beforeEach(async () => {
      store = await create();
      await store.ensureCollection(contractFeatureSet);
    });
    afterEach(async () => {
      await store.dropCollection(contractFeatureSet.id);
      await store.close();
    });

    it('ensures a collection idempotently', async () => {
      await store.ensureCollection(contractFeatureSet);
      expect(await store.count(contractFeatureSet.id)).toBe(0);
    });

    it('upserts by id: writing a point again replaces it', async () => {
      await store.upsert(contractFeatureSet.id, [point('d1', 0, axis(0)), point('d1', 1, axis(1))]);
      await store.upsert(contractFeatureSet.id, [point('d1', 0, axis(2))]);
      expect(await store.count(contractFeatureSet.id)).toBe(2);
      const [hit] = await store.search(contractFeatureSet.id, unit(axis(2)), { k: 1 });
      expect(hit?.id).toBe(point('d1', 0, axis(0)).id);
      expect(hit?.score).toBeCloseTo(1, 5);
      const stored = await store.getVector(contractFeatureSet.id, point('d1', 0, axis(0)).id);
      expect(Array.from(stored ?? [])).toEqual(Array.from(unit(axis(2))));
    });

    it('returns the top-k by cosine similarity, best first, with payloads', async () => {
      await store.upsert(contractFeatureSet.id, [
        point('d1', 0, axis(0)),
        point('d2', 0, axis(0, 0.3)),
        point('d3', 0, axis(1)),
      ]);
      const hits = await store.search(contractFeatureSet.id, unit(axis(0)), { k: 2 });
      expect(hits.map((hit) => hit.payload.documentId)).toEqual(['d1', 'd2']);
      expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? 1);
      expect(hits[0]?.payload).toMatchObject({ title: 'Title of d1', chunkIndex: 0, text: 'chunk 0 of d1' });
    });

    it('filters on author, platform, category and document inside the search', async () => {
      await store.upsert(contractFeatureSet.id, [
        point('d1', 0, axis(0), { authorId: 'ada', platform: 'web', category: 'article' }),
        point('d2', 0, axis(0, 0.1), { authorId: 'bob', platform: 'medium', category: 'article' }),
        point('d3', 0, axis(0, 0.2), { authorId: 'ada', platform: 'linkedin', category: 'post' }),
        point('d4', 0, axis(3), { authorId: 'ada', platform: 'github', category: 'repository' }),
      ]);
      const query = unit(axis(0));
      const byAuthor = await store.search(contractFeatureSet.id, query, {
        k: 10,
        filter: { authorId: 'bob' },
      });
      expect(byAuthor.map((hit) => hit.payload.documentId)).toEqual(['d2']);
      const byCategory = await store.search(contractFeatureSet.id, query, {
        k: 10,
        filter: { authorId: 'ada', category: ['post', 'repository'] },
      });
      expect(byCategory.map((hit) => hit.payload.documentId)).toEqual(['d3', 'd4']);
      const byPlatform = await store.search(contractFeatureSet.id, query, {
        k: 1,
        filter: { platform: 'linkedin' },
      });
      expect(byPlatform.map((hit) => hit.payload.documentId)).toEqual(['d3']);
      expect(await store.count(contractFeatureSet.id, { authorId: 'ada' })).toBe(3);
      expect(await store.search(contractFeatureSet.id, query, { k: 5, filter: { category: [] } })).toEqual(
        [],
      );
    });

    it('a filter keeps k results even when the best matches are filtered out', async () => {
      const points = Array.from({ length: 30 }, (_, index) =>
        point(`d${index}`, 0, axis(0, index / 100), { authorId: index < 25 ? 'ada' : 'bob' }),
      );
      await store.upsert(contractFeatureSet.id, points);
      const hits = await store.search(contractFeatureSet.id, unit(axis(0)), {
        k: 5,
        filter: { authorId: 'bob' },
      });
      expect(hits).toHaveLength(5);
      expect(new Set(hits.map((hit) => hit.payload.authorId))).toEqual(new Set(['bob']));
    });

    it('deletes by document and lists a document’s points in chunk order', async () => {
      await store.upsert(contractFeatureSet.id, [
        point('d1', 1, axis(1)),
        point('d1', 0, axis(0)),
        point('d2', 0, axis(2)),
      ]);
      expect(await store.listDocumentPoints(contractFeatureSet.id, 'd1')).toEqual([
        point('d1', 0, axis(0)).id,
        point('d1', 1, axis(0)).id,
      ]);
      expect(await store.deleteByDocument(contractFeatureSet.id, 'd1')).toBe(2);
      expect(await store.count(contractFeatureSet.id)).toBe(1);
      expect(await store.listDocumentPoints(contractFeatureSet.id, 'd1')).toEqual([]);
    });

    it('rejects vectors of the wrong size with a clear error', async () => {
      const bad = { ...point('d1', 0, axis(0)), vector: new Float32Array(3) };
      await expect(store.upsert(contractFeatureSet.id, [bad])).rejects.toThrow(/dimensions/);
      await expect(store.search(contractFeatureSet.id, new Float32Array(3), { k: 1 })).rejects.toThrow(
        /dimensions/,
      );
      expect(await store.count(contractFeatureSet.id)).toBe(0);
    });

    it('a failed batch writes nothing', async () => {
      const good = point('d1', 0, axis(0));
      const bad = { ...point('d2', 0, axis(1)), vector: new Float32Array(2) };
      await expect(store.upsert(contractFeatureSet.id, [good, bad])).rejects.toThrow();
      expect(await store.count(contractFeatureSet.id)).toBe(0);
    });

    it('searching an unknown feature set is a clear error', async () => {
      await expect(store.search('fs_ffffffffffff', unit(axis(0)), { k: 1 })).rejects.toThrow(
        /fs_ffffffffffff/,
      );
      await expect(store.keywordSearch('fs_ffffffffffff', 'rollback', { k: 1 })).rejects.toThrow(
        /fs_ffffffffffff/,
      );
    });

    it('points the serving alias at a feature set, switches it, and refuses an unknown one', async () => {
      expect(await store.servingFeatureSet()).toBeNull();
      await store.setServingFeatureSet(contractFeatureSet.id);
      expect(await store.servingFeatureSet()).toBe(contractFeatureSet.id);
      const next: FeatureSet = { ...contractFeatureSet, id: 'fs_0123456789ac' };
      await store.ensureCollection(next);
      try {
        await store.setServingFeatureSet(next.id);
        expect(await store.servingFeatureSet()).toBe(next.id);
        await store.setServingFeatureSet(next.id);
        expect(await store.servingFeatureSet()).toBe(next.id);
        await expect(store.setServingFeatureSet('fs_ffffffffffff')).rejects.toThrow(/fs_ffffffffffff/);
        expect(await store.servingFeatureSet()).toBe(next.id);
        await store.setServingFeatureSet(contractFeatureSet.id);
        expect(await store.servingFeatureSet()).toBe(contractFeatureSet.id);
        await store.setServingFeatureSet(next.id);
      } finally {
        await store.dropCollection(next.id);
      }
      // Dropping the collection the alias points at clears the alias.
      expect(await store.servingFeatureSet()).toBeNull();
    });

    runKeywordSearchContract(() => store);
  });
}

const texts = {
  rollback: 'Rollback is one alias move: point production back at the previous model version.',
  rollbackAgain:
    'A rollback drill every quarter. The rollback must take seconds, and rollback rights belong to on-call.',
  skew: 'Training-serving skew hides in time zones: the features at serving differ from training.',
  crawler: 'A polite crawler reads robots.txt and waits between requests to the same host.',
  code: 'export function pointInTimeJoin(labels, features) { /* binary search per entity */ }',
};

/** Keyword (BM25) search: the second retrieval signal of hybrid search. */
function runKeywordSearchContract(current: () => VectorStore) {
  const keywordPoints = () => [
    point('rollback', 0, axis(0), { text: texts.rollback }),
    point('rollback-again', 0, axis(1), {
      text: texts.rollbackAgain,
      platform: 'linkedin',
      category: 'post',
    }),
    point('skew', 0, axis(2), { text: texts.skew, authorId: 'bob', platform: 'medium' }),
    point('crawler', 0, axis(3), { text: texts.crawler }),
    point('code', 0, axis(4), { text: texts.code, platform: 'github', category: 'repository' }),
  ];
  const documents = (hits: { payload: { documentId: string } }[]) =>
    hits.map((hit) => hit.payload.documentId);

  describe('keyword search', () => {
    beforeEach(async () => {
      await current().upsert(contractFeatureSet.id, keywordPoints());
    });

    it('ranks by BM25: more and rarer matching words first, positive scores best first, with payloads', async () => {
      const hits = await current().keywordSearch(contractFeatureSet.id, 'how fast is a rollback?', { k: 10 });
      expect(documents(hits)).toEqual(['rollback-again', 'rollback']);
      expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? Number.POSITIVE_INFINITY);
      expect(hits[1]?.score).toBeGreaterThan(0);
      expect(hits[0]?.payload).toMatchObject({ text: texts.rollbackAgain, chunkIndex: 0 });
      const skew = await current().keywordSearch(contractFeatureSet.id, 'serving skew in time zones', {
        k: 1,
      });
      expect(documents(skew)).toEqual(['skew']);
      expect(await current().keywordSearch(contractFeatureSet.id, 'kubernetes', { k: 5 })).toEqual([]);
    });

    it('matches word forms and ignores case and punctuation', async () => {
      const hits = await current().keywordSearch(contractFeatureSet.id, 'CRAWLERS, Robots', { k: 5 });
      expect(documents(hits)).toEqual(['crawler']);
      const code = await current().keywordSearch(contractFeatureSet.id, 'pointInTimeJoin', { k: 5 });
      expect(documents(code)).toEqual(['code']);
    });

    it('keeps k and applies the same filters as vector search', async () => {
      const query = 'rollback skew crawler binary';
      expect(await current().keywordSearch(contractFeatureSet.id, query, { k: 2 })).toHaveLength(2);
      const byAuthor = await current().keywordSearch(contractFeatureSet.id, query, {
        k: 10,
        filter: { authorId: 'bob' },
      });
      expect(documents(byAuthor)).toEqual(['skew']);
      const byPlatform = await current().keywordSearch(contractFeatureSet.id, query, {
        k: 10,
        filter: { platform: ['linkedin', 'github'] },
      });
      expect(documents(byPlatform).sort()).toEqual(['code', 'rollback-again']);
      const byCategory = await current().keywordSearch(contractFeatureSet.id, query, {
        k: 10,
        filter: { authorId: 'ada', category: 'article' },
      });
      expect(documents(byCategory).sort()).toEqual(['crawler', 'rollback']);
      const byDocument = await current().keywordSearch(contractFeatureSet.id, query, {
        k: 10,
        filter: { documentId: ['crawler', 'skew'] },
      });
      expect(documents(byDocument).sort()).toEqual(['crawler', 'skew']);
      expect(
        await current().keywordSearch(contractFeatureSet.id, query, { k: 10, filter: { platform: [] } }),
      ).toEqual([]);
    });

    it('an upsert replaces the indexed text', async () => {
      await current().upsert(contractFeatureSet.id, [
        point('crawler', 0, axis(3), { text: 'Sourdough needs a warm kitchen and patience.' }),
      ]);
      expect(await current().keywordSearch(contractFeatureSet.id, 'robots requests', { k: 5 })).toEqual([]);
      const hits = await current().keywordSearch(contractFeatureSet.id, 'sourdough', { k: 5 });
      expect(documents(hits)).toEqual(['crawler']);
      expect(hits[0]?.payload.text).toBe('Sourdough needs a warm kitchen and patience.');
      expect(await current().count(contractFeatureSet.id)).toBe(5);
    });

    it('deleting a document removes it from keyword results', async () => {
      expect(await current().deleteByDocument(contractFeatureSet.id, 'rollback-again')).toBe(1);
      const hits = await current().keywordSearch(contractFeatureSet.id, 'rollback', { k: 10 });
      expect(documents(hits)).toEqual(['rollback']);
    });

    it('dropping the collection drops its keyword index', async () => {
      await current().dropCollection(contractFeatureSet.id);
      await current().ensureCollection(contractFeatureSet);
      expect(await current().keywordSearch(contractFeatureSet.id, 'rollback', { k: 10 })).toEqual([]);
    });

    it('treats FTS query syntax in user text as plain words', async () => {
      const hostile = [
        '"rollback',
        'rollback"',
        'rollback AND',
        'NOT rollback',
        'NEAR(rollback alias)',
        'text:rollback',
        '{text title}: rollback',
        'rollback*',
        '^rollback',
        '-rollback +alias',
        "rollback'); drop table x; --",
        '(rollback OR',
      ];
      for (const query of hostile) {
        const hits = await current().keywordSearch(contractFeatureSet.id, query, { k: 10 });
        expect(documents(hits), query).toContain('rollback');
      }
      // A column filter must not restrict the search: `title:` is only the word "title".
      const title = await current().keywordSearch(contractFeatureSet.id, 'title:skew', { k: 10 });
      expect(documents(title)).toContain('skew');
    });

    it('a query without words returns nothing', async () => {
      for (const query of ['', '   ', '?!', '"" * ^ :', '()']) {
        expect(await current().keywordSearch(contractFeatureSet.id, query, { k: 5 }), query).toEqual([]);
      }
    });

    it('rejects a bad k with a clear error', async () => {
      await expect(current().keywordSearch(contractFeatureSet.id, 'rollback', { k: 0 })).rejects.toThrow(
        /k must/,
      );
    });
  });
}
